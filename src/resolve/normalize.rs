//! Normalise raw strings into comparable keys: Unicode folding, email keys (`+tags`, GitHub
//! noreply addresses → login; nothing else, as SPEC §3.3 lists — gmail dots are kept, since two
//! people hold `john.smith@` and `johnsmith@`, and are only a weak handle that needs a name), registrable domains, and the lists of generic values that
//! must never link anyone.
//!
//! Invariant: every function here is a pure function of its input string; the same value always
//! yields the same key, whatever identity it came from.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The GitHub domain whose local parts carry a login (`NNN+login@` or `login@`).
pub const GITHUB_NOREPLY: &str = "users.noreply.github.com";

/// Local parts of roles and machines, sorted for binary search.
const GENERIC: &[&str] = &[
    "actions",
    "admin",
    "administrator",
    "anonymous",
    "automation",
    "bot",
    "build",
    "buildbot",
    "builder",
    "ci",
    "circleci",
    "contact",
    "dependabot",
    "deploy",
    "dev",
    "devel",
    "developer",
    "developers",
    "devnull",
    "devops",
    "do-not-reply",
    "donotreply",
    "git",
    "github",
    "github-actions",
    "gitlab",
    "help",
    "hostmaster",
    "info",
    "jenkins",
    "localhost",
    "no-reply",
    "no_reply",
    "nobody",
    "none",
    "noreply",
    "null",
    "ops",
    "postmaster",
    "release",
    "releases",
    "renovate",
    "root",
    "sales",
    "security",
    "service",
    "support",
    "system",
    "team",
    "test",
    "tester",
    "travis",
    "ubuntu",
    "unknown",
    "user",
    "users",
    "webmaster",
];

/// Local parts too common to identify anyone, sorted for binary search.
const WEAK: &[&str] = &[
    "code", "contact", "email", "hello", "hi", "home", "mail", "me", "office", "work",
];

/// Public mail providers, sorted for binary search.
const PUBLIC: &[&str] = &[
    "126.com",
    "163.com",
    "aim.com",
    "aliyun.com",
    "aol.com",
    "arcor.de",
    "att.net",
    "bigpond.com",
    "bk.ru",
    "bluewin.ch",
    "btinternet.com",
    "comcast.net",
    "cox.net",
    "daum.net",
    "earthlink.net",
    "fastmail.com",
    "fastmail.fm",
    "foxmail.com",
    "free.fr",
    "freenet.de",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "googlemail.com",
    "hanmail.net",
    "hotmail.co.uk",
    "hotmail.com",
    "hotmail.de",
    "hotmail.es",
    "hotmail.fr",
    "hotmail.it",
    "icloud.com",
    "inbox.ru",
    "interia.pl",
    "laposte.net",
    "libero.it",
    "list.ru",
    "live.co.uk",
    "live.com",
    "live.de",
    "live.fr",
    "mac.com",
    "mail.com",
    "mail.ru",
    "me.com",
    "msn.com",
    "naver.com",
    "o2.pl",
    "optusnet.com.au",
    "orange.fr",
    "outlook.com",
    "outlook.de",
    "outlook.fr",
    "planet.nl",
    "pm.me",
    "posteo.de",
    "proton.me",
    "protonmail.com",
    "qq.com",
    "rambler.ru",
    "rediffmail.com",
    "rocketmail.com",
    "rogers.com",
    "sbcglobal.net",
    "seznam.cz",
    "shaw.ca",
    "sina.com",
    "skynet.be",
    "sohu.com",
    "t-online.de",
    "telenet.be",
    "telus.net",
    "tuta.io",
    "tutanota.com",
    "ukr.net",
    "users.noreply.github.com",
    "users.sourceforge.net",
    "verizon.net",
    "wanadoo.fr",
    "web.de",
    "wp.pl",
    "xs4all.nl",
    "yahoo.co.in",
    "yahoo.co.jp",
    "yahoo.co.uk",
    "yahoo.com",
    "yahoo.de",
    "yahoo.es",
    "yahoo.fr",
    "yahoo.it",
    "yandex.com",
    "yandex.ru",
    "yeah.net",
    "ymail.com",
    "ziggo.nl",
    "zoho.com",
];

/// NFKC, lowercase, trimmed. Keeps accents: for emails, ids and logins.
pub fn nfkc_lower(s: &str) -> String {
    let s = s.trim();
    if s.is_ascii() {
        // ASCII is already in NFKC: skip the normaliser, which dominates at a million records.
        return s.to_ascii_lowercase();
    }
    s.nfkc().flat_map(char::to_lowercase).collect()
}

/// Lowercase with accents folded (NFKD minus combining marks) and the letters that do not
/// decompose mapped by hand. For names, where "Bennée" and "Bennee" are one spelling.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    let mut previous = ' ';
    for original in s.chars() {
        let lower = original.to_lowercase().next().unwrap_or(original);
        let base = lower.nfkd().next().unwrap_or(lower);
        let before = std::mem::replace(&mut previous, base);
        // Greek `ου` is one sound, written `ou`.
        if base == 'υ' && before == 'ο' {
            out.pop();
            out.push_str("ou");
            continue;
        }
        // Cyrillic letters are read before decomposition: `й` is not `и` with a mark.
        if let Some(latin) = transliterate(lower) {
            out.push_str(latin);
            continue;
        }
        for c in original.nfkd() {
            fold_char(c, &mut out);
        }
    }
    out
}

/// One decomposed character, folded into `out`.
fn fold_char(c: char, out: &mut String) {
    if is_combining_mark(c) {
        return;
    }
    for l in c.to_lowercase() {
        if let Some(latin) = transliterate(l) {
            out.push_str(latin);
            continue;
        }
        {
            match l {
                'ł' => out.push('l'),
                'ø' => out.push('o'),
                'ß' => out.push_str("ss"),
                'æ' => out.push_str("ae"),
                'đ' | 'ð' => out.push('d'),
                'ı' => out.push('i'),
                'œ' => out.push_str("oe"),
                'þ' => out.push_str("th"),
                other => out.push(other),
            }
        }
    }
}

/// The Latin spelling of a lowercase Cyrillic or Greek letter (the usual passport-style
/// romanisation: `я` → `ya`, `θ` → `th`), so that "Дилян Палаузов" meets `dilyan.palauzov@`.
/// Other scripts are left as they are: they still compare with themselves.
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'ґ' => "g",
        'д' => "d",
        'е' => "e",
        'ё' => "e",
        'є' => "ye",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'і' => "i",
        'ї' => "yi",
        'й' => "y",
        'ј' => "j",
        'к' => "k",
        'л' => "l",
        'љ' => "lj",
        'м' => "m",
        'н' => "n",
        'њ' => "nj",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'ћ' => "c",
        'ђ' => "dj",
        'у' => "u",
        'ў' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'џ' => "dz",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ы' => "y",
        'э' => "e",
        'ю' => "yu",
        'я' => "ya",
        'α' => "a",
        'β' => "v",
        'γ' => "g",
        'δ' => "d",
        'ε' => "e",
        'ζ' => "z",
        'η' => "i",
        'θ' => "th",
        'ι' => "i",
        'κ' => "k",
        'λ' => "l",
        'μ' => "m",
        'ν' => "n",
        'ξ' => "x",
        'ο' => "o",
        'π' => "p",
        'ρ' => "r",
        'σ' | 'ς' => "s",
        'τ' => "t",
        'υ' => "y",
        'φ' => "f",
        'χ' => "ch",
        'ψ' => "ps",
        'ω' => "o",
        _ => return None,
    })
}

/// A normalised email address, or the GitHub login a noreply address stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EmailKey {
    /// `local@domain` with the `+tag` dropped (dots kept, gmail's too).
    Address { local: String, domain: String },
    /// `NNN+login@users.noreply.github.com` or `login@users.noreply.github.com`.
    GithubLogin(String),
    /// The numeric account id of `NNN+login@users.noreply.github.com`: one GitHub account,
    /// whatever its login is called now. Logins are reused and shared by homonyms; ids are not.
    GithubAccount(u64),
}

impl EmailKey {
    /// The key as one string: `local@domain`, or `github:login`.
    pub fn as_key(&self) -> String {
        match self {
            EmailKey::Address { local, domain } => {
                let mut key = String::with_capacity(local.len() + 1 + domain.len());
                key.push_str(local);
                key.push('@');
                key.push_str(domain);
                key
            }
            EmailKey::GithubLogin(login) => format!("github:{login}"),
            EmailKey::GithubAccount(id) => format!("github-id:{id}"),
        }
    }
}

/// Normalise an email; `None` for values that are not addresses or are generic (`noreply@…`,
/// `root@…`, `admin@…`): those never link anyone.
pub fn email_key(raw: &str) -> Option<EmailKey> {
    let s = nfkc_lower(raw);
    // Some histories wrap the address in angle brackets.
    let s = s.trim_matches(|c| c == '<' || c == '>' || c == '"');
    let (local, domain) = s.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.');
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    if domain == GITHUB_NOREPLY {
        // `NNN+login` since 2017, plain `login` before: both name the login.
        let login = match local.split_once('+') {
            Some((_, login)) => login,
            None => local,
        };
        if login.is_empty() || is_generic_local(login) {
            return None;
        }
        return Some(EmailKey::GithubLogin(login.to_string()));
    }
    let local = match local.split_once('+') {
        Some((before, _)) if !before.is_empty() => before.to_string(),
        _ => local.to_string(),
    };
    // Gmail ignores dots in the local part, but the contract does not fold them: two people hold
    // `john.smith@gmail.com` and `johnsmith@gmail.com`. Their compact handle (weak evidence,
    // needing an agreeing name) still joins one person's spellings.
    let domain = domain.to_string();
    if is_generic_local(&local) || is_placeholder_domain(&domain) {
        return None;
    }
    Some(EmailKey::Address { local, domain })
}

/// Whether two addresses at one domain that is no public provider differ only in a number ending
/// the local part (`jsmith@`, `jsmith2@`; `john.saraogi2@`, `john.saraogi@`): the number is what a
/// second person gets when the address is taken, so the two are two people's. (At a provider the
/// number is chosen: `jsmith84@gmail.com` says nothing of `jsmith@gmail.com`.)
pub fn numbered_siblings(a: &str, b: &str) -> bool {
    let split = |raw: &str| {
        let (local, domain) = raw.trim().rsplit_once('@')?;
        Some((local.to_lowercase(), domain.to_lowercase()))
    };
    let base = |local: &str| numbered_base(local).unwrap_or(local).to_string();
    match (split(a), split(b)) {
        (Some((local_a, domain_a)), Some((local_b, domain_b))) => {
            domain_a == domain_b
                && !is_public_mail_domain(&domain_a)
                && local_a != local_b
                && base(&local_a) == base(&local_b)
        }
        _ => false,
    }
}

/// The local part without the number that ends it, when it has one and what is left has three
/// letters or more (`jsmith2` → `jsmith`; never `u2` → `u`).
pub fn numbered_base(local: &str) -> Option<&str> {
    let base = local.trim_end_matches(|c: char| c.is_ascii_digit());
    let letters = base.chars().filter(|c| c.is_alphabetic()).count();
    (base.len() < local.len() && letters >= 3).then_some(base)
}

/// Whether an address carries a numbered `+tag` (`jsmith+git2@…`): the spelling a second person
/// gets when the plain tag is taken, so not an alias of the untagged address.
pub fn has_numbered_tag(raw: &str) -> bool {
    let local = raw.rsplit_once('@').map_or(raw, |(l, _)| l);
    local
        .split_once('+')
        .is_some_and(|(_, tag)| tag.len() > 1 && tag.ends_with(|c: char| c.is_ascii_digit()))
}

/// The local part of an address at no real domain (`smurf@kiste.(none)`, `jane@localhost`): not
/// a key, since nobody can receive mail there, but still the handle the person typed.
pub fn placeholder_local(raw: &str) -> Option<String> {
    let s = nfkc_lower(raw);
    let (local, domain) = s.rsplit_once('@')?;
    let local = local.split('+').next().unwrap_or(local);
    if local.is_empty() || is_generic_local(local) || !is_placeholder_domain(domain) {
        return None;
    }
    Some(local.to_string())
}

/// The domain of an address at a real organisation or personal domain whose local part is
/// generic (`git@nilsschulte.de`): no key, but the domain still names its owner.
pub fn generic_local_domain(raw: &str) -> Option<String> {
    let s = nfkc_lower(raw);
    let (local, domain) = s.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.');
    if !is_generic_local(local)
        || domain == GITHUB_NOREPLY
        || is_placeholder_domain(domain)
        || is_public_mail_domain(domain)
    {
        return None;
    }
    Some(domain.to_string())
}

/// An address written into a display name, plainly or spelled out against spam:
/// "David Roberts (dvdr18 [at] gmail [dot] com)" → `dvdr18@gmail.com`.
pub fn address_in_name(name: &str) -> Option<String> {
    let lower = nfkc_lower(name);
    let inner = match (lower.find(['(', '<', '[']), lower.rfind([')', '>'])) {
        (Some(open), Some(close)) if open < close => &lower[open + 1..close],
        _ => lower.as_str(),
    };
    let mut text = format!(" {inner} ");
    for (from, to) in [
        ("[at]", "@"),
        ("(at)", "@"),
        (" at ", "@"),
        ("[dot]", "."),
        ("(dot)", "."),
        (" dot ", "."),
    ] {
        text = text.replace(from, to);
    }
    let address: String = text.split_whitespace().collect();
    let (local, domain) = address.rsplit_once('@')?;
    let plain = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
    };
    (plain(local) && plain(domain) && domain.contains('.') && !domain.ends_with('.'))
        .then_some(address)
}

/// The account id of a `NNN+login@users.noreply.github.com` address.
pub fn github_account(raw: &str) -> Option<EmailKey> {
    let s = nfkc_lower(raw);
    let (local, domain) = s.rsplit_once('@')?;
    if domain != GITHUB_NOREPLY {
        return None;
    }
    let (id, _) = local.split_once('+')?;
    id.parse().ok().map(EmailKey::GithubAccount)
}

/// Local parts that belong to a role or a machine, never to one person.
pub fn is_generic_local(local: &str) -> bool {
    let l = local.trim_matches(|c: char| !c.is_alphanumeric());
    if l.is_empty() || GENERIC.binary_search(&l).is_ok() {
        return true;
    }
    l.ends_with("[bot]")
        || local.ends_with("[bot]")
        || l.starts_with("noreply")
        || l.starts_with("no-reply")
}

/// Local parts too common to say anything when seen at two different domains (`me@`, `mail@`),
/// even though at one domain they are a real person's address.
pub fn is_weak_local(local: &str) -> bool {
    local.chars().filter(|c| c.is_alphanumeric()).count() < 3
        || WEAK.binary_search(&local).is_ok()
        || is_generic_local(local)
}

/// Domains that are not a real mailbox (`localhost`, `(none)`, bare hosts, IP addresses).
pub fn is_placeholder_domain(domain: &str) -> bool {
    if !domain.contains('.') || domain.contains("(none)") || domain.contains("localhost") {
        return true;
    }
    if domain.ends_with(".local")
        || domain.ends_with(".localdomain")
        || domain.ends_with(".invalid")
    {
        return true;
    }
    domain.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// Whether an address is a personal mailbox at a public mail provider (not a work address, nor
/// a GitHub noreply address, which stands for an account).
pub fn is_personal_mailbox(raw: &str) -> bool {
    raw.rsplit_once('@').is_some_and(|(_, domain)| {
        let domain = domain.trim().to_lowercase();
        domain != GITHUB_NOREPLY && is_public_mail_domain(&domain)
    })
}

/// Mail providers shared by millions: the same domain there says nothing about the person.
pub fn is_public_mail_domain(domain: &str) -> bool {
    PUBLIC.binary_search(&domain).is_ok()
}

/// The registrable part of a domain, roughly: the last two labels, or three under a two-letter
/// country code with a short second level (`co.uk`, `ac.jp`, `com.au`). Good enough to see that
/// `dev.mellanox.co.il` and `mellanox.co.il` are one organisation without a public-suffix list.
pub fn registrable_domain(domain: &str) -> &str {
    let labels: Vec<&str> = domain.rsplitn(4, '.').collect();
    // labels are reversed: [tld, second, third, rest]
    if labels.len() < 2 {
        return domain;
    }
    let tld = labels[0];
    let second = labels[1];
    let take = if labels.len() >= 3 && tld.len() == 2 && second.len() <= 3 {
        3
    } else {
        2
    };
    let keep: usize = labels[..take].iter().map(|l| l.len()).sum::<usize>() + take - 1;
    &domain[domain.len() - keep.min(domain.len())..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(local: &str, domain: &str) -> Option<EmailKey> {
        Some(EmailKey::Address {
            local: local.into(),
            domain: domain.into(),
        })
    }

    #[test]
    fn email_case_space_and_plus_tag_are_dropped() {
        assert_eq!(
            email_key("  Jane.Doe+git@Acme.Example "),
            addr("jane.doe", "acme.example")
        );
    }

    #[test]
    fn gmail_dots_are_kept_like_any_other_dots() {
        assert_eq!(
            email_key("j.o.h.n@googlemail.com"),
            addr("j.o.h.n", "googlemail.com")
        );
        assert_ne!(
            email_key("john.smith@gmail.com"),
            email_key("johnsmith@gmail.com")
        );
        assert_eq!(
            email_key("j.ohn@acme.example"),
            addr("j.ohn", "acme.example")
        );
    }

    #[test]
    fn numbered_tags_are_recognised() {
        for (raw, numbered) in [
            ("jsmith+git2@gmail.com", true),
            ("jsmith+git@gmail.com", false),
            ("jsmith@gmail.com", false),
            ("j2smith@gmail.com", false),
            ("jsmith+2@gmail.com", false),
        ] {
            assert_eq!(has_numbered_tag(raw), numbered, "{raw}");
        }
    }

    #[test]
    fn github_noreply_addresses_become_logins() {
        assert_eq!(
            email_key("123456+OctoCat@users.noreply.github.com"),
            Some(EmailKey::GithubLogin("octocat".into()))
        );
        assert_eq!(
            email_key("octocat@users.noreply.github.com"),
            Some(EmailKey::GithubLogin("octocat".into()))
        );
    }

    #[test]
    fn generic_and_placeholder_emails_are_not_keys() {
        for raw in [
            "noreply@acme.example",
            "no-reply@acme.example",
            "root@acme.example",
            "jenkins@ci.acme.example",
            "github-actions@github.com",
            "jane@localhost",
            "jane@(none)",
            "jane@192.168.1.2",
            "not an email",
        ] {
            assert_eq!(email_key(raw), None, "{raw}");
        }
    }

    #[test]
    fn value_lists_are_sorted_for_binary_search() {
        for list in [GENERIC, WEAK, PUBLIC] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
    }

    #[test]
    fn fold_removes_accents_and_maps_letters_that_do_not_decompose() {
        assert_eq!(
            fold("Bennée Łukasz Søren Straße Đorđe"),
            "bennee lukasz soren strasse dorde"
        );
    }

    #[test]
    fn fold_transliterates_cyrillic_and_greek() {
        // (script, Latin spelling people use in their addresses)
        let cases = [
            ("Дилян Палаузов", "dilyan palauzov"),
            ("Андрей Мазо", "andrey mazo"),
            ("Юлия Щербакова", "yuliya shcherbakova"),
            ("Олексій Ґалаґан", "oleksiy galagan"),
            ("Ђорђе Јовановић", "djordje jovanovic"),
            ("Γιώργος Παπαδόπουλος", "giorgos papadopoulos"),
            ("Θεόδωρος", "theodoros"),
        ];
        for (raw, want) in cases {
            assert_eq!(fold(raw), want, "{raw}");
        }
    }

    #[test]
    fn address_in_name_reads_plain_and_spelled_out_forms() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "David Roberts (dvdr18 [at] gmail [dot] com)",
                Some("dvdr18@gmail.com"),
            ),
            (
                "jon@blackcubes.dyndns.org",
                Some("jon@blackcubes.dyndns.org"),
            ),
            ("Ann <ann at example dot org>", Some("ann@example.org")),
            ("Jon at Home", None),
            ("Ann Lee", None),
            ("someone@", None),
            ("(at) (dot)", None),
        ];
        for &(name, want) in cases {
            assert_eq!(address_in_name(name).as_deref(), want, "{name}");
        }
    }

    #[test]
    fn numbered_siblings_are_one_address_with_a_number_added() {
        assert!(numbered_siblings(
            "john.saraogi@lumen.example",
            "John.Saraogi2@lumen.example"
        ));
        assert!(numbered_siblings("jsmith3@a.example", "jsmith@a.example"));
        assert!(numbered_siblings("jsmith3@a.example", "jsmith12@a.example"));
        // Another domain, another local part, the same address, or no letters to speak of.
        assert!(!numbered_siblings("jsmith@a.example", "jsmith2@b.example"));
        assert!(!numbered_siblings("jsmith@gmail.com", "jsmith84@gmail.com"));
        assert!(!numbered_siblings("jsmith@a.example", "jsmyth2@a.example"));
        assert!(!numbered_siblings("jsmith2@a.example", "jsmith2@a.example"));
        assert!(!numbered_siblings("u1@a.example", "u2@a.example"));
    }

    #[test]
    fn generic_local_domain_keeps_only_owned_domains() {
        assert_eq!(
            generic_local_domain("git@NilsSchulte.example").as_deref(),
            Some("nilsschulte.example")
        );
        // A person's own address, a public provider, a placeholder host: nothing.
        assert_eq!(generic_local_domain("nils@nilsschulte.example"), None);
        assert_eq!(generic_local_domain("git@gmail.com"), None);
        assert_eq!(generic_local_domain("git@kiste.(none)"), None);
    }

    #[test]
    fn registrable_domain_keeps_country_second_levels() {
        assert_eq!(registrable_domain("dev.mellanox.co.il"), "mellanox.co.il");
        assert_eq!(
            registrable_domain("yoghurt.hemma.treskal.com"),
            "treskal.com"
        );
        assert_eq!(registrable_domain("acme.example"), "acme.example");
    }
}
