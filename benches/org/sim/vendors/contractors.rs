//! The contractor agencies' export (a VMS): one CSV over HTTPS with `Authorization: Bearer`,
//! columns named the way the agency names them.

use crate::sim::server::{Request, Response, Vendor, unauthorized};
use crate::sim::world::World;

pub const TOKEN: &str = "vms-sim-token";
pub const PATH: &str = "/export/contractors.csv";

pub struct Contractors {
    csv: String,
}

fn date(days_ago: u32) -> String {
    crate::sim::server::days_ago(days_ago)
        .format("%Y-%m-%d")
        .to_string()
}

impl Contractors {
    pub fn new(world: &World) -> Contractors {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = [
            "Contractor ID",
            "Full Name",
            "Email",
            "Role",
            "Department",
            "Vendor",
            "Status",
            "Start Date",
            "End Date",
        ];
        w.write_record(header).expect("header");
        for v in &world.vms {
            let end = v.end_days_ago.map(date).unwrap_or_default();
            let start = date(v.start_days_ago);
            w.write_record([
                v.id.as_str(),
                &v.full_name,
                &v.email,
                &v.role,
                &v.department,
                &v.vendor,
                v.status.as_str(),
                &start,
                &end,
            ])
            .expect("record");
        }
        let bytes = w.into_inner().expect("flush");
        Contractors {
            csv: String::from_utf8(bytes).expect("UTF-8"),
        }
    }

    pub fn dump(&self) -> &str {
        &self.csv
    }
}

impl Vendor for Contractors {
    fn handle(&self, req: &Request, _base: &str) -> Response {
        if req.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return unauthorized(serde_json::json!({"error": "unauthorized"}));
        }
        if req.method != "GET" || req.path != PATH {
            return Response::text(404, "text/plain", "not found".into());
        }
        Response::text(200, "text/csv; charset=utf-8", self.csv.clone())
    }
}
