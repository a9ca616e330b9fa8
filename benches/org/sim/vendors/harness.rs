//! Harness: the SEI module license (`GET /ng/api/licenses/modules/{account}?moduleType=SEI`, a
//! `ResponseDTO` listing module licenses, an expired one among them) and SEI's developer table
//! (`GET {sei}/v2/developers`, `Accept: text/csv`, the SPEC §5 columns). `x-api-key`.

use serde_json::{Value, json};

use crate::sim::server::{Request, Response, Vendor, days_ago, unauthorized};
use crate::sim::world::World;

pub const TOKEN: &str = "pat.AbCdEf123.sim.harness";
pub const ACCOUNT: &str = "AbCdEf123";
/// The SEI service's path on the Harness host (`sei_url = "{harness}/gateway/sei/api"`).
pub const SEI_PATH: &str = "/gateway/sei/api";

pub struct Harness {
    license: Value,
    table: String,
}

fn epoch_ms(days: i64) -> i64 {
    (days_ago(0) + chrono::Duration::days(days)).timestamp_millis()
}

impl Harness {
    pub fn new(world: &World) -> Harness {
        let module = |status: &str, seats: u64, from: i64, to: i64| {
            json!({"id": format!("lic-{status}"), "accountIdentifier": ACCOUNT, "moduleType": "SEI",
                   "edition": "ENTERPRISE", "licenseType": "PAID", "status": status,
                   "startTime": epoch_ms(from), "expiryTime": epoch_ms(to),
                   "createdAt": epoch_ms(from - 10), "lastModifiedAt": epoch_ms(from - 10),
                   "numberOfContributors": seats})
        };
        let license = json!({"status": "SUCCESS", "metaData": null, "correlationId": "c0rr-sim",
            "data": [module("EXPIRED", world.licenses / 2, -500, -135), module("ACTIVE", world.licenses, -134, 231)]});
        Harness {
            license,
            table: table(world),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn license(&self) -> &Value {
        &self.license
    }
}

fn table(world: &World) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(seatwarden::sei_csv::HEADER).expect("header");
    for r in &world.rows {
        let cell = |v: &Option<String>| v.clone().unwrap_or_default();
        w.write_record([
            r.email.clone(),
            cell(&r.manager_email),
            r.full_name.clone(),
            cell(&r.role),
            String::new(),
            String::new(),
            String::new(),
            cell(&r.department),
        ])
        .expect("row");
    }
    String::from_utf8(w.into_inner().expect("flush")).expect("UTF-8")
}

impl Vendor for Harness {
    fn handle(&self, req: &Request, _base: &str) -> Response {
        let key = req.header("x-api-key").or_else(|| {
            req.header("authorization")
                .and_then(|a| a.strip_prefix("ApiKey "))
        });
        if key != Some(TOKEN) {
            return unauthorized(
                json!({"status": "ERROR", "code": "INVALID_TOKEN", "message": "Token is not valid."}),
            );
        }
        let license_path = format!("/ng/api/licenses/modules/{ACCOUNT}");
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", p) if p == license_path && req.query("moduleType") == Some("SEI") => {
                Response::json(200, &self.license)
            }
            ("GET", p) if p == format!("{SEI_PATH}/v2/developers") => {
                Response::text(200, "text/csv; charset=utf-8", self.table.clone())
            }
            _ => Response::json(
                404,
                &json!({"status": "ERROR", "code": "RESOURCE_NOT_FOUND"}),
            ),
        }
    }
}
