//! The hostile-input corpus in `tests/fixtures/bad/` (see its README), and generated giants.

use crate::support;

use std::fs;
use std::path::Path;

use support::{repo_root, Workdir};

/// The starter's own deliberate flaws warn in every run (a malformed prompt line, a prompt for a
/// template not in its catalog, a catalog duration the code does not have); cases pin the rest.
const STARTER_WARNINGS: [&str; 6] = [
    "warning: prompts/metadata_prompt_dataset.jsonl:13: ",
    "warning: prompts/metadata_prompt_dataset.jsonl:12: 1 curated prompt for template \"confetti-burst\"",
    "warning: prompts/metadata_finetune_dataset.jsonl:6: prompt for template \"kinetic-headline\" repeats",
    "warning: prompts/metadata_prompt_dataset.jsonl:8: prompt for template \"lower-third\" asks for portrait",
    "warning: templates/typewriter-terminal.tsx:7:14: ",
    // The machine running the tests can render (scripts/test.sh installs Node.js and Chromium).
    "warning: scenes were not rendered: ",
];

/// Lay `files` over the work directory, removing files that stand where a folder must go.
fn overlay(files: &Path, wd: &Workdir, rel: &Path) {
    for entry in fs::read_dir(files.join(rel)).unwrap() {
        let entry = entry.unwrap();
        let rel = rel.join(entry.file_name());
        let target = wd.path(rel.to_str().unwrap());
        if entry.file_type().unwrap().is_dir() {
            if target.is_file() {
                fs::remove_file(&target).unwrap();
            }
            fs::create_dir_all(&target).unwrap();
            overlay(files, wd, &rel);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Visible (non-dot) entries of the output root; a file standing in for the root counts as none.
fn versions(wd: &Workdir) -> Vec<String> {
    if !wd.path("dataset").is_dir() {
        return Vec::new();
    }
    wd.list("dataset")
        .into_iter()
        .filter(|n| !n.starts_with('.'))
        .collect()
}

#[test]
fn every_case_in_the_corpus_gives_its_pinned_outcome() {
    let root = repo_root().join("tests/fixtures/bad");
    let mut cases: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 40, "the corpus holds {} cases", cases.len());
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expect = fs::read_to_string(case.join("expect")).unwrap();
        let mut lines = expect.lines();
        let code: i32 = lines
            .next()
            .unwrap()
            .strip_prefix("exit ")
            .unwrap()
            .parse()
            .unwrap();
        let expected: Vec<&str> = lines.collect();

        let wd = Workdir::starter();
        overlay(&case.join("files"), &wd, Path::new(""));
        let run = wd.run(&["build"]);
        assert_eq!(run.code, Some(code), "{name}\n{run}");
        assert!(!run.stderr.contains("panicked"), "{name}\n{run}");
        let stderr: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| !STARTER_WARNINGS.iter().any(|w| l.starts_with(w)))
            .collect();
        assert_eq!(stderr, expected, "{name}\n{run}");
        if code != 0 {
            assert!(
                versions(&wd).is_empty(),
                "{name}: a failed build left {:?}",
                versions(&wd)
            );
        } else {
            assert_eq!(versions(&wd), ["v1"], "{name}");
        }
    }
}

#[test]
fn a_50_mb_line_in_a_prompt_file_is_skipped_with_a_warning() {
    let wd = Workdir::starter();
    let mut line = String::from("{\"prompt\": \"");
    line.push_str(&"x".repeat(50 * 1024 * 1024));
    line.push_str("\", \"expected_template_id\": \"quote-card\"\n");
    // Unterminated object on purpose: the line is malformed, and huge.
    wd.write(
        "prompts/metadata_finetune_dataset.jsonl",
        line.trim_end().trim_end_matches('}').to_string() + "\n",
    );
    let run = wd.ok(&["build"]);
    assert!(run.stderr.contains("warning: prompts/metadata_finetune_dataset.jsonl:1: skipped: invalid JSON: EOF while parsing an object"), "{}", &run.stderr[..run.stderr.len().min(2000)]);
}

#[test]
fn a_50_mb_catalog_line_that_is_not_json_is_one_located_error() {
    let wd = Workdir::starter();
    let catalog = fs::read_to_string(wd.path("catalog.json")).unwrap();
    let entries: Vec<serde_json::Value> = serde_json::from_str(&catalog).unwrap();
    let mut text = format!("{}\n", entries[0]);
    text.push_str(&"#".repeat(50 * 1024 * 1024));
    text.push('\n');
    wd.write("catalog.jsonl", text);
    wd.edit("template-sft.toml", |t| {
        t.replace("path = \"catalog.json\"", "path = \"catalog.jsonl\"")
    });
    let run = wd.fails(&["build"], 2);
    assert_eq!(
        run.stderr.lines().last().unwrap(),
        "error: catalog.jsonl:2:1: a catalog entry must be an object, found a number"
    );
}

#[test]
fn a_catalog_of_100k_entries_builds_what_has_code() {
    let wd = Workdir::starter();
    let catalog = fs::read_to_string(wd.path("catalog.json")).unwrap();
    let mut entries: Vec<serde_json::Value> = serde_json::from_str(&catalog).unwrap();
    for i in 0..100_000 - entries.len() {
        entries.push(serde_json::json!({
            "id": format!("generated-{i}"), "name": format!("Generated {i}"), "duration": 90,
            "supportedFormats": ["square"], "primaryUse": "A generated scene"
        }));
    }
    wd.write("catalog.json", serde_json::to_vec(&entries).unwrap());
    let run = wd.ok(&["build", "-q"]);
    assert!(
        run.stdout.ends_with("from 12 templates\n"),
        "{}",
        run.stdout
    );
    let stats: serde_json::Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    assert_eq!(stats["templatesProcessed"], 100_000);
    assert_eq!(
        stats["missingTemplates"].as_array().unwrap().len(),
        100_000 - 12
    );
}
