//! Output stability: the starter project and the 1,000-template synthetic project must build to
//! exactly the bytes recorded in `tests/fixtures/golden/`. Refactors must not change a dataset; a
//! deliberate change to the output re-records the digests with `TEMPLATE_SFT_BLESS=1 cargo test
//! --test suite golden::` and says why in its commit.

use crate::support;

use std::fmt::Write as _;

use sha2::{Digest, Sha256};
use support::Workdir;

/// Every file of a version whose bytes are a pure function of the inputs. `stats.json` holds the
/// build time and `manifest.json` the digest of `stats.json`: both are compared with those removed.
fn digests(wd: &Workdir, version: &str) -> String {
    let mut out = String::new();
    let mut names: Vec<String> = wd.list(version);
    names.sort();
    for name in names {
        let bytes = std::fs::read(wd.path(&format!("{version}/{name}"))).unwrap();
        let bytes = match name.as_str() {
            "stats.json" => {
                let mut stats: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                stats["generatedAt"] = serde_json::Value::Null;
                serde_json::to_vec_pretty(&stats).unwrap()
            }
            "manifest.json" => {
                let mut manifest: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                if let Some(files) = manifest["files"].as_array_mut() {
                    files.retain(|f| f["name"] != "stats.json");
                }
                serde_json::to_vec_pretty(&manifest).unwrap()
            }
            _ => bytes,
        };
        let _ = writeln!(out, "{}  {name}", hex::encode(Sha256::digest(&bytes)));
    }
    out
}

fn compare(golden: &str, actual: String) {
    let path = support::repo_root()
        .join("tests/fixtures/golden")
        .join(golden);
    if std::env::var_os("TEMPLATE_SFT_BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        actual, expected,
        "the dataset's bytes changed ({golden}); if that is intended, re-record with TEMPLATE_SFT_BLESS=1"
    );
}

#[test]
fn the_starter_builds_to_the_recorded_bytes() {
    let wd = Workdir::starter();
    wd.ok(&["build", "-q"]);
    compare("starter.sha256", digests(&wd, "dataset/v1"));
}

#[test]
fn the_synthetic_1k_project_builds_to_the_recorded_bytes() {
    let wd = Workdir::new();
    wd.ok(&["synth", "p", "--templates", "1000", "-q"]);
    wd.ok(&["build", "-q", "-c", "p/template-sft.toml"]);
    compare("synth-1k.sha256", digests(&wd, "p/dataset/v1"));
}
