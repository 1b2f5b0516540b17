//! Held-out means held out: near-copy templates share a split, identical examples are written once,
//! and `validate` finds near-copy leakage in any chat JSONL.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;
use support::{jsonl, Workdir};
use template_sft::BuildOptions;
use template_sft::{validate, Category, Target, ValidateOptions};
use template_sft::{Config, Overrides};

const SPLITS: [&str; 3] = ["train", "validation", "test"];

/// Add a catalog entry copied from `from` under `id`, with `code` as its scene.
fn add_template(wd: &Workdir, from: &str, id: &str, code: &str) {
    wd.edit("catalog.json", |text| {
        let mut list: Vec<Value> = serde_json::from_str(&text).unwrap();
        let mut entry = list.iter().find(|e| e["id"] == from).unwrap().clone();
        entry["id"] = id.into();
        entry["name"] = format!("{} (copy)", entry["name"].as_str().unwrap()).into();
        entry["source"]["dbId"] = format!("00000000-0000-4000-8000-{:012}", list.len()).into();
        list.push(entry);
        serde_json::to_string_pretty(&list).unwrap()
    });
    wd.write(&format!("templates/{id}.tsx"), code);
}

fn metas(dir: &Path) -> Vec<Value> {
    SPLITS
        .iter()
        .flat_map(|s| {
            let path = dir.join(format!("{s}.meta.jsonl"));
            jsonl(&std::fs::read_to_string(path).unwrap_or_default())
        })
        .map(|m| m["meta"].clone())
        .collect()
}

#[test]
fn clusters_never_straddle_splits_whatever_the_seed() {
    let wd = Workdir::new();
    template_sft::internals::synth::write_project(
        &wd.path("p"),
        &template_sft::internals::synth::Options {
            templates: 120,
            prompts_per_template: 3,
            median_code_bytes: 3000,
            seed: 7,
            near_copies: 0.35,
            family_size: 0,
        },
    )
    .unwrap();
    let mut clustered_somewhere = 0;
    for seed in 0..15u64 {
        let mut config = Config::read(&wd.path("p/template-sft.toml")).unwrap();
        let mut overrides = Overrides::default();
        overrides.seed = Some(seed);
        overrides.apply(&mut config);
        let build = template_sft::build(&config, &BuildOptions::default()).unwrap();
        let version = build.version.unwrap();
        let near = &build.stats.near_copies;
        assert!(!near.clusters.is_empty(), "seed {seed}: no clusters found");
        clustered_somewhere += near.templates_in_clusters;
        // Per template: the splits its examples are in, and its cluster.
        let mut splits: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut cluster_of: BTreeMap<String, String> = BTreeMap::new();
        for m in metas(&version) {
            let id = m["templateId"].as_str().unwrap().to_string();
            splits
                .entry(id.clone())
                .or_default()
                .insert(m["split"].as_str().unwrap().to_string());
            cluster_of.insert(id, m["cluster"].as_str().unwrap().to_string());
        }
        for c in &near.clusters {
            let in_splits: BTreeSet<&String> =
                // A template whose examples were all written once under a twin has none here.
                c.templates.iter().flat_map(|t| splits.get(t).into_iter().flatten()).collect();
            assert_eq!(
                in_splits.len(),
                1,
                "seed {seed}: {c:?} straddles {in_splits:?}"
            );
            assert_eq!(in_splits.into_iter().next().unwrap(), c.split.name());
            for t in c.templates.iter().filter(|t| cluster_of.contains_key(*t)) {
                assert_eq!(cluster_of[t], c.templates[0], "seed {seed}");
            }
        }
        // What the build wrote, its own validate accepts: no leakage, exact or near.
        let report = validate(
            std::slice::from_ref(&version),
            &ValidateOptions::new(Target::Openai, budget()),
        )
        .unwrap();
        assert_eq!(report.errors(), 0, "seed {seed}: {:?}", report.findings);
        assert!(
            !report.counts.contains_key(&Category::NearCopyLeakage),
            "seed {seed}: {:?}",
            report.findings
        );
    }
    assert!(clustered_somewhere > 0);
}

fn budget() -> template_sft::Budget {
    template_sft::Budget::new("gpt-4o-mini-2024-07-18", None).unwrap()
}

#[test]
fn identical_templates_with_identical_prompts_build_what_validate_accepts() {
    let wd = Workdir::starter();
    let code = wd.read("templates/quote-card.tsx");
    add_template(&wd, "quote-card", "quote-card-copy", &code);
    // The same hinted prompts for both: same brief, same code, same format.
    let mut prompts = String::new();
    for id in ["quote-card", "quote-card-copy"] {
        for text in [
            "format:square testimonial card for a customer story",
            "format:portrait quote with a big author name",
        ] {
            prompts.push_str(
                &serde_json::json!({"prompt": text, "expected_template_id": id}).to_string(),
            );
            prompts.push('\n');
        }
    }
    wd.write("prompts/metadata_finetune_dataset.jsonl", prompts);
    let run = wd.ok(&["build"]);
    let stats: Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    let duplicates = stats["duplicateExamples"].as_array().unwrap();
    assert_eq!(duplicates.len(), 2, "{run}");
    assert_eq!(duplicates[0]["templateId"], "quote-card-copy");
    assert_eq!(duplicates[0]["duplicateOf"]["templateId"], "quote-card");
    assert!(run.stderr.contains("is identical to quote-card/"), "{run}");
    let cluster = &stats["nearCopies"]["clusters"][0];
    assert_eq!(
        cluster["templates"],
        serde_json::json!(["quote-card", "quote-card-copy"])
    );
    assert_eq!(cluster["similarity"], 1.0);
    let validated = wd.ok(&["validate", "dataset/v1", "--deny-warnings"]);
    assert!(
        validated.stdout.contains("0 error(s), 0 warning(s)"),
        "{validated}"
    );
}

#[test]
fn a_renamed_twin_joins_its_original_and_report_and_diff_say_so() {
    let wd = Workdir::starter();
    let twin = wd
        .read("templates/lower-third.tsx")
        .replace("LowerThird", "LowerThirdPortrait")
        .replace("Ada Lovelace", "Grace Hopper");
    add_template(&wd, "lower-third", "lower-third-portrait", &twin);
    wd.edit("template-sft.toml", |t| {
        t.replace(
            "mode = \"template\"",
            "mode = \"template\"\nnear_copy_threshold = 0",
        )
    });
    wd.ok(&["build"]);
    let metas_off = metas(&wd.path("dataset/v1"));
    assert!(metas_off.iter().all(|m| m["cluster"] == m["templateId"]));
    wd.edit("template-sft.toml", |t| {
        t.replace("near_copy_threshold = 0", "")
    });
    wd.ok(&["build"]);
    let on = metas(&wd.path("dataset/v1-1"));
    let twin_meta = on
        .iter()
        .find(|m| m["templateId"] == "lower-third-portrait")
        .unwrap();
    assert_eq!(twin_meta["cluster"], "lower-third");
    let split_of = |id: &str| {
        on.iter()
            .filter(|m| m["templateId"] == id)
            .map(|m| m["split"].as_str().unwrap().to_string())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(split_of("lower-third"), split_of("lower-third-portrait"));
    let report = wd.ok(&["report", "dataset/v1-1"]);
    assert!(
        report
            .stdout
            .contains("near-copies:     1 cluster of 2 templates at similarity 0.36 or more"),
        "{report}"
    );
    assert!(
        report
            .stdout
            .contains("  lower-third, lower-third-portrait → "),
        "{report}"
    );
    let diff = wd.ok(&["diff", "dataset/v1", "dataset/v1-1"]);
    assert!(
        diff.stdout
            .contains("near-copy clusters formed (1):\n  lower-third, lower-third-portrait\n"),
        "{diff}"
    );
    let back = wd.ok(&["diff", "dataset/v1-1", "dataset/v1", "--json"]);
    assert_eq!(
        back.json()["clustersSplit"],
        serde_json::json!([["lower-third", "lower-third-portrait"]])
    );
}

/// A chat JSONL line with `code` as the assistant's answer.
fn line(brief: &str, code: &str) -> String {
    serde_json::json!({"messages": [
        {"role": "system", "content": "You write Remotion scenes."},
        {"role": "user", "content": brief},
        {"role": "assistant", "content": code},
    ]})
    .to_string()
        + "\n"
}

#[test]
fn validate_finds_a_near_copy_across_splits_with_both_places() {
    let wd = Workdir::starter();
    let scenes = [
        "countdown-portrait",
        "google-ai-search",
        "gradient-waves-background",
        "kinetic-headline",
        "lower-third",
        "orbit-logo-reveal",
        "product-price-tag",
        "progress-steps",
        "quote-card",
        "stats-counter",
    ];
    let mut train = String::new();
    for s in scenes {
        train.push_str(&line(
            &format!("Make {s}"),
            &wd.read(&format!("templates/{s}.tsx")),
        ));
    }
    wd.write("data/train.jsonl", train);
    let twin = wd
        .read("templates/quote-card.tsx")
        .replace("QuoteCard", "TestimonialCard");
    let other = wd.read("templates/typewriter-terminal.tsx");
    wd.write(
        "data/test.jsonl",
        line("A testimonial", &twin) + &line("A terminal", &other),
    );
    let run = wd.ok(&["validate", "data", "--json"]);
    let findings = run.json()["findings"].as_array().unwrap().clone();
    let near: Vec<&Value> = findings
        .iter()
        .filter(|f| f["category"] == "near_copy_leakage")
        .collect();
    assert_eq!(near.len(), 1, "{run}");
    assert_eq!(near[0]["severity"], "warning");
    assert!(near[0]["file"]
        .as_str()
        .unwrap()
        .ends_with("data/test.jsonl"));
    assert_eq!(near[0]["line"], 1);
    let message = near[0]["message"].as_str().unwrap();
    assert!(message.contains("data/train.jsonl:9's"), "{message}");
    assert!(
        message.starts_with("assistant output is a near-copy (similarity 0."),
        "{message}"
    );
    wd.fails(&["validate", "data", "--deny-warnings"], 1);
    let off = wd.ok(&[
        "validate",
        "data",
        "--near-copy-threshold",
        "0",
        "--deny-warnings",
    ]);
    assert!(!off.stdout.contains("near_copy"), "{off}");
    // The starter's own build is clean.
    wd.ok(&["build"]);
    let clean = wd.ok(&["validate", "dataset/v1", "--deny-warnings"]);
    assert!(!clean.stdout.contains("near_copy"), "{clean}");
}

#[test]
fn a_warm_rebuild_computes_the_signatures_again_and_finds_the_same_clusters() {
    let wd = Workdir::new();
    template_sft::internals::synth::write_project(
        &wd.path("p"),
        &template_sft::internals::synth::Options {
            templates: 60,
            prompts_per_template: 2,
            median_code_bytes: 3000,
            seed: 11,
            near_copies: 0.0,
            family_size: 12,
        },
    )
    .unwrap();
    let config = Config::read(&wd.path("p/template-sft.toml")).unwrap();
    let cold = template_sft::build(&config, &BuildOptions::default()).unwrap();
    // Five families of twelve variants: five clusters.
    assert_eq!(cold.stats.near_copies.clusters.len(), 5);
    assert!(cold
        .stats
        .near_copies
        .clusters
        .iter()
        .all(|c| c.templates.len() == 12));
    // The cache holds each accepted code's verdict, not its signature (a rebuild computes it).
    let cache = wd.read("p/dataset/.template-sft-cache/gate.jsonl");
    assert_eq!(cache.matches("\"tokens\":").count(), 60, "{cache}");
    assert!(!cache.contains("signature"), "{cache}");
    // A rebuild takes the verdicts from the cache, computes the signatures again and finds
    // exactly what the cold build found.
    let warm = template_sft::build(&config, &BuildOptions::default()).unwrap();
    assert_eq!(warm.stats.near_copies, cold.stats.near_copies);
    for name in ["train.jsonl", "validation.jsonl", "test.jsonl"] {
        assert_eq!(
            wd.read(&format!("p/dataset/v1/{name}")),
            wd.read(&format!("p/dataset/v1-1/{name}"))
        );
    }
}
