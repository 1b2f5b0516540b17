//! `template-sft validate`: every category fires on its fixture at the right line; build output
//! passes clean; tampering with a build directory is caught.

use crate::support;

use serde_json::Value;
use support::{repo_root, Run, Workdir};

fn validate(wd: &Workdir, args: &[&str]) -> Run {
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    wd.run(&all)
}

fn fixture(name: &str) -> String {
    repo_root()
        .join("tests/fixtures/validate")
        .join(name)
        .display()
        .to_string()
}

/// (category, line) of every finding in a --json report.
fn found(run: &Run) -> Vec<(String, Option<u64>)> {
    run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["category"].as_str().unwrap().to_string(),
                f["line"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn every_line_category_fires_at_its_line_and_nothing_else_does() {
    // Each fixture: 12 good examples with one bad line inserted as line 5.
    let cases: [(&str, bool); 17] = [
        ("invalid_utf8", true),
        ("blank_line", true),
        ("invalid_json", true),
        ("not_an_object", true),
        ("missing_messages", true),
        ("invalid_message", true),
        ("unknown_role", true),
        ("legacy_function_role", false),
        ("invalid_content", true),
        ("unknown_message_key", true),
        ("invalid_weight", true),
        ("no_trainable_assistant", true),
        ("invalid_tools", true),
        ("missing_system", false),
        ("missing_user", false),
        ("extra_top_level_key", false),
        ("consecutive_roles", false),
    ];
    let wd = Workdir::new();
    for (category, is_error) in cases {
        let run = validate(&wd, &[&fixture(&format!("{category}.jsonl")), "--json"]);
        assert_eq!(
            found(&run),
            [(category.to_string(), Some(5))],
            "{category}\n{run}"
        );
        assert_eq!(
            run.code,
            Some(if is_error { 1 } else { 0 }),
            "{category}\n{run}"
        );
    }
}

#[test]
fn together_treats_extra_keys_and_repeated_roles_as_errors() {
    let wd = Workdir::new();
    for category in ["extra_top_level_key", "consecutive_roles"] {
        let run = validate(
            &wd,
            &[
                &fixture(&format!("{category}.jsonl")),
                "--target",
                "together",
                "--json",
            ],
        );
        assert_eq!(run.code, Some(1), "{run}");
        assert_eq!(run.json()["findings"][0]["severity"], "error");
    }
    let run = validate(&wd, &[&fixture("missing_system.jsonl"), "--deny-warnings"]);
    assert_eq!(run.code, Some(1), "{run}");
}

#[test]
fn duplicates_name_both_lines() {
    let wd = Workdir::new();
    let run = validate(&wd, &[&fixture("duplicate_example.jsonl"), "--json"]);
    assert_eq!(found(&run), [("duplicate_example".to_string(), Some(5))]);
    assert_eq!(
        run.json()["findings"][0]["message"],
        "identical to line 2; remove one of them"
    );
}

#[test]
fn token_limits_follow_the_model_or_max_tokens() {
    let wd = Workdir::new();
    let run = validate(&wd, &[&fixture("too_many_tokens.jsonl"), "--json"]);
    assert_eq!(run.code, Some(0), "{run}");
    let run = validate(
        &wd,
        &[
            &fixture("too_many_tokens.jsonl"),
            "--max-tokens",
            "100",
            "--json",
        ],
    );
    assert_eq!(found(&run), [("too_many_tokens".to_string(), Some(5))]);
    let message = run.json()["findings"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.ends_with(
            "tokens; gpt-4o-mini-2024-07-18 accepts at most 100 per example: shorten it"
        ),
        "{message}"
    );
}

#[test]
fn file_level_rules() {
    let wd = Workdir::new();
    let run = validate(&wd, &[&fixture("too_few_examples.jsonl"), "--json"]);
    assert_eq!(found(&run), [("too_few_examples".to_string(), None)]);
    let run = validate(
        &wd,
        &[
            &fixture("too_few_examples.jsonl"),
            "--target",
            "generic",
            "--json",
        ],
    );
    assert_eq!(found(&run), []);

    // File size: through the library, with a small limit (a 512 MB fixture would be silly).
    use template_sft::{validate as check, Target, ValidateOptions};
    let mut options = ValidateOptions::new(
        Target::Openai,
        template_sft::Budget::new("gpt-4.1", None).unwrap(),
    );
    options.max_file_bytes = Some(100);
    let report = check(&[fixture("missing_user.jsonl").into()], &options).unwrap();
    assert!(report.findings.iter().any(|f| f.category()
        == Some(template_sft::Category::FileTooLarge)
        && f.at.as_ref().is_some_and(|at| at.line.is_none())));
}

#[test]
fn leakage_between_train_and_test_is_reported_with_both_places() {
    let wd = Workdir::new();
    let dir = fixture("leakage");
    let run = validate(&wd, &[&dir, "--json"]);
    assert_eq!(run.code, Some(1), "{run}");
    let findings = run.json()["findings"].clone();
    let leaks: Vec<&Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "train_eval_leakage")
        .collect();
    assert_eq!(leaks.len(), 2, "{findings}");
    assert_eq!(leaks[0]["line"], 2);
    assert_eq!(
        leaks[0]["message"],
        format!("identical to {dir}/train.jsonl:3; remove it from one split")
    );
    assert_eq!(leaks[1]["line"], 4);
    assert!(leaks[1]["message"].as_str().unwrap().starts_with(&format!(
        "assistant output identical to {dir}/train.jsonl:6's"
    )));
}

#[test]
fn a_build_directory_passes_with_zero_findings() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    let run = validate(&wd, &["dataset/v1"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stdout
            .ends_with("0 error(s), 0 warning(s) in 3 file(s), 27 example(s)\n"),
        "{run}"
    );
    let run = validate(&wd, &["dataset/v1", "--json"]);
    assert_eq!(run.json()["findings"], serde_json::json!([]));
}

#[test]
fn example_mode_datasets_leak_assistant_outputs_and_validate_says_so() {
    let wd = Workdir::starter();
    wd.edit("template-sft.toml", |t| {
        t.replace("mode = \"template\"", "mode = \"example\"")
    });
    wd.ok(&["build"]);
    let run = validate(&wd, &["dataset/v1", "--json"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        found(&run).iter().all(|(c, _)| c == "train_eval_leakage"),
        "{run}"
    );
}

#[test]
fn tampering_with_a_build_directory_is_caught() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    // Drop the last example of the upload file: sidecars, manifest and stats all disagree now.
    wd.edit("dataset/v1/test.upload.jsonl", |t| {
        let mut lines: Vec<&str> = t.lines().collect();
        lines.pop();
        lines.iter().map(|l| format!("{l}\n")).collect()
    });
    wd.write("dataset/v1/notes.txt", "extra");
    let run = validate(&wd, &["dataset/v1", "--json"]);
    assert_eq!(run.code, Some(1), "{run}");
    let categories: std::collections::BTreeSet<String> =
        found(&run).into_iter().map(|f| f.0).collect();
    assert_eq!(
        categories.into_iter().collect::<Vec<_>>(),
        ["manifest_mismatch", "sidecar_mismatch", "stats_mismatch"]
    );
    let messages: Vec<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        messages.contains(&"not listed in the manifest".to_string()),
        "{messages:?}"
    );
    assert!(
        messages.contains(
            &"SHA-256 differs from the manifest: the file changed after the build".to_string()
        ),
        "{messages:?}"
    );
}

#[test]
fn a_build_line_that_is_not_what_build_writes_is_located() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    // The second meta line loses its required `split`; the first full line stops being an object.
    wd.edit("dataset/v1/train.meta.jsonl", |t| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        lines[1] = lines[1].replace(",\"split\":\"train\"", "");
        lines.iter().map(|l| format!("{l}\n")).collect()
    });
    let run = validate(&wd, &["dataset/v1", "--json"]);
    assert_eq!(run.code, Some(1), "{run}");
    let sidecar: Vec<(String, Option<u64>, String)> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "sidecar_mismatch")
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(sidecar.len(), 1, "{run}");
    let (file, line, message) = &sidecar[0];
    assert!(file.ends_with("train.meta.jsonl"), "{file}");
    assert_eq!(*line, Some(2));
    assert!(
        message.starts_with("not a meta line (meta): missing field `split`"),
        "{message}"
    );
}

#[test]
fn human_output_has_locations_and_a_summary_table() {
    let wd = Workdir::new();
    let run = validate(&wd, &[&fixture("invalid_json.jsonl")]);
    assert_eq!(run.code, Some(1));
    let path = fixture("invalid_json.jsonl");
    assert!(
        run.stdout.contains(&format!(
            "error[invalid_json] {path}:5: not JSON: EOF while parsing a list (column 14)"
        )),
        "{run}"
    );
    assert!(run.stdout.contains("category                 severity    count\ninvalid_json             error           1\n"), "{run}");
    assert_eq!(
        run.stderr,
        "error: validation failed: 1 error(s), 0 warning(s)\n"
    );
}

/// A chat line whose assistant answer is `size` bytes of code.
fn long_line(size: usize, n: usize) -> String {
    let code = format!("// {n}\n{}", "let a = 1;\n".repeat(size / 11 + 1));
    serde_json::json!({"messages": [
        {"role": "system", "content": "s"},
        {"role": "user", "content": format!("u{n}")},
        {"role": "assistant", "content": code},
    ]})
    .to_string()
        + "\n"
}

#[test]
fn a_line_over_the_cap_is_reported_and_skipped_and_the_rest_still_checked() {
    let wd = Workdir::new();
    let mut text = String::new();
    for n in 0..12 {
        text.push_str(&long_line(10, n));
    }
    text.push_str(&"y".repeat(17 << 20));
    text.push('\n');
    text.push_str("{not json\n");
    wd.write("train.jsonl", text);
    let run = validate(&wd, &["train.jsonl", "--json"]);
    let findings = found(&run);
    assert!(
        findings.contains(&("line_too_long".to_string(), Some(13))),
        "{findings:?}"
    );
    assert!(
        findings.contains(&("invalid_json".to_string(), Some(14))),
        "{findings:?}"
    );
    assert_eq!(run.json()["examples"], 12);
}

#[test]
fn memory_is_bounded_by_chunk_bytes_not_lines() {
    // Lines of a megabyte: the whole file once fitted in one chunk of lines (peak memory grew with
    // the file: about 220 MiB for 120 lines); chunks are bounded in bytes too, so three times the
    // lines must not cost noticeably more memory.
    let peak = |lines: usize| {
        let wd = Workdir::new();
        let mut file =
            std::io::BufWriter::new(std::fs::File::create(wd.path("train.jsonl")).unwrap());
        for n in 0..lines {
            std::io::Write::write_all(&mut file, long_line(1 << 20, n).as_bytes()).unwrap();
        }
        drop(file);
        let (code, peak_kib) = support::run_measuring_memory(wd.command(&[
            "validate",
            "train.jsonl",
            "--target",
            "generic",
            "--near-copy-threshold",
            "0",
            "--max-tokens",
            "100000000",
        ]));
        assert_eq!(code, Some(0));
        peak_kib / 1024
    };
    let (small, large) = (peak(60), peak(180));
    assert!(
        large < small + small / 4 && large < 200,
        "peak {small} MiB for a 60 MiB file, {large} MiB for 180 MiB"
    );
}
