//! Bad input: each case gets one clear, pinned message pointing at file:line(:col), a non-zero exit
//! code, no panic, and no version directory.

use crate::support;

use support::Workdir;

/// Run `build` on the starter after `setup`, expect `code`, and return stderr.
fn build_error(setup: impl FnOnce(&Workdir), args: &[&str], code: i32) -> String {
    let wd = Workdir::starter();
    setup(&wd);
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    let run = wd.fails(&all, code);
    assert!(run.stdout.is_empty(), "{run}");
    let leftovers: Vec<String> = wd.list("dataset");
    assert!(leftovers.is_empty(), "a failed build left {leftovers:?}");
    // Warnings about other inputs may come first; the error is what this test pins (the source line
    // and caret under it are pinned by tests/fixtures/bad/).
    run.stderr
        .lines()
        .filter(|l| !l.starts_with("warning: ") && !is_snippet(l))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A line of the source snippet under an error (`  |`, `28 | seed = -1`, `   |        ^`).
fn is_snippet(line: &str) -> bool {
    let gutter = line.trim_start();
    gutter.starts_with('|')
        || gutter
            .split_once(" |")
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

fn config_edit(from: &'static str, to: &'static str) -> impl FnOnce(&Workdir) {
    move |wd: &Workdir| {
        wd.edit("template-sft.toml", |t| {
            assert!(t.contains(from), "starter config lacks {from:?}");
            t.replace(from, to)
        })
    }
}

#[test]
fn unknown_config_key() {
    let err = build_error(config_edit("seed = 42", "sed = 42"), &[], 2);
    assert_eq!(err, "error: template-sft.toml:28:1: unknown field `sed`, expected one of `seed`, `train`, `validation`, `test`, `mode`, `near_copy_threshold`\n");
}

#[test]
fn ratios_that_do_not_sum_to_one() {
    let err = build_error(config_edit("test = 0.1", "test = 0.3"), &[], 2);
    assert_eq!(
        err,
        "error: template-sft.toml:29:1: split ratios must add up to 1, got 0.8 + 0.1 + 0.3 = 1.2\n"
    );
}

#[test]
fn negative_ratio() {
    let err = build_error(config_edit("validation = 0.1", "validation = -0.1"), &[], 2);
    assert_eq!(
        err,
        "error: template-sft.toml:30:1: split.validation must be between 0 and 1, got -0.1\n"
    );
}

#[test]
fn seed_out_of_range() {
    let err = build_error(config_edit("seed = 42", "seed = -5"), &[], 2);
    assert_eq!(
        err,
        "error: template-sft.toml:28:8: invalid value: integer `-5`, expected a whole number, 0 or more\n"
    );
}

#[test]
fn missing_config_file() {
    let err = build_error(|_| {}, &["--config", "nope.toml"], 2);
    // Where it looked (absolute), and the two ways out.
    assert!(err.starts_with("error: no project config at /"), "{err}");
    assert!(
        err.ends_with("/nope.toml: run `template-sft init` to write one here, or point at yours with -c FILE (or -c DIR, for DIR/template-sft.toml)\n"),
        "{err}"
    );
}

#[test]
fn a_catalog_or_a_scene_given_as_config_says_what_c_takes() {
    for (file, looks_like) in [
        ("catalog.json", "a catalog or a prompt file (JSON)"),
        ("templates/quote-card.tsx", "a scene (TSX)"),
    ] {
        let err = build_error(|_| {}, &["-c", file], 2);
        assert_eq!(
            err,
            format!("error: -c {file}: this looks like {looks_like}, not a project config: -c takes the project's template-sft.toml (or its folder), which names the catalog in [catalog] path\n")
        );
    }
}

#[test]
fn a_folder_given_as_config_means_its_template_sft_toml() {
    let wd = Workdir::starter();
    let run = wd.ok(&["build", "-c", ".", "--dry-run"]);
    assert!(run.stdout.starts_with("dry run: nothing written"), "{run}");
    // init says what to do next, with the paths it wrote.
    let run = wd.ok(&["init", "mine"]);
    assert!(
        run.stderr.contains("wrote mine/template-sft.toml\nnext:"),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("template-sft build -c mine/template-sft.toml --dry-run")
            && run.stderr.contains("template-sft validate mine/dataset/v1"),
        "{run}"
    );
}

#[test]
fn missing_catalog() {
    let err = build_error(|wd| wd.remove("catalog.json"), &[], 2);
    assert_eq!(err, "error: catalog.json: cannot read: no such file or directory\n  hint: paths in template-sft.toml are relative to the folder that holds it, paths on the command line to the current folder\n");
}

#[test]
fn truncated_catalog() {
    let err = build_error(
        |wd| wd.edit("catalog.json", |t| t[..t.len() / 2].to_string()),
        &[],
        2,
    );
    assert!(err.starts_with("error: catalog.json:7:"), "{err}");
    assert!(
        err.ends_with(": EOF while parsing a string\n") || err.contains("EOF while parsing"),
        "{err}"
    );
}

#[test]
fn catalog_entry_missing_a_required_field() {
    let err = build_error(
        |wd| {
            wd.edit("catalog.json", |t| {
                t.replacen(
                    "\"primaryUse\": \"Kinetic typography headline\"",
                    "\"primary\": \"x\"",
                    1,
                )
            })
        },
        &[],
        2,
    );
    assert!(err.starts_with("error: catalog.json:4:"), "{err}");
    assert!(err.ends_with(": missing field `primaryUse`\n"), "{err}");
}

#[test]
fn catalog_with_an_unknown_format() {
    let err = build_error(
        |wd| {
            wd.edit("catalog.json", |t| {
                t.replacen("[\"portrait\"]", "[\"vertical\"]", 1)
            })
        },
        &[],
        2,
    );
    assert!(err.starts_with("error: catalog.json:3:"), "{err}");
    assert!(
        err.contains(
            "unknown variant `vertical`, expected one of `landscape`, `portrait`, `square`"
        ),
        "{err}"
    );
}

#[test]
fn catalog_with_no_formats() {
    let err = build_error(
        |wd| wd.edit("catalog.json", |t| t.replacen("[\"portrait\"]", "[]", 1)),
        &[],
        2,
    );
    assert_eq!(err, "error: catalog.json:3:3: template \"countdown-portrait\": supportedFormats is empty; list at least one of landscape, portrait, square\n");
}

#[test]
fn duplicate_ids_are_all_listed() {
    let err = build_error(
        |wd| {
            wd.edit("catalog.json", |t| {
                t.replace("\"id\": \"quote-card\"", "\"id\": \"lower-third\"")
                    .replace(
                        "\"id\": \"stats-counter\"",
                        "\"id\": \"countdown-portrait\"",
                    )
            })
        },
        &[],
        2,
    );
    assert_eq!(
        err,
        "error: duplicate template id(s):\n  \"countdown-portrait\" at catalog.json:3:3, catalog.json:10:3\n  \"lower-third\" at catalog.json:6:3, catalog.json:7:3\n  hint: every catalog entry needs its own id\n"
    );
}

#[test]
fn catalog_that_is_not_utf8() {
    let err = build_error(
        |wd| {
            let mut bytes = std::fs::read(wd.path("catalog.json")).unwrap();
            bytes[5] = 0xff;
            wd.write("catalog.json", bytes);
        },
        &[],
        2,
    );
    assert_eq!(err, "error: catalog.json:2:4: not valid UTF-8 text\n");
}

#[test]
fn catalog_that_is_not_an_array() {
    let err = build_error(|wd| wd.write("catalog.json", "{\"id\": \"x\"}"), &[], 2);
    assert_eq!(
        err,
        "error: catalog.json:1:1: expected a JSON array of catalog entries\n"
    );
}

#[test]
fn missing_curated_prompt_file() {
    let err = build_error(
        |wd| wd.remove("prompts/metadata_finetune_dataset.jsonl"),
        &[],
        2,
    );
    assert!(err.ends_with("error: prompts/metadata_finetune_dataset.jsonl: cannot read: no such file or directory\n  hint: paths in template-sft.toml are relative to the folder that holds it, paths on the command line to the current folder\n"), "{err}");
}

#[test]
fn optional_prompt_file_may_be_missing() {
    let wd = Workdir::starter();
    wd.edit("template-sft.toml", |t| t.replace("curated = [\"prompts/metadata_prompt_dataset.jsonl\", \"prompts/metadata_finetune_dataset.jsonl\"]", "curated = [\"prompts/metadata_prompt_dataset.jsonl\"]\ncurated_optional = [\"prompts/absent.jsonl\"]"));
    wd.ok(&["build"]);
}

#[test]
fn malformed_overrides_file() {
    let err = build_error(
        |wd| {
            wd.write(
                "overrides.json",
                "{\"additionalPrompts\": [\n  {\"templateId\": \"quote-card\", \"prompt\": 5}\n]}",
            )
        },
        &[],
        2,
    );
    assert_eq!(
        err,
        "error: overrides.json:2:42: invalid type: integer `5`, expected a string\n"
    );
}

#[test]
fn override_for_an_unknown_template_is_reported_not_dropped() {
    let wd = Workdir::starter();
    wd.write(
        "overrides.json",
        "{\"additionalPrompts\": [{\"templateId\": \"ghost\", \"prompt\": \"boo\"}]}",
    );
    let run = wd.ok(&["build"]);
    assert!(run.stderr.contains("warning: overrides.json:1:24: prompt addition for unknown template \"ghost\" (not in this build's catalog)"), "{run}");
    let stats: serde_json::Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    assert_eq!(
        stats["prompts"]["unknownOverrideTemplates"][0]["templateId"],
        "ghost"
    );
}

#[test]
fn missing_code_directory() {
    let err = build_error(|wd| wd.remove("templates"), &[], 2);
    assert_eq!(err, "error: templates: cannot read: no such file or directory\n  hint: paths in template-sft.toml are relative to the folder that holds it, paths on the command line to the current folder\n");
}

#[test]
fn tag_that_escapes_the_output_root() {
    let err = build_error(|_| {}, &["--tag", "../v1"], 2);
    assert_eq!(
        err,
        "error: --tag \"../v1\" may hold only letters, digits, '.', '_' and '-', must not start with '.', and is at most 100 characters\n"
    );
}

#[test]
fn empty_catalog() {
    let err = build_error(|wd| wd.write("catalog.json", "[]"), &[], 2);
    assert_eq!(err, "error: catalog.json: the catalog has no entries\n");
}

#[test]
fn unwritable_output_root() {
    let err = build_error(
        |wd| {
            wd.write("out-file", "not a dir");
            wd.edit("template-sft.toml", |t| {
                t.replace("root = \"dataset\"", "root = \"out-file\"")
            });
        },
        &[],
        3,
    );
    assert_eq!(
        err,
        "error: out-file: cannot write: exists and is not a directory\n"
    );
}

#[test]
fn limit_zero_says_so_rather_than_that_the_catalog_is_empty() {
    let wd = Workdir::starter();
    let run = wd.fails(&["build", "--limit", "0"], 2);
    assert_eq!(
        run.stderr.lines().last().unwrap(),
        "error: catalog.json: --limit 0 leaves no template to build"
    );
}

#[test]
fn when_the_gate_rejects_everything_the_error_says_so() {
    let wd = Workdir::starter();
    wd.edit("template-sft.toml", |t| {
        format!("{t}\n[check]\nrequired = [\"nowhere\"]\n")
    });
    let run = wd.fails(&["build"], 2);
    assert_eq!(
        run.stderr.lines().last().unwrap(),
        "error: catalog.json: no examples to write (12 templates: 0 without code, 12 rejected by the quality gate, 0 without a duration; 0 examples over the token limit); the warnings above say why"
    );
}

#[test]
fn one_template_is_one_template() {
    let wd = Workdir::starter();
    let run = wd.ok(&["build", "--limit", "1"]);
    assert!(run.stdout.ends_with("from 1 template\n"), "{run}");
}

#[test]
fn stats_totals_that_disagree_are_numbers_not_debug_output() {
    let wd = Workdir::starter();
    wd.ok(&["build", "-q"]);
    wd.edit("dataset/v1/stats.json", |t| {
        t.replacen("\"train\": ", "\"train\": 9", 1)
    });
    let run = wd.fails(&["validate", "dataset/v1"], 1);
    assert!(run.stdout.contains("totals.train is 9"), "{run}");
    assert!(!run.stdout.contains("Some("), "{run}");
}

fn mkfifo(path: &std::path::Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[test]
fn code_files_that_are_not_regular_files_are_errors_not_hangs() {
    let wd = Workdir::starter();
    wd.remove("templates/quote-card.tsx");
    mkfifo(&wd.path("templates/quote-card.tsx"));
    let run = wd.fails(&["build"], 2);
    assert!(
        run.stderr.contains("error: templates/quote-card.tsx: cannot read: is not a regular file (a FIFO, socket or device); only regular files are read"),
        "{run}"
    );
    let wd = Workdir::starter();
    std::os::unix::fs::symlink("/dev/zero", wd.path("code-overrides/quote-card.tsx")).unwrap();
    wd.remove("templates/quote-card.tsx");
    let run = wd.fails(&["build"], 2);
    assert!(
        run.stderr
            .contains("code-overrides/quote-card.tsx: cannot read: is not a regular file"),
        "{run}"
    );
}

#[test]
fn code_over_the_size_cap_is_a_too_large_rejection_naming_the_file() {
    let wd = Workdir::starter();
    wd.edit("template-sft.toml", |t| {
        t.replace(
            "overrides_dir = \"code-overrides\"",
            "overrides_dir = \"code-overrides\"\nmax_bytes = 2000",
        )
    });
    let run = wd.ok(&["build"]);
    let big = run
        .stderr
        .lines()
        .find(|l| l.contains("\"google-ai-search\" rejected (too_large)"))
        .unwrap_or_else(|| panic!("{run}"));
    assert!(
        big.starts_with("warning: templates/google-ai-search.tsx: "),
        "{big}"
    );
    assert!(
        big.ends_with("bytes, over code.max_bytes (2000); not read"),
        "{big}"
    );
}

#[test]
fn validate_refuses_fifos_and_devices_instead_of_hanging() {
    let wd = Workdir::new();
    wd.write("data/train.jsonl", "{\"messages\":[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":\"a\"}]}\n");
    mkfifo(&wd.path("data/test.jsonl"));
    let run = wd.fails(&["validate", "data"], 2);
    assert!(
        run.stderr
            .contains("data/test.jsonl: cannot read: is not a regular file"),
        "{run}"
    );
    let run = wd.fails(&["validate", "/dev/zero"], 2);
    assert!(
        run.stderr
            .contains("/dev/zero: cannot read: is not a regular file"),
        "{run}"
    );
}

#[test]
fn a_tiny_project_is_told_its_split_is_far_from_the_ratios() {
    let wd = Workdir::starter();
    let run = wd.ok(&["build", "--limit", "4"]);
    assert!(
        run.stderr.contains(
            "warning: the split came out train 4 (44%), validation 3 (33%), test 2 (22%) for ratios 0.8 / 0.1 / 0.1: with 4 templates split by template"
        ) && run.stderr.contains("set split.mode = \"example\""),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("warning: train has 4 examples; OpenAI fine-tuning needs at least 10"),
        "{run}"
    );
    // --strict refuses to write such a split.
    let run = wd.fails(&["build", "--limit", "4", "--strict"], 4);
    assert!(run.stderr.contains("a split far from its ratios"), "{run}");
    // The whole starter splits close to 80/10/10: no such warning.
    let run = wd.ok(&["build"]);
    assert!(!run.stderr.contains("split came out"), "{run}");
}

#[test]
fn an_open_weight_model_name_is_pointed_at_tokenizer() {
    let err = build_error(|_| {}, &["--model", "Qwen/Qwen3-8B"], 2);
    assert!(
        err.starts_with("error: --model: unknown model \"Qwen/Qwen3-8B\"")
            && err.contains("--tokenizer PATH/tokenizer.json"),
        "{err}"
    );
}

#[test]
fn no_output_is_ever_overwritten_a_taken_name_takes_the_next_with_a_warning() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    wd.write("report.html", "mine");
    let run = wd.ok(&["report", "dataset/v1", "--html", "report.html"]);
    assert!(
        run.stderr.contains("warning: report.html exists; wrote report-1.html instead (nothing is ever overwritten)"),
        "{run}"
    );
    assert_eq!(wd.read("report.html"), "mine");
    assert!(wd.read("report-1.html").starts_with("<!doctype html>"));
    wd.ok(&["eval", "prepare", "dataset/v1", "requests.jsonl"]);
    let run = wd.ok(&["eval", "prepare", "dataset/v1", "requests.jsonl"]);
    assert!(
        run.stderr
            .contains("requests.jsonl exists; wrote requests-1.jsonl instead")
            && run.stdout.starts_with("wrote requests-1.jsonl:"),
        "{run}"
    );
    wd.write("eval.html", "mine");
    let run = wd.ok(&["eval", "dataset/v1", "--gold", "--html", "eval.html"]);
    assert!(run.stderr.contains("wrote eval-1.html instead"), "{run}");
    assert_eq!(wd.read("eval.html"), "mine");
}
