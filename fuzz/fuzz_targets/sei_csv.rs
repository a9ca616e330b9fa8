//! The SEI developer CSV importer on any bytes: a table or every problem with its line, never a
//! panic; and whatever it accepts, written back and read again, is the same table.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seatwarden::sei_csv;

fuzz_target!(|data: &[u8]| {
    let Ok(rows) = sei_csv::parse(data) else { return };
    let written = sei_csv::write(&rows);
    let again = sei_csv::parse(written.as_bytes()).expect("an exported table imports");
    assert_eq!(sei_csv::write(&again), written, "export is stable across a round trip");
});
