//! Property tests (issue 15): no input panics the SEI CSV importer, the config loader or the
//! identity resolver, and exporting a valid table then importing it gives the same table back.

use proptest::prelude::*;

use seatwarden::model::{Identity, SeiRow};
use seatwarden::sei_csv;

/// Text a cell may hold, spreadsheet formulas, quotes, separators and line breaks included; never
/// empty and never padded (import trims cells).
fn cell() -> impl Strategy<Value = String> {
    "[=+\\-@'\"a-zA-Zäöü渡辺 ,;\\t\\r\\n]{0,12}[a-zA-Z0-9äöü辺]"
        .prop_map(|s| s.trim().to_string())
        .prop_filter("not blank", |s| !s.is_empty())
}

fn optional_cell() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(cell())
}

/// A valid table: unique emails, names, managers that are earlier rows (so no cycle).
fn table() -> impl Strategy<Value = Vec<SeiRow>> {
    let row = (
        "[a-z][a-z0-9._-]{0,8}",
        cell(),
        optional_cell(),
        optional_cell(),
        optional_cell(),
        optional_cell(),
        optional_cell(),
        any::<prop::sample::Index>(),
        any::<bool>(),
    );
    proptest::collection::vec(row, 0..12).prop_map(|rows| {
        let mut table: Vec<SeiRow> = Vec::new();
        for (i, (local, name, role, site, team, sub_role, department, manager, managed)) in
            rows.into_iter().enumerate()
        {
            let manager_email = (managed && !table.is_empty())
                .then(|| table[manager.index(table.len())].email.clone());
            table.push(SeiRow {
                email: format!("{local}{i}@acme.example"),
                manager_email,
                full_name: name,
                role,
                site,
                team,
                sub_role,
                department,
            });
        }
        table
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_sei_importer_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = sei_csv::parse(&bytes);
    }

    #[test]
    fn the_sei_importer_never_panics_on_csv_shaped_text(
        text in "(Email|Full Name|Manager Email|Name|\u{feff}|,|\"|\\r|\\n|[a-z@.=+'-]{1,6}){0,60}"
    ) {
        let _ = sei_csv::parse(text.as_bytes());
    }

    #[test]
    fn export_then_import_is_the_identity(rows in table()) {
        let written = sei_csv::write(&rows);
        let read = sei_csv::parse(written.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}\n{written}")))?;
        prop_assert_eq!(read, rows, "{}", written);
    }

    #[test]
    fn the_config_loader_never_panics(
        text in "(\\[\\[sources\\]\\]|\\[[a-z.]{1,12}\\]|[a-z_]{1,20} = |'[^'\\n]{0,20}'|\"[a-z:/.?=~]{0,30}\"|-?[0-9]{1,25}(\\.[0-9]+)?(e[0-9]{1,3})?|nan|inf|true|\\[|\\]|,|\\n){0,40}"
    ) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("seatwarden.toml");
        std::fs::write(&path, &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Ok(cfg) = seatwarden::config::load_with_env(&path, &[]) {
            let _ = seatwarden::config::refuse_plain_http(&cfg);
        }
    }

    #[test]
    fn the_config_loader_never_panics_on_any_value_of_a_source_key(
        key in prop::sample::select(vec![
            "connect_timeout_secs", "read_timeout_secs", "total_timeout_secs", "max_retry_wait_secs",
            "concurrency", "page_size", "max_response_mb", "max_source_mb", "max_pages", "url", "name",
        ]),
        value in "(-?[0-9]{1,30}(\\.[0-9]{1,5})?(e-?[0-9]{1,3})?|nan|-inf|'[^'\\n]{0,30}'|\\[\\]|true)",
    ) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("seatwarden.toml");
        let text = format!("[[sources]]\nname = 'a'\nkind = 'okta'\nurl = 'https://x.example'\n{key} = {value}\n");
        std::fs::write(&path, text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let _ = seatwarden::config::load_with_env(&path, &[]);
    }

    #[test]
    fn the_resolver_never_panics_and_places_every_identity_once(
        people in proptest::collection::vec(
            ("[a-zA-Z0-9 .+@_-]{0,16}", "[a-zA-Zäß渡 .'-]{0,16}", "[a-z0-9.+_-]{0,8}(@[a-z.]{0,8})?", any::<bool>()),
            0..24,
        )
    ) {
        let identities: Vec<Identity> = people
            .into_iter()
            .enumerate()
            .map(|(i, (login, name, email, directory))| Identity {
                source: if directory { "okta".into() } else { "github".into() },
                id: i.to_string(),
                emails: vec![email],
                login: Some(login),
                name: Some(name),
                directory,
                ..Identity::default()
            })
            .collect();
        let resolution = seatwarden::resolve::resolve(&identities, &Default::default());
        prop_assert_eq!(resolution.cluster_of.len(), identities.len());
        let placed: usize = resolution.clusters.iter().map(Vec::len).sum();
        prop_assert_eq!(placed, identities.len());
    }
}
