//! Briefs state the duration the code exports: end to end on the starter and variations of it.

use crate::support;

use serde_json::Value;
use support::{jsonl, Workdir};

const SPLITS: [&str; 3] = ["train", "validation", "test"];

fn examples(wd: &Workdir, version: &str) -> Vec<Value> {
    SPLITS
        .iter()
        .flat_map(|s| jsonl(&wd.read(&format!("dataset/{version}/{s}.jsonl"))))
        .collect()
}

fn stats(wd: &Workdir, version: &str) -> Value {
    serde_json::from_str(&wd.read(&format!("dataset/{version}/stats.json"))).unwrap()
}

fn brief(e: &Value) -> &str {
    e["messages"][1]["content"].as_str().unwrap()
}

/// Set `duration` of a catalog entry in catalog.json (`None` removes the field).
fn set_catalog_duration(wd: &Workdir, id: &str, frames: Option<u64>) {
    wd.edit("catalog.json", |text| {
        let mut list: Vec<Value> = serde_json::from_str(&text).unwrap();
        for entry in &mut list {
            if entry["id"] == id {
                match frames {
                    Some(f) => entry["duration"] = f.into(),
                    None => {
                        entry.as_object_mut().unwrap().remove("duration");
                    }
                }
            }
        }
        serde_json::to_string_pretty(&list).unwrap()
    });
}

#[test]
fn the_starter_states_the_codes_durations_and_lists_its_mismatch() {
    let wd = Workdir::starter();
    let run = wd.ok(&["build"]);
    assert!(
        run.stderr.contains("warning: templates/typewriter-terminal.tsx:7:14: template \"typewriter-terminal\": the code exports 7 seconds (210 frames) but the catalog says 6 seconds (180 frames); briefs state the code's"),
        "{run}"
    );
    let all = examples(&wd, "v1");
    let typewriter: Vec<&Value> = all
        .iter()
        .filter(|e| e["meta"]["templateId"] == "typewriter-terminal")
        .collect();
    assert!(!typewriter.is_empty());
    for e in &typewriter {
        assert_eq!(e["meta"]["duration"], 210);
        assert_eq!(e["meta"]["durationSource"], "code");
        assert!(
            brief(e).ends_with("Duration: 7 seconds (210 frames)."),
            "{}",
            brief(e)
        );
    }
    // progress-steps computes its total from a script array: 20 + 4 × 25 + 30.
    for e in all
        .iter()
        .filter(|e| e["meta"]["templateId"] == "progress-steps")
    {
        assert_eq!(e["meta"]["duration"], 150);
        assert_eq!(e["meta"]["durationSource"], "code");
    }
    // No export: the catalog's duration, and meta says so.
    for e in all
        .iter()
        .filter(|e| e["meta"]["templateId"] == "gradient-waves-background")
    {
        assert_eq!(e["meta"]["durationSource"], "catalog");
    }
    let d = &stats(&wd, "v1")["durations"];
    assert_eq!(d["source"], "code");
    assert_eq!(
        (d["fromCode"].as_u64(), d["fromCatalog"].as_u64()),
        (Some(9), Some(3))
    );
    assert_eq!(d["withoutExport"], 3);
    assert_eq!(
        d["mismatches"],
        serde_json::json!([{"templateId": "typewriter-terminal", "sourceKey": "typewriter-terminal",
            "catalogFrames": 180, "codeFrames": 210, "at": "7:14",
            "file": "templates/typewriter-terminal.tsx"}])
    );
    let report = wd.ok(&["report", "dataset/v1"]);
    assert!(
        report
            .stdout
            .contains("typewriter-terminal: the catalog says 180 frames, the code exports 210 (templates/typewriter-terminal.tsx:7:14)"),
        "{report}"
    );
}

#[test]
fn a_catalog_with_wrong_durations_gets_briefs_with_the_codes() {
    let wd = Workdir::starter();
    let ids = [
        "orbit-logo-reveal",
        "countdown-portrait",
        "kinetic-headline",
        "lower-third",
        "product-price-tag",
        "typewriter-terminal",
        "progress-steps",
        "quote-card",
        "google-ai-search",
    ];
    for id in ids {
        set_catalog_duration(&wd, id, Some(999));
    }
    wd.ok(&["build"]);
    for e in examples(&wd, "v1") {
        let meta = &e["meta"];
        if ids.contains(&meta["templateId"].as_str().unwrap()) {
            assert_ne!(meta["duration"], 999, "{meta}");
            assert_eq!(meta["durationSource"], "code");
            let frames = meta["duration"].as_u64().unwrap();
            assert!(
                brief(&e).contains(&format!("({frames} frames).")),
                "{}",
                brief(&e)
            );
        }
    }
    let mismatches = stats(&wd, "v1")["durations"]["mismatches"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(mismatches.len(), ids.len());
    let orbit = mismatches
        .iter()
        .find(|m| m["templateId"] == "orbit-logo-reveal")
        .unwrap();
    assert_eq!(
        (
            orbit["catalogFrames"].as_u64(),
            orbit["codeFrames"].as_u64()
        ),
        (Some(999), Some(150))
    );
    assert_eq!(orbit["at"], "5:14");
    wd.ok(&["validate", "dataset/v1"]);
}

#[test]
fn catalog_durations_on_request_and_strict_refuses_a_false_one() {
    let wd = Workdir::starter();
    wd.edit("template-sft.toml", |t| {
        t.replace(
            "[video]\nfps = 30",
            "[video]\nfps = 30\nduration_source = \"catalog\"",
        )
    });
    let run = wd.ok(&["build"]);
    assert!(
        run.stderr.contains("briefs state the catalog's (video.duration_source = \"catalog\"), which the code does not render"),
        "{run}"
    );
    for e in examples(&wd, "v1")
        .iter()
        .filter(|e| e["meta"]["templateId"] == "typewriter-terminal")
    {
        assert_eq!(e["meta"]["duration"], 180);
        assert_eq!(e["meta"]["durationSource"], "catalog");
    }
    assert_eq!(
        stats(&wd, "v1")["durations"]["mismatches"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let strict = wd.fails(&["build", "--strict"], 4);
    assert_eq!(
        strict.stderr.lines().last().unwrap(),
        "error: --strict: 1 template whose catalog duration differs from the code's; nothing was written"
    );
    assert_eq!(wd.outputs("dataset"), ["v1"]);
    // With the code's durations the same project is strict-clean.
    wd.edit("template-sft.toml", |t| {
        t.replace("duration_source = \"catalog\"", "")
    });
    wd.ok(&["build", "--strict"]);
}

#[test]
fn a_catalog_entry_without_a_duration_is_kept_when_the_code_states_one() {
    let wd = Workdir::starter();
    set_catalog_duration(&wd, "progress-steps", None);
    set_catalog_duration(&wd, "gradient-waves-background", None);
    let run = wd.ok(&["build"]);
    let st = stats(&wd, "v1");
    let skipped = st["skippedTemplates"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{run}");
    assert_eq!(skipped[0]["templateId"], "gradient-waves-background");
    assert_eq!(
        skipped[0]["reason"],
        "no duration: its code exports none (durationInFrames), the catalog entry has none, and video.default_duration is not set"
    );
    assert!(examples(&wd, "v1")
        .iter()
        .any(|e| e["meta"]["templateId"] == "progress-steps" && e["meta"]["duration"] == 150));
}

#[test]
fn an_export_that_cannot_be_evaluated_is_located_and_the_catalog_stands_in() {
    let wd = Workdir::starter();
    wd.edit("templates/lower-third.tsx", |t| {
        t.replace(
            "export const durationInFrames = 120;",
            "export const durationInFrames = secondsFromTheCms() * 30;",
        )
    });
    let run = wd.ok(&["build"]);
    assert!(
        run.stderr.contains("warning: templates/lower-third.tsx:3:14: template \"lower-third\": the code's duration is not determinable (running the module throws ReferenceError: secondsFromTheCms is not defined); briefs state 4 seconds (120 frames)"),
        "{run}"
    );
    let d = &stats(&wd, "v1")["durations"];
    assert_eq!(d["notDeterminable"][0]["templateId"], "lower-third");
    assert_eq!(d["notDeterminable"][0]["at"], "3:14");
    assert_eq!(d["fromCatalog"], 4);
    // A warm rebuild (verdicts from the gate cache) decides the same.
    wd.ok(&["build"]);
    assert_eq!(
        stats(&wd, "v1-1")["durations"],
        stats(&wd, "v1")["durations"]
    );
}

#[test]
fn validate_finds_a_brief_that_does_not_state_its_duration() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    wd.edit("dataset/v1/train.jsonl", |t| {
        t.replacen("(120 frames).", "(90 frames).", 1)
    });
    let run = wd.fails(&["validate", "dataset/v1", "--json"], 1);
    let findings = run.json()["findings"].as_array().unwrap().clone();
    let stated: Vec<&Value> = findings
        .iter()
        .filter(|f| f["category"] == "duration_not_stated")
        .collect();
    assert_eq!(stated.len(), 1, "{run}");
    assert!(stated[0]["file"].as_str().unwrap().ends_with("train.jsonl"));
    assert!(stated[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("meta says 120 frames at 30 fps"));
}
