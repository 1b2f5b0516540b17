//! `export`: every target converts back to the same messages, keeps split names, writes a
//! verifiable manifest, never overwrites, and refuses a source whose manifest does not verify.

use crate::support;

use serde_json::Value;
use support::{jsonl, Workdir};
use template_sft::internals::dataset::example::Message;
use template_sft::internals::export::{alpaca, sharegpt};

fn upload_messages(wd: &Workdir, split: &str) -> Vec<Vec<Message>> {
    jsonl(&wd.read(&format!("dataset/v1/{split}.upload.jsonl")))
        .into_iter()
        .map(|l| serde_json::from_value(l["messages"].clone()).unwrap())
        .collect()
}

fn round_trip(target: &str, data_dir: &str, back: fn(&Value) -> Option<Vec<Message>>) {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    let run = wd.ok(&["export", "dataset/v1", "--to", target, "out"]);
    assert_eq!(run.stdout, "wrote out\n");
    for split in ["train", "validation", "test"] {
        let exported = jsonl(&wd.read(&format!("out/{data_dir}{split}.jsonl")));
        let original = upload_messages(&wd, split);
        assert_eq!(exported.len(), original.len(), "{target} {split}");
        for (record, messages) in exported.iter().zip(&original) {
            assert_eq!(back(record).as_ref(), Some(messages), "{target} {split}");
        }
    }
    // The export's own manifest verifies with the same check `export` applies to its source.
    template_sft::internals::dataset::manifest::verify(&wd.path("out")).unwrap();
    // validate reads the export: its manifest, and every row as the chat example it holds.
    let run = wd.ok(&["validate", "out"]);
    assert!(
        run.stdout
            .contains("0 error(s), 0 warning(s) in 3 file(s), 27 example(s)"),
        "{target}: {run}"
    );
}

#[test]
fn hf_round_trips() {
    round_trip("hf", "data/", template_sft::internals::export::messages_of);
}

#[test]
fn sharegpt_round_trips() {
    round_trip("sharegpt", "", sharegpt::to_messages);
}

#[test]
fn alpaca_round_trips() {
    round_trip("alpaca", "", alpaca::to_messages);
}

#[test]
fn messages_round_trips() {
    round_trip("messages", "", template_sft::internals::export::messages_of);
}

#[test]
fn llamafactory_round_trips() {
    round_trip("llamafactory", "", sharegpt::to_messages);
}

#[test]
fn axolotl_round_trips() {
    round_trip("axolotl", "", template_sft::internals::export::messages_of);
}

#[test]
fn trl_prompt_completion_round_trips() {
    round_trip("trl", "", template_sft::internals::export::trl::to_messages);
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    wd.ok(&["export", "dataset/v1", "--to", "trl", "out"]);
    // The prompt comes first in each line, as TRL's documentation writes it.
    assert!(wd
        .read("out/train.jsonl")
        .starts_with("{\"prompt\":[{\"role\":\"system\""));
}

#[test]
fn sharegpt_uses_system_human_gpt_and_llama_factory_tags() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    wd.ok(&["export", "dataset/v1", "--to", "sharegpt", "out"]);
    let first = &jsonl(&wd.read("out/train.jsonl"))[0];
    let from: Vec<&str> = first["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["from"].as_str().unwrap())
        .collect();
    assert_eq!(from, ["system", "human", "gpt"]);
    let info: Value = serde_json::from_str(&wd.read("out/dataset_info.json")).unwrap();
    // Named after the version, so exports of several versions merge without a collision.
    let entry = &info["template_sft_v1_train"];
    assert_eq!(entry["file_name"], "train.jsonl");
    assert_eq!(entry["formatting"], "sharegpt");
    assert_eq!(entry["columns"]["messages"], "conversations");
    assert_eq!(entry["tags"]["role_tag"], "from");
    assert_eq!(entry["tags"]["assistant_tag"], "gpt");
}

#[test]
fn the_hf_card_declares_the_splits_and_summarizes_the_build() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    wd.ok(&["export", "dataset/v1", "--to", "hf", "out"]);
    let card = wd.read("out/README.md");
    assert!(card.starts_with("---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train.jsonl\n  - split: validation\n    path: data/validation.jsonl\n  - split: test\n    path: data/test.jsonl\n"), "{card}");
    let source_manifest = template_sft::internals::digest::sha256_hex(
        &std::fs::read(wd.path("dataset/v1/manifest.json")).unwrap(),
    );
    assert!(
        card.contains(&format!("Source manifest SHA-256: `{source_manifest}`")),
        "{card}"
    );
    let stats: Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    let tokens = stats["tokens"]["train"]["totalTokens"].as_u64().unwrap();
    let row = format!(
        "| train | {} | {} | {},{:03} |",
        stats["totals"]["train"],
        stats["templatesPerSplit"]["train"],
        tokens / 1000,
        tokens % 1000
    );
    assert!(card.contains(&row), "{row}\n{card}");
    assert!(card.contains("with seed 42"), "{card}");
    let manifest: Value = serde_json::from_str(&wd.read("out/manifest.json")).unwrap();
    assert_eq!(manifest["target"], "hf");
    assert_eq!(manifest["source"]["manifestSha256"], source_manifest);
}

#[test]
fn messages_readme_has_axolotl_and_trl_snippets() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    wd.ok(&["export", "dataset/v1", "--to", "messages", "out"]);
    let readme = wd.read("out/README.md");
    assert!(readme.contains("type: chat_template"));
    assert!(readme.contains("SFTTrainer("));
    assert_eq!(
        wd.read("out/train.jsonl"),
        wd.read("dataset/v1/train.upload.jsonl")
    );
}

#[test]
fn an_existing_output_is_never_overwritten() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    wd.write("out/keep.txt", "mine");
    let run = wd.ok(&["export", "dataset/v1", "--to", "alpaca", "out"]);
    assert_eq!(run.stdout, "wrote out-1\n");
    assert_eq!(wd.list("out"), ["keep.txt"]);
    let run = wd.ok(&["export", "dataset/v1", "--to", "alpaca", "out"]);
    assert_eq!(run.stdout, "wrote out-2\n");
}

#[test]
fn validate_checks_an_export_and_ignores_what_its_trainer_writes() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    wd.ok(&["export", "dataset/v1", "--to", "trl", "out"]);
    // A run of the trainer from the export writes under outputs/: not a finding.
    wd.write("out/outputs/template-sft-v1/checkpoint-1/adapter.bin", "x");
    wd.ok(&["validate", "out"]);
    // A row that is not TRL's, and a file the manifest does not know: both at their place.
    wd.edit("out/train.jsonl", |t| {
        format!("{t}{}\n", r#"{"prompt":"a string","completion":[]}"#)
    });
    wd.write("out/extra.jsonl", "{}\n");
    let run = wd.fails(&["validate", "out", "--json"], 1);
    let findings = run.json()["findings"].as_array().unwrap().clone();
    let at = |category: &str| -> Vec<(String, Value)> {
        findings
            .iter()
            .filter(|f| f["category"] == category)
            .map(|f| (f["file"].as_str().unwrap().to_string(), f["line"].clone()))
            .collect()
    };
    let rows = at("export_row");
    assert_eq!(rows.len(), 1, "{findings:?}");
    assert!(
        rows[0].0.ends_with("out/train.jsonl") && rows[0].1 == 23,
        "{rows:?}"
    );
    let manifest: Vec<String> = at("manifest_mismatch").into_iter().map(|f| f.0).collect();
    assert!(
        manifest.iter().any(|f| f.ends_with("out/train.jsonl")),
        "{manifest:?}"
    );
    assert!(
        manifest.iter().any(|f| f.ends_with("out/extra.jsonl")),
        "{manifest:?}"
    );
    assert!(
        !manifest.iter().any(|f| f.contains("outputs")),
        "{manifest:?}"
    );
}

#[test]
fn concurrent_exports_to_one_name_take_the_next_free_names() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_template-sft"))
                .args(["export", "-q", "dataset/v1", "--to", "axolotl", "out"])
                .current_dir(wd.path(""))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let mut written: Vec<String> = wd
        .outputs("")
        .into_iter()
        .filter(|n| n.starts_with("out"))
        .collect();
    written.sort();
    assert_eq!(written, ["out", "out-1", "out-2", "out-3"]);
    for name in &written {
        template_sft::internals::dataset::manifest::verify(&wd.path(name)).unwrap();
        assert_eq!(
            wd.read(&format!("{name}/train.jsonl")),
            wd.read("out/train.jsonl")
        );
    }
}

#[test]
fn a_source_whose_manifest_does_not_verify_is_refused() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    wd.edit("dataset/v1/train.upload.jsonl", |t| {
        t.replacen("Remotion", "Rem0tion", 1)
    });
    let run = wd.fails(&["export", "dataset/v1", "--to", "hf", "out"], 2);
    assert_eq!(
        run.stderr,
        "error: dataset/v1/train.upload.jsonl: SHA-256 differs from the manifest; the manifest does not verify, so this version was changed or damaged after it was built\n"
    );
    assert!(!wd.path("out").exists());
    let run = wd.fails(&["export", "dataset/v1", "--to", "hf", "../x/.."], 2);
    assert!(run.stderr.starts_with("error: "), "{run}");
}

/// Names that broke hand-written YAML and Python: a line break (three kinds), a key, a comment, a
/// list separator, quotes, template braces and backslashes.
const HOSTILE: &str = "evil\nbase_model: x\u{2028}push_to_hub: true\u{85}a: b #c,d \"e' {{f}} \\g";

#[test]
fn hostile_names_become_values_never_keys_or_code() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    // A version received in a folder with a hostile name, exported with a hostile model name.
    let hostile_dir = format!("dataset/{HOSTILE}");
    std::fs::rename(wd.path("dataset/v1"), wd.path(&hostile_dir)).unwrap();
    let keys = |v: &yaml_serde::Value| -> Vec<String> {
        let mut keys: Vec<String> = v
            .as_mapping()
            .unwrap()
            .keys()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
        keys.sort();
        keys
    };
    let name_rule = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
    };
    for (target, config) in [
        ("llamafactory", "llamafactory_sft.yaml"),
        ("axolotl", "axolotl.yaml"),
    ] {
        let out = format!("out-{target}");
        wd.ok(&[
            "export",
            &hostile_dir,
            "--to",
            target,
            &out,
            "--base-model",
            HOSTILE,
        ]);
        let text = wd.read(&format!("{out}/{config}"));
        let yaml: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();
        // Exactly the keys a clean export has, and the model name as given.
        wd.ok(&[
            "export",
            &hostile_dir,
            "--to",
            target,
            &format!("clean-{target}"),
            "--base-model",
            "m",
        ]);
        let clean: yaml_serde::Value =
            yaml_serde::from_str(&wd.read(&format!("clean-{target}/{config}"))).unwrap();
        assert_eq!(keys(&yaml), keys(&clean), "{text}");
        let model = if target == "axolotl" {
            "base_model"
        } else {
            "model_name_or_path"
        };
        assert_eq!(yaml[model].as_str(), Some(HOSTILE));
        assert!(!text.contains("push_to_hub: true\n"), "{text}");
        // Names built from the folder follow the name rule.
        let output_dir = yaml["output_dir"].as_str().unwrap();
        assert!(name_rule(output_dir), "{output_dir}");
        if target == "llamafactory" {
            let dataset = yaml["dataset"].as_str().unwrap();
            assert!(name_rule(dataset) && !dataset.contains(','), "{dataset}");
            let info: Value =
                serde_json::from_str(&wd.read(&format!("{out}/dataset_info.json"))).unwrap();
            assert!(info.get(dataset).is_some());
        }
    }
    wd.ok(&[
        "export",
        &hostile_dir,
        "--to",
        "trl",
        "out-trl",
        "--base-model",
        HOSTILE,
    ]);
    let settings: Value = serde_json::from_str(&wd.read("out-trl/train_sft.json")).unwrap();
    assert_eq!(settings["model"].as_str(), Some(HOSTILE));
    assert!(name_rule(
        settings["sft_config"]["output_dir"].as_str().unwrap()
    ));
    assert!(!wd.read("out-trl/train_sft.py").contains("evil"));
}

#[test]
fn a_received_version_with_a_hostile_tokenizer_name_is_refused_and_validate_says_why() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    // Someone hands over a version whose stats name a tokenizer with a line break in it.
    let stats_path = "dataset/v1/stats.json";
    let mut stats: Value = serde_json::from_str(&wd.read(stats_path)).unwrap();
    let lengths = serde_json::json!({
        "name": "qwen3\nbase_model: x", "file": "t.json", "sha256": "00",
        "overall": {"examples": 0, "totalTokens": 0, "assistantTokens": 0, "min": 0, "p10": 0, "median": 0, "p90": 0, "max": 0, "over": {}, "recommendedMaxLength": 0},
        "train": {"examples": 0, "totalTokens": 0, "assistantTokens": 0, "min": 0, "p10": 0, "median": 0, "p90": 0, "max": 0, "over": {}, "recommendedMaxLength": 0},
        "validation": {"examples": 0, "totalTokens": 0, "assistantTokens": 0, "min": 0, "p10": 0, "median": 0, "p90": 0, "max": 0, "over": {}, "recommendedMaxLength": 0},
        "test": {"examples": 0, "totalTokens": 0, "assistantTokens": 0, "min": 0, "p10": 0, "median": 0, "p90": 0, "max": 0, "over": {}, "recommendedMaxLength": 0}
    });
    stats["tokens"]["tokenizers"] = serde_json::json!([lengths]);
    let bytes = serde_json::to_vec_pretty(&stats).unwrap();
    wd.write(stats_path, &bytes);
    // … with a manifest that agrees: the version verifies.
    let mut manifest: Value = serde_json::from_str(&wd.read("dataset/v1/manifest.json")).unwrap();
    for file in manifest["files"].as_array_mut().unwrap() {
        if file["name"] == "stats.json" {
            file["sha256"] = template_sft::internals::digest::sha256_hex(&bytes).into();
            file["bytes"] = bytes.len().into();
            file["lines"] = bytes.iter().filter(|&&b| b == b'\n').count().into();
        }
    }
    wd.write(
        "dataset/v1/manifest.json",
        serde_json::to_vec_pretty(&manifest).unwrap(),
    );
    let run = wd.fails(&["export", "dataset/v1", "--to", "llamafactory", "lf"], 2);
    assert!(
        run.stderr.contains("the tokenizer name \"qwen3\\nbase_model: x\" may hold only letters, digits, '.', '_' and '-'"),
        "{run}"
    );
    let run = wd.fails(&["validate", "dataset/v1"], 1);
    assert!(
        run.stdout
            .contains("the tokenizer name \"qwen3\\nbase_model: x\" may hold only letters, digits"),
        "{run}"
    );
}

#[test]
fn trainer_exports_say_how_to_run_on_a_cpu_name_their_source_relatively_and_take_the_template_from_the_base_model(
) {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    for (target, cpu) in [
        (
            "llamafactory",
            "llamafactory-cli train llamafactory_sft.yaml bf16=false",
        ),
        (
            "axolotl",
            "axolotl train axolotl.yaml --bf16=false --attn-implementation=sdpa --no-lora-mlp-kernel --no-lora-qkv-kernel --no-lora-o-kernel",
        ),
        ("trl", "python train_sft.py --set bf16=false"),
    ] {
        let out = format!("exports/{target}");
        wd.ok(&[
            "export",
            "dataset/v1",
            "--to",
            target,
            &out,
            "--base-model",
            "Qwen/Qwen3-0.6B",
        ]);
        let readme = wd.read(&format!("{out}/README.md"));
        assert!(readme.contains(&format!("```sh\n{cpu}\n```")), "{readme}");
        let manifest: Value =
            serde_json::from_str(&wd.read(&format!("{out}/manifest.json"))).unwrap();
        assert_eq!(manifest["source"]["path"], "../../dataset/v1");
    }
    // No --tokenizer: the template comes from the model's name, never null.
    let yaml: yaml_serde::Value =
        yaml_serde::from_str(&wd.read("exports/llamafactory/llamafactory_sft.yaml")).unwrap();
    assert_eq!(yaml["template"].as_str(), Some("qwen3_nothink"));
    // A name that says no family leaves it to the user, and says so.
    wd.ok(&[
        "export",
        "dataset/v1",
        "--to",
        "llamafactory",
        "plain",
        "--base-model",
        "acme/model",
    ]);
    let yaml: yaml_serde::Value =
        yaml_serde::from_str(&wd.read("plain/llamafactory_sft.yaml")).unwrap();
    assert!(yaml["template"].is_null());
    assert!(wd.read("plain/README.md").contains("`template`: not known"));
}
