//! Model tokenizers with real tokenizer files (Qwen3, Llama 3.1, Gemma 3, DeepSeek V3 from npm):
//! rendered chat templates, counts by piece equal to whole-text counts, lengths in stats and meta,
//! trainer warnings, and the trainer configs of the exports.

use crate::support;

use serde_json::Value;
use support::tokenizers::{tokenizer, NAMES};
use template_sft::internals::tokens::chat_template::{ChatTokenizer, TokenizerSpec, Turn};

fn load(name: &str) -> ChatTokenizer {
    ChatTokenizer::load(&TokenizerSpec::parse(&tokenizer(name).to_string_lossy()))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn conversation<'a>(system: &'a str, user: &'a str, code: &'a str) -> [Turn<'a>; 3] {
    [
        Turn {
            role: "system",
            content: system,
        },
        Turn {
            role: "user",
            content: user,
        },
        Turn {
            role: "assistant",
            content: code,
        },
    ]
}

#[test]
fn counts_by_piece_equal_counts_of_the_whole_rendering() {
    let code = std::fs::read_to_string(
        support::repo_root().join("examples/starter/templates/typewriter-terminal.tsx"),
    )
    .unwrap();
    // Special-token text inside a message becomes the special token, as in transformers.
    let tricky = format!("{code}\n// <|im_end|> <|eot_id|> <end_of_turn> ▁ spaces   \n");
    let briefs = [
        "Make a 6-second square typewriter.",
        "  Landscape, 180 frames.\n\n",
    ];
    for name in NAMES {
        let t = load(name);
        assert!(t.counts_by_piece(), "{name} should count by piece");
        for code in [code.as_str(), tricky.as_str()] {
            let conversations: Vec<[Turn<'_>; 3]> = briefs
                .iter()
                .map(|b| conversation("You write Remotion scenes.", b, code))
                .collect();
            let refs: Vec<&[Turn<'_>]> = conversations.iter().map(|c| &c[..]).collect();
            let counts = t.count(&refs).unwrap();
            for (c, turns) in counts.iter().zip(&conversations) {
                let whole = t.encode_len(&t.render(turns, false).unwrap()).unwrap();
                let prompt = t.encode_len(&t.render(&turns[..2], true).unwrap()).unwrap();
                assert_eq!(c.tokens, whole, "{name}");
                assert_eq!(c.assistant_tokens, whole - prompt, "{name}");
                assert!(
                    c.assistant_tokens > 100 && c.assistant_tokens < c.tokens,
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn chat_templates_render_as_transformers_does() {
    let turns = conversation("S", "U", "A");
    let qwen3 = load("qwen3").render(&turns, false).unwrap();
    assert_eq!(
        qwen3,
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nA<|im_end|>\n"
    );
    let llama = load("llama3_1").render(&turns[..2], true).unwrap();
    assert_eq!(
        llama,
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    );
    let gemma = load("gemma3").render(&turns, false).unwrap();
    assert_eq!(
        gemma,
        "<bos><start_of_turn>user\nS\n\nU<end_of_turn>\n<start_of_turn>model\nA<end_of_turn>\n"
    );
    // A template's own raise_exception reaches the caller as an error with its message.
    let err = load("gemma3")
        .render(&[turns[0], turns[2], turns[1]], false)
        .unwrap_err();
    assert!(err.contains("alternate"), "{err}");
}

#[test]
fn a_run_the_template_refuses_is_counted_one_by_one_and_only_the_refused_carries_why() {
    // Three conversations with the same answer (one run, as a template's examples are); Gemma's
    // template refuses the middle one (two user turns in a row).
    let t = load("gemma3");
    let good = conversation("S", "Make it square.", "const a = 1;");
    let other = conversation("S", "Make it wide.", "const a = 1;");
    let bad = [
        Turn {
            role: "user",
            content: "one",
        },
        Turn {
            role: "user",
            content: "two",
        },
        good[2],
    ];
    let counts = t.count_all(&[&good, &bad, &other]);
    assert_eq!(counts.len(), 3);
    assert_eq!(counts[0], Ok(t.count(&[&good]).unwrap()[0]));
    assert!(
        counts[1]
            .as_ref()
            .is_err_and(|why| why.contains("alternate")),
        "{counts:?}"
    );
    assert_eq!(counts[2], Ok(t.count(&[&other]).unwrap()[0]));
}

/// The starter built with the Qwen3 tokenizer.
fn starter_with_qwen3() -> (support::Workdir, Value) {
    let wd = support::Workdir::starter();
    let qwen3 = tokenizer("qwen3");
    let run = wd.ok(&[
        "build",
        "--tokenizer",
        &format!("qwen3={}", qwen3.display()),
    ]);
    // Starter examples run 420-740 Qwen3 tokens: over Axolotl's default of 512, under the others.
    assert!(
        run.stderr.contains(
            "are longer than Axolotl's default sequence_len of 512, and Axolotl drops them"
        ),
        "{run}"
    );
    assert!(!run.stderr.contains("TRL"), "{run}");
    let stats: Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    (wd, stats)
}

#[test]
fn a_build_gives_rendered_lengths_in_meta_and_stats() {
    let (wd, stats) = starter_with_qwen3();
    let qwen3 = load("qwen3");
    let lengths = &stats["tokens"]["tokenizers"][0];
    assert_eq!(lengths["name"], "qwen3");
    assert_eq!(lengths["family"], "qwen3");
    let mut longest = 0;
    let mut over_512 = 0;
    for line in support::jsonl(&wd.read("dataset/v1/train.jsonl")) {
        let messages: Vec<template_sft::internals::dataset::example::Message> =
            serde_json::from_value(line["messages"].clone()).unwrap();
        let turns = template_sft::internals::dataset::lengths::turns(&messages);
        let whole = qwen3
            .encode_len(&qwen3.render(&turns, false).unwrap())
            .unwrap();
        let counted = &line["meta"]["modelTokens"]["qwen3"];
        assert_eq!(counted["tokens"], whole);
        longest = longest.max(whole);
        over_512 += usize::from(whole > 512);
    }
    assert_eq!(lengths["train"]["max"], longest);
    assert_eq!(lengths["train"]["over"]["512"], over_512);
    assert_eq!(
        lengths["overall"]["recommendedMaxLength"],
        template_sft::internals::tokens::lengths::recommended_max_length(
            lengths["overall"]["max"].as_u64().unwrap() as usize
        )
    );
    // The report shows the table, the build's or one counted now with --tokenizer.
    let report = wd.ok(&["report", "dataset/v1"]);
    assert!(
        report
            .stdout
            .contains("lengths under qwen3 (rendered chat template"),
        "{report}"
    );
    let llama = tokenizer("llama3_1");
    let report = wd.ok(&[
        "report",
        "dataset/v1",
        "--tokenizer",
        &llama.to_string_lossy(),
    ]);
    assert!(report.stdout.contains("lengths under llama3_1"), "{report}");
    assert!(!report.stdout.contains("lengths under qwen3"), "{report}");
}

#[test]
fn trainer_configs_hold_every_example() {
    let (wd, stats) = starter_with_qwen3();
    let length = stats["tokens"]["tokenizers"][0]["overall"]["recommendedMaxLength"]
        .as_u64()
        .unwrap();
    let longest = stats["tokens"]["tokenizers"][0]["overall"]["max"]
        .as_u64()
        .unwrap();
    assert!(
        length >= longest && length < 2 * longest,
        "{length} for {longest}"
    );

    let run = wd.ok(&[
        "export",
        "dataset/v1",
        "--to",
        "llamafactory",
        "lf",
        "--base-model",
        "Qwen/Qwen3-8B",
    ]);
    // The config overrides LLaMA-Factory's default, and the other trainers are not this export's.
    assert_eq!(run.stderr, "", "{run}");
    let yaml = |path: &str| -> yaml_serde::Value { yaml_serde::from_str(&wd.read(path)).unwrap() };
    let lf = yaml("lf/llamafactory_sft.yaml");
    assert_eq!(lf["cutoff_len"].as_u64(), Some(length));
    assert_eq!(lf["template"].as_str(), Some("qwen3_nothink"));
    assert_eq!(lf["model_name_or_path"].as_str(), Some("Qwen/Qwen3-8B"));
    assert_eq!(lf["dataset"].as_str(), Some("template_sft_v1_train"));
    assert_eq!(
        lf["eval_dataset"].as_str(),
        Some("template_sft_v1_validation")
    );
    // Relative to the export's folder: it can be copied to the machine that trains.
    assert_eq!(lf["dataset_dir"].as_str(), Some("."));
    assert_eq!(lf["train_on_prompt"].as_bool(), Some(false));
    assert_eq!(lf["trust_remote_code"].as_bool(), Some(false));
    // A share of the run's steps: a small dataset is evaluated too.
    assert!(lf["eval_steps"]
        .as_f64()
        .is_some_and(|s| s > 0.0 && s < 1.0));
    assert_eq!(lf["per_device_eval_batch_size"].as_u64(), Some(1));
    assert!(lf.get("warmup_ratio").is_none());
    let info: Value = serde_json::from_str(&wd.read("lf/dataset_info.json")).unwrap();
    assert_eq!(info["template_sft_v1_train"]["file_name"], "train.jsonl");
    assert!(wd
        .read("lf/README.md")
        .contains("llamafactory-cli train llamafactory_sft.yaml"));

    wd.ok(&[
        "export",
        "dataset/v1",
        "--to",
        "axolotl",
        "ax",
        "--base-model",
        "m",
    ]);
    let ax = yaml("ax/axolotl.yaml");
    assert_eq!(ax["sequence_len"].as_u64(), Some(length));
    assert_eq!(ax["datasets"][0]["path"].as_str(), Some("train.jsonl"));
    assert_eq!(
        ax["test_datasets"][0]["path"].as_str(),
        Some("validation.jsonl")
    );
    assert_eq!(
        ax["datasets"][0]["roles_to_train"][0].as_str(),
        Some("assistant")
    );
    assert_eq!(ax["val_set_size"].as_u64(), Some(0));
    assert!(ax["evals_per_epoch"].as_u64().is_some_and(|n| n >= 1));
    // FlashAttention 2 when the config packs (SDPA with packing in bf16 risks 0.0 loss before
    // Hopper), SDPA when it does not.
    let packs = ax["sample_packing"].as_bool() == Some(true);
    assert_eq!(
        ax["attn_implementation"].as_str(),
        Some(if packs { "flash_attention_2" } else { "sdpa" })
    );
    assert!(ax.get("flash_attention").is_none());

    wd.ok(&["export", "dataset/v1", "--to", "trl", "trl"]);
    let settings: Value = serde_json::from_str(&wd.read("trl/train_sft.json")).unwrap();
    assert_eq!(settings["sft_config"]["max_length"].as_u64(), Some(length));
    assert_eq!(settings["sft_config"]["completion_only_loss"], true);
    assert_eq!(settings["sft_config"]["per_device_eval_batch_size"], 1);
    assert!(settings["sft_config"].get("warmup_ratio").is_none());
    // The script is the same bytes in every export.
    assert_eq!(
        wd.read("trl/train_sft.py"),
        std::fs::read_to_string(support::repo_root().join("src/export/trl/train_sft.py")).unwrap()
    );

    // Counted now under another tokenizer, the config gets that tokenizer's length and template.
    let gemma = tokenizer("gemma3");
    wd.ok(&[
        "export",
        "dataset/v1",
        "--to",
        "llamafactory",
        "lf2",
        "--tokenizer",
        &gemma.to_string_lossy(),
        "--base-model",
        "g",
    ]);
    assert_eq!(
        yaml("lf2/llamafactory_sft.yaml")["template"].as_str(),
        Some("gemma3")
    );
}

#[test]
fn plain_exports_warn_naming_the_trainer_and_its_setting() {
    let (wd, _) = starter_with_qwen3();
    let run = wd.ok(&["export", "dataset/v1", "--to", "messages", "m"]);
    assert!(
        run.stderr
            .contains("longer than Axolotl's default sequence_len of 512, and Axolotl drops them"),
        "{run}"
    );
    // ShareGPT and Alpaca are LLaMA-Factory's layouts (dataset_info.json): Axolotl's default is
    // none of their business, and LLaMA-Factory's 2,048 holds every starter example.
    for target in ["sharegpt", "alpaca"] {
        let run = wd.ok(&["export", "dataset/v1", "--to", target, target]);
        assert!(!run.stderr.contains("Axolotl"), "{target}: {run}");
    }
    // The same data in the Axolotl layout: its config sets sequence_len, so no warning.
    let run = wd.ok(&[
        "export",
        "dataset/v1",
        "--to",
        "axolotl",
        "a",
        "--base-model",
        "m",
    ]);
    assert_eq!(run.stderr, "", "{run}");
    // Without any model tokenizer the length is an estimate, and the export says so.
    let plain = support::Workdir::starter();
    plain.ok(&["build"]);
    let run = plain.ok(&[
        "export",
        "dataset/v1",
        "--to",
        "trl",
        "t",
        "--base-model",
        "m",
    ]);
    assert!(
        run.stderr.contains(
            "no model tokenizer counted this dataset: train_sft.json sets SFTConfig max_length"
        ),
        "{run}"
    );
}

#[test]
fn long_examples_warn_for_every_trainer_default() {
    // Synthetic scenes of about ten kilobytes: over TRL's 1,024 and LLaMA-Factory's 2,048 too.
    let wd = support::Workdir::new();
    wd.ok(&["synth", "p", "--templates", "12", "--prompts", "2"]);
    let qwen3 = tokenizer("qwen3");
    let run = wd.ok(&[
        "build",
        "-c",
        "p/template-sft.toml",
        "--tokenizer",
        &qwen3.to_string_lossy(),
    ]);
    for needle in [
        "longer than Axolotl's default sequence_len of 512, and Axolotl drops them",
        "longer than TRL's default SFTConfig max_length of 1024, and TRL cuts off their end",
        "longer than LLaMA-Factory's default cutoff_len of 2048, and LLaMA-Factory cuts off their end",
    ] {
        assert!(run.stderr.contains(needle), "{needle}\n{run}");
    }
    // validate --tokenizer says the same of the files, and --max-length makes a too-long example an
    // error at its line.
    let run = wd.run(&[
        "validate",
        "p/dataset/v1",
        "--tokenizer",
        &qwen3.to_string_lossy(),
        "--max-length",
        "1024",
    ]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout.contains("warning[trainer_default_length]"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("error[over_max_length] p/dataset/v1/train.upload.jsonl:1: "),
        "{run}"
    );
}

#[test]
fn bad_tokenizer_files_are_clear_errors() {
    let wd = support::Workdir::starter();
    wd.write("tok/tokenizer.json", "{not json");
    let run = wd.fails(&["build", "--tokenizer", "tok/tokenizer.json"], 2);
    assert!(
        run.stderr
            .contains("tok/tokenizer.json: not a Hugging Face tokenizer.json"),
        "{run}"
    );
    let run = wd.fails(&["build", "--tokenizer", "missing/tokenizer.json"], 2);
    assert!(run.stderr.starts_with("error: --tokenizer names "), "{run}");
    assert!(
        run.stderr
            .contains("missing/tokenizer.json, which is not a file"),
        "{run}"
    );
    // A real tokenizer without its chat template beside it.
    std::fs::copy(tokenizer("qwen3"), wd.path("tok/tokenizer.json")).unwrap();
    let run = wd.fails(&["build", "--tokenizer", "tok"], 2);
    assert!(run.stderr.contains("no chat template"), "{run}");
    let q = tokenizer("qwen3");
    let run = wd.fails(
        &[
            "build",
            "--tokenizer",
            &format!("a={}", q.display()),
            "--tokenizer",
            &format!("a={}", q.display()),
        ],
        2,
    );
    assert!(
        run.stderr
            .contains("error: --tokenizer has two tokenizers named \"a\"; name them apart"),
        "{run}"
    );
    assert!(!wd.path("dataset").exists());
}

#[test]
fn remembered_piece_counts_are_used_and_a_rebuild_writes_the_same_lengths() {
    let code = std::fs::read_to_string(
        support::repo_root().join("examples/starter/templates/orbit-logo-reveal.tsx"),
    )
    .unwrap();
    let t = load("qwen3");
    let turns = conversation("You write Remotion scenes.", "A logo reveal.", &code);
    let refs: Vec<&[Turn<'_>]> = vec![&turns[..]];
    let mut fresh = template_sft::internals::tokens::chat_template::PieceCounts::default();
    let counted = t.count_with(&refs, &mut fresh).unwrap()[0];
    assert_eq!(counted, t.count(&refs).unwrap()[0]);
    // The code piece is long enough to be remembered; the short ones are not.
    assert!(!fresh.used.is_empty());
    // Remembered counts are taken as they are: ten more per piece shows in the total.
    let known: std::collections::HashMap<[u8; 32], usize> =
        fresh.used.iter().map(|&(d, n)| (d, n + 10)).collect();
    let mut remembered = template_sft::internals::tokens::chat_template::PieceCounts::new(&known);
    let again = t.count_with(&refs, &mut remembered).unwrap()[0];
    assert_eq!(again.tokens, counted.tokens + 10 * fresh.used.len());

    // A rebuild takes the counts from the cache and writes the same lengths.
    let wd = support::Workdir::starter();
    let spec = format!("qwen3={}", tokenizer("qwen3").display());
    wd.ok(&["build", "-q", "--tokenizer", &spec]);
    let cache = std::fs::read_dir(wd.path("dataset/.template-sft-cache"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("pieces-"))
        .count();
    assert_eq!(cache, 1);
    wd.ok(&["build", "-q", "--tokenizer", &spec]);
    for name in ["train.meta.jsonl", "test.meta.jsonl"] {
        assert_eq!(
            wd.read(&format!("dataset/v1/{name}")),
            wd.read(&format!("dataset/v1-1/{name}"))
        );
    }
}

#[test]
fn a_chat_template_that_loops_or_explodes_stops_with_a_clear_error() {
    let qwen3 = tokenizer("qwen3");
    for (name, template) in [
        (
            "loops",
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        ),
        (
            "doubles",
            "{% set s = namespace(v='ab') %}{% for i in range(64) %}{% set s.v = s.v ~ s.v %}{% endfor %}{{ s.v }}",
        ),
    ] {
        let wd = support::Workdir::starter();
        std::fs::create_dir_all(wd.path(name)).unwrap();
        std::fs::copy(&qwen3, wd.path(&format!("{name}/tokenizer.json"))).unwrap();
        wd.write(
            &format!("{name}/tokenizer_config.json"),
            serde_json::json!({ "chat_template": template, "eos_token": "<|im_end|>" }).to_string(),
        );
        let spec = format!("{name}={}", wd.path(name).display());
        let run = wd.fails(&["build", "--tokenizer", &spec], 2);
        assert!(
            run.stderr.contains(&format!("tokenizer {name}: cannot render example"))
                && run.stderr.contains("ran out of fuel (4000000 steps): the template loops or grows without end"),
            "{run}"
        );
        assert!(wd.list("dataset").iter().all(|n| n.starts_with('.')), "nothing written");
    }
}

#[test]
fn fuel_holds_the_largest_scenes_a_build_reads() {
    // A 12 MB scene (a build reads code up to 16 MiB) renders under every real template.
    let code = "const a = 1;\n".repeat(12 << 20 >> 4);
    for name in NAMES {
        let t = load(name);
        let turns = conversation("You write Remotion scenes.", "A scene.", &code);
        let rendered = t
            .render(&turns, false)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(rendered.len() > code.len(), "{name}");
    }
}
