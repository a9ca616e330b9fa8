//! The Kubernetes manifests as `kubectl kustomize` renders them (skipped with a message when kubectl
//! is absent, except in CI, `SEATWARDEN_REQUIRE_KUBECTL=1`), and the config their ConfigMap holds.

use std::path::Path;
use std::process::Command;

use serde_yaml_ng::Value;

/// Every object `kubectl kustomize deploy/kubernetes/VARIANT` renders.
fn rendered(variant: &str) -> Option<Vec<Value>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy/kubernetes")
        .join(variant);
    let out = match Command::new("kubectl").arg("kustomize").arg(&dir).output() {
        Ok(out) => out,
        Err(e) if std::env::var_os("SEATWARDEN_REQUIRE_KUBECTL").is_none() => {
            eprintln!("skipped: kubectl is not installed ({e})");
            return None;
        }
        Err(e) => panic!("kubectl: {e}"),
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let docs = serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    Some(docs)
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v:?}"))
}

/// Bytes of a Kubernetes quantity ("512Mi", "1Gi").
fn bytes_of(q: &str) -> u64 {
    let (n, unit) = q.split_at(q.find(|c: char| !c.is_ascii_digit()).unwrap_or(q.len()));
    let n: u64 = n.parse().unwrap();
    n * match unit {
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "" => 1,
        other => panic!("unit {other}"),
    }
}

/// What every seatwarden pod must hold: non-root, read-only root, nothing escalated, resources.
fn assert_hardened_pod(pod: &Value, what: &str) {
    let psc = &pod["securityContext"];
    assert_eq!(psc["runAsNonRoot"], true, "{what}");
    assert_eq!(u(&psc["runAsUser"]), 10001, "{what}");
    assert_eq!(psc["seccompProfile"]["type"], "RuntimeDefault", "{what}");
    let c = &pod["containers"][0];
    assert_eq!(c["name"], "seatwarden", "{what}");
    let sc = &c["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], true, "{what}");
    assert_eq!(sc["allowPrivilegeEscalation"], false, "{what}");
    assert_eq!(sc["runAsNonRoot"], true, "{what}");
    assert_eq!(sc["capabilities"]["drop"][0], "ALL", "{what}");
    assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault", "{what}");
    // BENCHMARKS.md: a stored reconcile of 100,000 people peaks at 443 MB.
    let mem_req = bytes_of(s(&c["resources"]["requests"]["memory"]));
    let mem_lim = bytes_of(s(&c["resources"]["limits"]["memory"]));
    assert!(
        mem_req >= 443_000_000 && mem_lim >= mem_req,
        "{what}: {mem_req} / {mem_lim}"
    );
    assert!(!c["resources"]["requests"]["cpu"].is_null(), "{what}");
    assert!(!c["resources"]["limits"]["cpu"].is_null(), "{what}");
    let mounts: Vec<&str> = c["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|m| s(&m["mountPath"]))
        .collect();
    assert!(
        mounts.contains(&"/tmp") && mounts.contains(&"/var/lib/seatwarden"),
        "{what}: {mounts:?}"
    );
    assert_eq!(
        c["envFrom"][0]["secretRef"]["name"], "seatwarden-tokens",
        "{what}"
    );
}

#[test]
fn the_cronjobs_forbid_overlap_fail_fast_on_exit_2_and_3_and_run_hardened() {
    let Some(objects) = rendered("") else { return };
    let cronjobs = of_kind(&objects, "CronJob");
    assert_eq!(cronjobs.len(), 2);
    for cj in cronjobs {
        let name = s(&cj["metadata"]["name"]);
        let spec = &cj["spec"];
        assert_eq!(spec["concurrencyPolicy"], "Forbid", "{name}");
        assert!(u(&spec["startingDeadlineSeconds"]) > 0, "{name}");
        let job = &spec["jobTemplate"]["spec"];
        // Daily (reconcile) and weekly (report): the deadline is shorter than a day either way.
        assert!(u(&job["activeDeadlineSeconds"]) < 86_400, "{name}");
        assert!(u(&job["backoffLimit"]) >= 1, "{name}");
        assert!(u(&job["ttlSecondsAfterFinished"]) > 0, "{name}");
        let rules = job["podFailurePolicy"]["rules"].as_sequence().unwrap();
        for code in [2, 3] {
            let rule = rules
                .iter()
                .find(|r| {
                    r["onExitCodes"]["values"]
                        .as_sequence()
                        .is_some_and(|v| v.contains(&Value::from(code)))
                })
                .unwrap_or_else(|| panic!("{name}: no rule for exit {code}"));
            assert_eq!(rule["action"], "FailJob", "{name}: exit {code}");
            assert_eq!(rule["onExitCodes"]["operator"], "In");
            assert_eq!(rule["onExitCodes"]["containerName"], "seatwarden");
        }
        let pod = &job["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Never", "{name}");
        assert_hardened_pod(pod, name);
        let volumes = pod["volumes"].as_sequence().unwrap();
        assert!(
            volumes
                .iter()
                .any(|v| v["persistentVolumeClaim"]["claimName"] == "seatwarden-store")
        );
        assert!(
            volumes
                .iter()
                .any(|v| v["configMap"]["name"] == "seatwarden-config")
        );
    }
    assert_eq!(of_kind(&objects, "PersistentVolumeClaim").len(), 1);
    assert_eq!(of_kind(&objects, "Secret").len(), 1);
}

#[test]
fn the_postgres_variant_has_the_store_url_in_the_secret_and_no_volume_claim() {
    let Some(objects) = rendered("postgres") else {
        return;
    };
    assert!(of_kind(&objects, "PersistentVolumeClaim").is_empty());
    let secret = of_kind(&objects, "Secret")[0];
    assert!(s(&secret["stringData"]["SEATWARDEN__STORE__URL"]).starts_with("postgres://"));
    assert!(
        !secret["stringData"]["OKTA_TOKEN"].is_null(),
        "the tokens are kept"
    );
    for cj in of_kind(&objects, "CronJob") {
        let pod = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        let volumes = pod["volumes"].as_sequence().unwrap();
        assert!(volumes.iter().all(|v| v["persistentVolumeClaim"].is_null()));
        assert_hardened_pod(pod, "postgres");
    }
}

#[test]
fn the_schedule_variant_is_one_probed_scraped_deployment() {
    let Some(objects) = rendered("schedule") else {
        return;
    };
    assert!(of_kind(&objects, "CronJob").is_empty());
    let d = of_kind(&objects, "Deployment")[0];
    assert_eq!(u(&d["spec"]["replicas"]), 1);
    assert_eq!(d["spec"]["strategy"]["type"], "Recreate");
    let template = &d["spec"]["template"];
    let notes = &template["metadata"]["annotations"];
    assert_eq!(notes["prometheus.io/scrape"], "true");
    assert_eq!(notes["prometheus.io/port"], "9464");
    let pod = &template["spec"];
    assert_hardened_pod(pod, "schedule");
    let c = &pod["containers"][0];
    assert!(
        c["args"]
            .as_sequence()
            .unwrap()
            .contains(&Value::from("schedule"))
    );
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(u(&c["ports"][0]["containerPort"]), 9464);
    assert!(u(&pod["terminationGracePeriodSeconds"]) > 10);
}

#[test]
fn the_configmap_holds_a_valid_config_whose_schedule_listens_on_the_probed_port() {
    let Some(objects) = rendered("") else { return };
    let cm = of_kind(&objects, "ConfigMap")[0];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seatwarden.toml");
    std::fs::write(&path, s(&cm["data"]["seatwarden.toml"])).unwrap();
    let cfg = seatwarden::config::load_with_env(&path, &[]).unwrap();
    assert_eq!(cfg.store.url, "sqlite:///var/lib/seatwarden/seatwarden.db");
    let sched = cfg.schedule.clone().unwrap();
    assert_eq!(sched.listen.unwrap().port(), 9464);
    assert!(sched.reconcile.is_some() && sched.report.is_some());
    assert!(cfg.metrics.pushgateway_url.is_some());
    // The Secret example names every variable the config reads.
    let secret = of_kind(&objects, "Secret")[0];
    for var in cfg.secret_vars() {
        assert!(
            !secret["stringData"][var].is_null(),
            "the Secret lacks {var}"
        );
    }
}
