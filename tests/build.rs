//! `template-sft build` end to end on the starter project and variations of it.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use support::{jsonl, Workdir};

const SPLITS: [&str; 3] = ["train", "validation", "test"];

fn all_examples(wd: &Workdir, version: &str) -> Vec<Value> {
    SPLITS
        .iter()
        .flat_map(|s| jsonl(&wd.read(&format!("dataset/{version}/{s}.jsonl"))))
        .collect()
}

fn catalog(wd: &Workdir) -> BTreeMap<String, Value> {
    let list: Vec<Value> = serde_json::from_str(&wd.read("catalog.json")).unwrap();
    list.into_iter()
        .map(|t| (t["id"].as_str().unwrap().to_string(), t))
        .collect()
}

#[test]
fn starter_builds_every_file_and_a_second_run_is_byte_identical() {
    let wd = Workdir::starter();
    let run = wd.ok(&["build"]);
    assert!(run.stdout.starts_with("wrote dataset/v1: "), "{run}");
    let mut expected: Vec<String> = SPLITS
        .iter()
        .flat_map(|s| {
            [
                format!("{s}.jsonl"),
                format!("{s}.upload.jsonl"),
                format!("{s}.meta.jsonl"),
            ]
        })
        .collect();
    expected.extend(["manifest.json".into(), "stats.json".into()]);
    expected.sort();
    assert_eq!(wd.list("dataset/v1"), expected);

    wd.ok(&["build"]);
    assert_eq!(wd.outputs("dataset"), ["v1", "v1-1"]);
    for split in SPLITS {
        for kind in ["jsonl", "upload.jsonl", "meta.jsonl"] {
            let name = format!("{split}.{kind}");
            assert_eq!(
                wd.read(&format!("dataset/v1/{name}")),
                wd.read(&format!("dataset/v1-1/{name}")),
                "{name} differs between runs"
            );
        }
    }
}

#[test]
fn a_different_seed_gives_a_different_split() {
    let wd = Workdir::starter();
    wd.ok(&["build", "--seed", "1"]);
    wd.ok(&["build", "--seed", "2"]);
    let ids = |v: &str| -> BTreeSet<String> {
        jsonl(&wd.read(&format!("dataset/{v}/test.meta.jsonl")))
            .iter()
            .map(|m| m["meta"]["templateId"].as_str().unwrap().to_string())
            .collect()
    };
    assert_ne!(ids("v1"), ids("v1-1"));
}

#[test]
fn sidecars_are_line_aligned_with_the_full_files() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    for split in SPLITS {
        let full = jsonl(&wd.read(&format!("dataset/v1/{split}.jsonl")));
        let upload = jsonl(&wd.read(&format!("dataset/v1/{split}.upload.jsonl")));
        let meta = jsonl(&wd.read(&format!("dataset/v1/{split}.meta.jsonl")));
        assert_eq!(full.len(), upload.len());
        assert_eq!(full.len(), meta.len());
        for ((f, u), m) in full.iter().zip(&upload).zip(&meta) {
            assert_eq!(f["messages"], u["messages"]);
            assert_eq!(
                u.as_object().unwrap().len(),
                1,
                "upload lines hold messages only"
            );
            assert_eq!(f["meta"], m["meta"]);
            assert_eq!(m.as_object().unwrap().len(), 1, "meta lines hold meta only");
            assert_eq!(f["meta"]["split"], split);
        }
    }
}

#[test]
fn assistant_is_the_stored_code_minus_trailing_whitespace() {
    let wd = Workdir::starter();
    // Trailing blank lines and spaces in the source must not reach the dataset; nothing else changes.
    wd.edit("templates/quote-card.tsx", |code| {
        format!("{code}\n\n   \n")
    });
    wd.ok(&["build"]);
    let examples = all_examples(&wd, "v1");
    assert!(!examples.is_empty());
    for e in &examples {
        let id = e["meta"]["templateId"].as_str().unwrap();
        let origin = e["meta"]["codeOrigin"].as_str().unwrap();
        let file = if origin == "override" {
            format!("code-overrides/{id}.tsx")
        } else {
            format!("templates/{id}.tsx")
        };
        let stored = wd.read(&file);
        let messages = e["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[0]["role"], "system");
        assert_eq!(messages[1]["role"], "user");
        assert_eq!(messages[2]["role"], "assistant");
        assert_eq!(
            messages[2]["content"].as_str().unwrap(),
            stored.trim_end(),
            "{id}"
        );
    }
}

#[test]
fn every_brief_states_a_supported_format_with_its_size_and_the_duration() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    let catalog = catalog(&wd);
    let sizes = BTreeMap::from([
        ("landscape", "1920x1080"),
        ("portrait", "1080x1920"),
        ("square", "1080x1080"),
    ]);
    for e in all_examples(&wd, "v1") {
        let meta = &e["meta"];
        let id = meta["templateId"].as_str().unwrap();
        let format = meta["format"].as_str().unwrap();
        let supported: Vec<&str> = catalog[id]["supportedFormats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert!(supported.contains(&format), "{id} asks for {format}");
        let brief = e["messages"][1]["content"].as_str().unwrap();
        assert!(
            brief.contains(&format!("Format: {format} ({})", sizes[format])),
            "{brief}"
        );
        for other in sizes.keys().filter(|f| !supported.contains(f)) {
            assert!(!brief.contains(&format!("Format: {other}")), "{brief}");
        }
        // The duration the code exports where it exports one (tests/durations.rs), else the catalog's.
        let frames = meta["duration"].as_u64().unwrap();
        assert!(brief.contains(&format!("({frames} frames)")), "{brief}");
        if meta["durationSource"] == "catalog" {
            assert_eq!(catalog[id]["duration"].as_u64(), Some(frames));
        }
    }
}

#[test]
fn template_mode_keeps_each_template_in_one_split() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    let mut split_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in all_examples(&wd, "v1") {
        split_of
            .entry(e["meta"]["templateId"].as_str().unwrap().into())
            .or_default()
            .insert(e["meta"]["split"].as_str().unwrap().into());
    }
    assert_eq!(split_of.len(), 12);
    for (id, splits) in split_of {
        assert_eq!(splits.len(), 1, "{id} is in {splits:?}");
    }
}

#[test]
fn example_mode_places_examples_individually() {
    let wd = Workdir::starter();
    wd.edit("template-sft.toml", |t| {
        t.replace("mode = \"template\"", "mode = \"example\"")
    });
    wd.ok(&["build"]);
    let stats: Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    let all = stats["totals"]["all"].as_u64().unwrap();
    assert_eq!(stats["splitMode"], "example");
    // Floors of 10% each, exactly, because single examples can be placed anywhere.
    assert_eq!(stats["totals"]["test"].as_u64().unwrap(), all / 10);
    assert_eq!(stats["totals"]["validation"].as_u64().unwrap(), all / 10);
}

#[test]
fn stats_report_gating_fallbacks_synthesis_and_malformed_lines() {
    let wd = Workdir::starter();
    let run = wd.ok(&["build"]);
    assert!(
        run.stderr.contains("warning: prompts/metadata_prompt_dataset.jsonl:13: skipped: invalid JSON: expected `,` or `}`"),
        "{run}"
    );
    let stats: Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    assert_eq!(stats["briefs"]["gated"], 1);
    assert_eq!(
        stats["briefs"]["gatedPrompts"][0]["templateId"],
        "lower-third"
    );
    assert_eq!(
        stats["briefs"]["gatedPrompts"][0]["at"],
        "prompts/metadata_prompt_dataset.jsonl:8"
    );
    assert_eq!(stats["prompts"]["malformed"], 1);
    assert_eq!(stats["prompts"]["duplicates"], 1);
    assert_eq!(stats["prompts"]["unmatched"], 1);
    assert_eq!(
        stats["codeOverridesUsed"][0]["templateId"],
        "pill-shaped-bar-chart"
    );
    assert_eq!(
        stats["synthesizedTemplates"],
        serde_json::json!(["stats-counter", "gradient-waves-background"])
    );
    assert_eq!(stats["uniqueTemplatesCovered"], 12);
    assert_eq!(stats["missingTemplates"], serde_json::json!([]));
    let totals = &stats["totals"];
    assert_eq!(
        totals["all"].as_u64().unwrap(),
        totals["train"].as_u64().unwrap()
            + totals["validation"].as_u64().unwrap()
            + totals["test"].as_u64().unwrap()
    );
    let ts = stats["generatedAt"].as_str().unwrap();
    assert!(ts.len() == 20 && ts.ends_with('Z'), "{ts}");
}

#[test]
fn a_missing_code_file_suggests_its_near_miss() {
    let wd = Workdir::starter();
    std::fs::rename(
        wd.path("templates/lower-third.tsx"),
        wd.path("templates/Lower-Third.tsx"),
    )
    .unwrap();
    std::fs::rename(
        wd.path("templates/quote-card.tsx"),
        wd.path("templates/quote-card.jsx"),
    )
    .unwrap();
    std::fs::rename(
        wd.path("templates/stats-counter.tsx"),
        wd.path("templates/stat-counter.tsx"),
    )
    .unwrap();
    let run = wd.ok(&["build"]);
    for (id, near) in [
        ("lower-third", "templates/Lower-Third.tsx"),
        ("quote-card", "templates/quote-card.jsx"),
        ("stats-counter", "templates/stat-counter.tsx"),
    ] {
        assert!(
            run.stderr.contains(&format!(
                "no file templates/{id}.tsx (did you mean {near}?)"
            )),
            "{id}\n{run}"
        );
    }
}

#[test]
fn prompts_for_unknown_templates_are_warned_about_located_and_listed() {
    let wd = Workdir::starter();
    wd.write(
        "prompts/metadata_finetune_dataset.jsonl",
        concat!(
            "{\"prompt\": \"a pull quote\", \"expected_template_id\": \"quote-crad\"}\n",
            "{\"prompt\": \"another pull quote\", \"expected_template_id\": \"quote-crad\"}\n",
        ),
    );
    wd.edit("template-sft.toml", |t| {
        t.replace(
            "overrides = \"overrides.json\"",
            "overrides = \"overides.json\"",
        )
    });
    let run = wd.ok(&["build"]);
    assert!(
        run.stderr.contains("warning: prompts/metadata_finetune_dataset.jsonl:1: 2 curated prompts for template \"quote-crad\" not used: no catalog entry has this id (did you mean \"quote-card\"?)"),
        "{run}"
    );
    assert!(
        run.stderr.contains("warning: overides.json: prompts.overrides names a file that does not exist; no prompt additions read (did you mean overrides.json?)"),
        "{run}"
    );
    let stats: Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    let unmatched = &stats["prompts"]["unmatchedPrompts"];
    assert_eq!(unmatched[1]["target"], "quote-crad");
    assert_eq!(unmatched[1]["prompts"], 2);
    assert_eq!(
        unmatched[1]["firstAt"],
        "prompts/metadata_finetune_dataset.jsonl:1"
    );
    // A prompt for an entry left out by --limit is not a typo, and says so.
    let run = wd.ok(&["build", "--limit", "11"]);
    assert!(
        run.stderr.contains(
            "for template \"google-ai-search\" not used: its catalog entry is past --limit"
        ),
        "{run}"
    );
}

#[test]
fn templates_without_code_are_listed_and_skipped() {
    let wd = Workdir::starter();
    wd.remove("templates/lower-third.tsx");
    wd.write("templates/quote-card.tsx", "  \n\t\n");
    let run = wd.ok(&["build"]);
    // Where it looked, at the catalog entry's place.
    assert!(
        run.stderr.contains("warning: catalog.json:7:3: template \"lower-third\" has no code (no file templates/lower-third.tsx, and no code override code-overrides/lower-third.tsx); skipped"),
        "{run}"
    );
    let stats: Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    let missing: Vec<&str> = stats["missingTemplates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["templateId"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["quote-card", "lower-third"]);
    assert_eq!(
        stats["missingTemplates"][0]["dbId"],
        catalog(&wd)["quote-card"]["source"]["dbId"]
    );
    assert_eq!(stats["uniqueTemplatesCovered"], 10);
    assert!(all_examples(&wd, "v1")
        .iter()
        .all(|e| e["meta"]["templateId"] != "lower-third"));
}

#[test]
fn curated_prompts_are_used_and_capped_per_template() {
    let wd = Workdir::starter();
    wd.edit("template-sft.toml", |t| {
        t.replace("variants_per_template = 4", "variants_per_template = 1")
    });
    wd.ok(&["build"]);
    let examples = all_examples(&wd, "v1");
    assert_eq!(examples.len(), 12, "one brief per template");
    let orbit = examples
        .iter()
        .find(|e| e["meta"]["templateId"] == "orbit-logo-reveal")
        .unwrap();
    assert_eq!(orbit["meta"]["promptVariant"], "override-1");
    assert!(orbit["messages"][1]["content"]
        .as_str()
        .unwrap()
        .starts_with("Logo reveal with orbiting rings for a fintech launch."));
}

#[test]
fn dry_run_prints_counts_and_samples_and_writes_nothing() {
    let wd = Workdir::starter();
    let run = wd.ok(&["build", "--dry-run", "--samples", "1"]);
    assert!(
        run.stdout
            .starts_with("dry run: nothing written (a build would write dataset/v1)\nexamples: "),
        "{run}"
    );
    assert_eq!(run.stdout.matches("--- sample").count(), 1, "{run}");
    assert!(run.stdout.contains("\"role\": \"assistant\""), "{run}");
    assert!(!wd.path("dataset").exists());
    // The sample is the line a build writes, field for field.
    let (header, sample) = run
        .stdout
        .split_once("--- sample 1 of 1: ")
        .unwrap()
        .1
        .split_once('\n')
        .unwrap();
    let split = header.split(" / ").next().unwrap();
    let sample: Value = serde_json::from_str(sample).unwrap();
    wd.ok(&["build"]);
    let written = jsonl(&wd.read(&format!("dataset/v1/{split}.jsonl")));
    let line = written
        .iter()
        .find(|l| l["meta"] == sample["meta"])
        .unwrap_or_else(|| panic!("no {split} line has the sample's meta: {sample}"));
    assert_eq!(line, &sample);
}

#[test]
fn limit_takes_the_first_templates() {
    let wd = Workdir::starter();
    wd.ok(&["build", "--limit", "3"]);
    let stats: Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    assert_eq!(stats["templatesProcessed"], 3);
}

#[test]
fn an_existing_version_is_never_touched() {
    let wd = Workdir::starter();
    wd.write("dataset/v1/notes.txt", "mine");
    wd.write("dataset/v1-1", "a file in the way");
    std::os::unix::fs::symlink(wd.path("elsewhere"), wd.path("dataset/v1-2")).unwrap();
    let run = wd.ok(&["build", "--tag", "v1"]);
    assert!(run.stdout.starts_with("wrote dataset/v1-3:"), "{run}");
    assert_eq!(wd.list("dataset/v1"), ["notes.txt"]);
    assert_eq!(wd.read("dataset/v1-1"), "a file in the way");
    assert!(!wd.path("elsewhere").exists());
}

#[test]
fn the_manifest_matches_the_files_and_names_the_inputs() {
    use sha2::{Digest, Sha256};
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    let manifest: Value = serde_json::from_str(&wd.read("dataset/v1/manifest.json")).unwrap();
    let files = manifest["files"].as_array().unwrap();
    assert_eq!(files.len(), 10);
    for f in files {
        let name = f["name"].as_str().unwrap();
        let bytes = std::fs::read(wd.path(&format!("dataset/v1/{name}"))).unwrap();
        assert_eq!(f["sha256"], hex::encode(Sha256::digest(&bytes)), "{name}");
        assert_eq!(f["bytes"], bytes.len() as u64);
        assert_eq!(
            f["lines"],
            bytes.iter().filter(|&&b| b == b'\n').count() as u64
        );
    }
    let kinds: Vec<&str> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["config", "catalog", "prompts", "prompts", "overrides"]
    );
    assert_eq!(manifest["config"]["split"]["seed"], 42);
    assert_eq!(manifest["code"]["templates"], 12);
}

#[test]
fn init_writes_a_config_once() {
    let wd = Workdir::new();
    let run = wd.ok(&["init", "proj"]);
    assert!(run.stderr.contains("wrote proj/template-sft.toml"), "{run}");
    assert!(wd.read("proj/template-sft.toml").contains("[split]"));
    let again = wd.fails(&["init", "proj"], 2);
    assert_eq!(
        again.stderr,
        "error: proj/template-sft.toml already exists; not overwriting it\n"
    );
}

#[test]
fn a_rebuild_reuses_the_gate_verdicts_and_writes_the_same_bytes() {
    let wd = Workdir::starter();
    let cold = wd.ok(&["build", "-v"]);
    assert!(
        cold.stderr
            .contains("gate cache: 0 of 12 code bodies unchanged since the last build"),
        "{cold}"
    );
    assert!(
        cold.stderr
            .contains("token counts: 0 of 28 texts remembered from the last build"),
        "{cold}"
    );
    let warm = wd.ok(&["build", "-v"]);
    assert!(
        warm.stderr
            .contains("gate cache: 12 of 12 code bodies unchanged since the last build"),
        "{warm}"
    );
    // The briefs' and the system prompt's token counts too (the meta files below hold them).
    assert!(
        warm.stderr
            .contains("token counts: 28 of 28 texts remembered from the last build"),
        "{warm}"
    );
    for name in ["train.jsonl", "validation.jsonl", "test.meta.jsonl"] {
        assert_eq!(
            wd.read(&format!("dataset/v1/{name}")),
            wd.read(&format!("dataset/v1-1/{name}"))
        );
    }
    // A changed template is checked again; the others are not.
    wd.edit("templates/quote-card.tsx", |c| {
        c.replace("Georgia", "Garamond")
    });
    let run = wd.ok(&["build", "-v"]);
    assert!(
        run.stderr.contains("gate cache: 11 of 12 code bodies"),
        "{run}"
    );
    // A new system prompt is counted; the briefs' counts are still remembered, and the examples'
    // totals are those of a build that remembers nothing.
    wd.edit("template-sft.toml", |t| {
        t.replace("Respond with valid TSX only.", "Respond with TSX only.")
    });
    let run = wd.ok(&["build", "-v"]);
    assert!(
        run.stderr
            .contains("token counts: 27 of 28 texts remembered from the last build"),
        "{run}"
    );
    wd.ok(&["build", "-q", "--no-cache"]);
    assert_eq!(
        wd.read("dataset/v1-3/train.meta.jsonl"),
        wd.read("dataset/v1-4/train.meta.jsonl")
    );
    // The new prompt's count was kept (--no-cache neither read nor wrote the file).
    let run = wd.ok(&["build", "-v"]);
    assert!(
        run.stderr
            .contains("token counts: 28 of 28 texts remembered from the last build"),
        "{run}"
    );
    // Other rules, another cache: nothing is reused.
    wd.edit("template-sft.toml", |t| {
        format!("{t}\n[check]\nforbidden = [\"eval\"]\n")
    });
    let run = wd.ok(&["build", "-v"]);
    assert!(
        run.stderr.contains("gate cache: 0 of 12 code bodies"),
        "{run}"
    );
    // A damaged cache is ignored, and --no-cache neither reads nor writes it.
    wd.write("dataset/.template-sft-cache/gate.jsonl", "garbage\n{{{");
    let run = wd.ok(&["build", "-v", "--no-cache"]);
    assert!(
        run.stderr.contains("gate cache: 0 of 12 code bodies"),
        "{run}"
    );
    assert_eq!(
        wd.read("dataset/.template-sft-cache/gate.jsonl"),
        "garbage\n{{{"
    );
    let run = wd.ok(&["build", "-v"]);
    assert!(
        run.stderr.contains("gate cache: 0 of 12 code bodies"),
        "{run}"
    );
    // Rejections are remembered too, with their reasons.
    wd.write(
        "templates/lower-third.tsx",
        "```tsx\nexport default 1;\n```\n",
    );
    wd.ok(&["build"]);
    let run = wd.ok(&["build", "-v"]);
    // Remembered with its place: the warning points at the file, line and column.
    assert!(
        run.stderr.contains(
            "warning: templates/lower-third.tsx:1:1: template \"lower-third\" rejected (no_fences): Markdown code fence"
        ),
        "{run}"
    );
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    // `template-sft build | head -0`: the reader is gone before the result line is printed.
    let wd = Workdir::starter();
    let (code, stderr) = wd.run_with_stdout_closed(&["build"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(wd.outputs("dataset"), ["v1"]);
}

#[test]
fn each_kind_of_warning_prints_twenty_then_a_count_and_a_tally() {
    let wd = Workdir::starter();
    // Twenty-five catalog entries with no code anywhere.
    wd.edit("catalog.json", |text| {
        let mut list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        let model = list[0].clone();
        for i in 0..25 {
            let mut entry = model.clone();
            entry["id"] = format!("no-code-{i:02}").into();
            entry["source"]["dbId"] = format!("00000000-0000-4000-8000-{i:012}").into();
            list.push(entry);
        }
        serde_json::to_string_pretty(&list).unwrap()
    });
    let run = wd.ok(&["build"]);
    let shown = |stderr: &str| stderr.lines().filter(|l| l.contains("has no code")).count();
    assert_eq!(shown(&run.stderr), 20, "{run}");
    assert!(
        run.stderr.contains(
            "warning: … and 5 more missing_code (stats.json: missingTemplates); -v prints them all"
        ),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("\n25 warnings: missing_code (stats.json: missingTemplates)\n"),
        "{run}"
    );
    // The stats keep all of them.
    let stats: serde_json::Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    assert_eq!(stats["missingTemplates"].as_array().unwrap().len(), 25);
    // -v prints every one; -q none.
    let verbose = wd.ok(&["build", "-v"]);
    assert_eq!(shown(&verbose.stderr), 25, "{verbose}");
    assert!(!verbose.stderr.contains("more missing_code"));
    let quiet = wd.ok(&["build", "-q"]);
    assert_eq!(quiet.stderr, "");
}

#[test]
fn warnings_come_in_the_order_the_inputs_are_named() {
    // The config names the catalog, then the prompt files, then the code: a prompt file's warning
    // comes before the code stage's, not after a long fetch, and a prompt file that cannot be read
    // stops the build before any code is fetched.
    let wd = Workdir::starter();
    wd.edit("template-sft.toml", |t| {
        t.replace(
            "overrides = \"overrides.json\"",
            "overrides = \"gone.json\"",
        )
    });
    wd.remove("templates/quote-card.tsx");
    let run = wd.ok(&["build"]);
    let prompt = run
        .stderr
        .find("warning: gone.json: prompts.overrides names a file that does not exist")
        .unwrap_or_else(|| panic!("no warning about the prompt file\n{run}"));
    let code = run
        .stderr
        .find("template \"quote-card\" has no code")
        .unwrap_or_else(|| panic!("no warning about the code\n{run}"));
    assert!(prompt < code, "prompt file after code\n{run}");

    wd.remove("prompts/metadata_finetune_dataset.jsonl");
    let run = wd.fails(&["build"], 2);
    assert!(
        run.stderr
            .contains("error: prompts/metadata_finetune_dataset.jsonl: cannot read"),
        "{run}"
    );
    assert!(
        !run.stderr.contains("has no code"),
        "code fetched first\n{run}"
    );
}
