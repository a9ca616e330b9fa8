//! The SEI developer table as last uploaded: rows for the people who were there then (leavers
//! included, since nobody removed them), second rows under other addresses, renamed people's old
//! addresses, agency rows of converted contractors, rows for bots and for people outside the SDLC;
//! never a row for someone hired since the upload. Names as people typed them, managers where the
//! manager has a row, and the licenses bought.

use std::collections::HashMap;

use super::Gen;
use crate::sim::names::{Name, Written, write};
use crate::sim::world::{Kind, Owner, Person, Row, RowKind, Status, Story};

impl Gen<'_> {
    pub(crate) fn rows(&mut self) {
        let github_by_owner: HashMap<usize, (u64, String, Option<String>)> = self
            .world
            .github
            .iter()
            .filter_map(|a| match a.owner {
                Owner::Person(i) => Some((i, (a.id, a.login.clone(), a.name.clone()))),
                _ => None,
            })
            .collect();
        let mut rows = Vec::new();
        for i in 0..self.world.people.len() {
            let person = self.world.people[i].clone();
            let github = github_by_owner.get(&i);
            for kind in self.row_kinds(&person, github.is_some()) {
                rows.push(self.person_row(i, &person, kind, github));
            }
        }
        self.world.rows.extend(rows);
        self.fill_managers();
        self.world.licenses = (self.world.rows.len() as f64 * self.p.licenses).round() as u64;
    }

    /// Which rows the person has in the table as last uploaded.
    fn row_kinds(&mut self, person: &Person, has_github: bool) -> Vec<RowKind> {
        let p = self.p;
        let before_upload = person.hired_days_ago > self.world.upload_days_ago;
        let eng = person.engineering;
        let mut kinds = Vec::new();
        let home = match person.story {
            Story::NewHire | Story::Starting => false,
            Story::Leaver | Story::HomonymLeaver if eng => self.chance(p.leaver_rows),
            Story::Renamed if eng || self.chance(p.excluded_rows) => {
                kinds.push(RowKind::OldAddress);
                eng && self.chance(p.renamed_home_row)
            }
            Story::Converted if eng || self.chance(p.excluded_rows) => {
                kinds.push(RowKind::Vendor);
                eng && self.chance(p.converted_home_row)
            }
            Story::Suspended if eng => true,
            _ if !eng => self.chance(p.excluded_rows),
            _ => before_upload && !self.chance(p.never_added),
        };
        if home {
            kinds.push(RowKind::Home);
        }
        if !eng || (!before_upload && person.story != Story::Converted) {
            return kinds;
        }
        if person.kind == Kind::Acquired && self.chance(p.acquired_rows) {
            kinds.push(RowKind::Acquired);
            if !self.chance(p.acquired_home_row) {
                kinds.retain(|k| *k != RowKind::Home);
            }
        }
        if person.alias_email.is_some() && self.chance(0.4) {
            kinds.push(RowKind::Alias);
        }
        if person.personal_email.is_some() && self.chance(p.personal_rows / 0.55) {
            kinds.push(RowKind::Personal);
        }
        if has_github && self.chance(p.noreply_rows / p.github_engineers) {
            kinds.push(RowKind::Noreply);
        }
        kinds
    }

    fn person_row(
        &mut self,
        i: usize,
        person: &Person,
        kind: RowKind,
        github: Option<&(u64, String, Option<String>)>,
    ) -> Row {
        let how = Written::draw(&mut self.rng, self.p.sei_plain_names);
        let mut full_name = write(&person.name, how);
        let email = match kind {
            RowKind::Home => person.email.clone(),
            RowKind::Alias => person.alias_email.clone().expect("alias"),
            RowKind::Personal => person.personal_email.clone().expect("personal"),
            RowKind::Acquired => person.acquired_email.clone().expect("acquired"),
            RowKind::Vendor => person.vendor_email.clone().expect("vendor"),
            RowKind::OldAddress => {
                let old = Name {
                    last: person.old_last.clone().expect("old last"),
                    ..person.name.clone()
                };
                full_name = write(&old, how);
                person.old_email.clone().expect("old email")
            }
            RowKind::Noreply => {
                let (id, login, name) = github.expect("github account");
                full_name = name.clone().unwrap_or_else(|| login.clone());
                format!("{id}+{login}@users.noreply.github.com")
            }
            RowKind::Bot => unreachable!("bot rows come from the bots phase"),
        };
        Row {
            owner: Owner::Person(i),
            kind,
            email: if kind == RowKind::Noreply {
                email
            } else {
                self.messy_case(email)
            },
            full_name,
            role: Some(person.title.clone()),
            department: Some(person.department.clone()),
            manager_email: None,
        }
    }

    /// Now and then an address typed with capitals (`Jane.Doe@Acme.com`), as uploads carry them.
    fn messy_case(&mut self, email: String) -> String {
        let Some((local, domain)) = email.split_once('@') else {
            return email;
        };
        if !self.chance(0.03) {
            return email;
        }
        let capital = |w: &str| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        };
        let local: Vec<String> = local.split('.').map(capital).collect();
        format!("{}@{}", local.join("."), capital(domain))
    }

    /// Manager emails on the rows of people whose manager has a home row.
    fn fill_managers(&mut self) {
        let home: HashMap<usize, String> = self
            .world
            .rows
            .iter()
            .filter(|r| r.kind == RowKind::Home)
            .filter_map(|r| match r.owner {
                Owner::Person(i) => Some((i, r.email.clone())),
                _ => None,
            })
            .collect();
        for k in 0..self.world.rows.len() {
            let Owner::Person(i) = self.world.rows[k].owner else {
                continue;
            };
            let person = &self.world.people[i];
            let manager = person.manager.and_then(|m| home.get(&m)).cloned();
            if person.status != Status::Starting && manager.is_some() && self.chance(0.6) {
                self.world.rows[k].manager_email = manager;
            }
        }
    }
}
