//! Any document as a `json` source page and as a `csv` source file, through their mappings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seatwarden::sources::{SourceKind, VendorConfig, csv, json};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let mut cfg = common::source(SourceKind::Json);
    let fields = [
        ("id", "/id"), ("name", "/name"), ("email", "/email"), ("emails", "/emails"),
        ("status", "/status"), ("last_activity", "/last"), ("created_at", "/created"), ("bot", "/bot"),
    ];
    let json_cfg = json::Config {
        records: "/people".into(),
        fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        next: Some("/next".into()),
        status: Default::default(),
    };
    cfg.vendor = VendorConfig::Json(json_cfg.clone());
    let _ = json::map_document(&cfg, &json_cfg, "fuzz.json", data);
    let csv_cfg = csv::Config::default();
    cfg.vendor = VendorConfig::Csv(csv_cfg.clone());
    let _ = csv::parse(&cfg, &csv_cfg, "fuzz.csv", data);
});
