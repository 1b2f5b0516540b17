//! `export`: every target converts back to the same messages, keeps split names, writes a
//! verifiable manifest, never overwrites, and refuses a source whose manifest does not verify.

mod support;

use serde_json::Value;
use support::{jsonl, Workdir};
use template_sft::dataset::example::Message;
use template_sft::export::{alpaca, sharegpt};

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
    template_sft::dataset::manifest::verify(&wd.path("out")).unwrap();
}

#[test]
fn hf_round_trips() {
    round_trip("hf", "data/", template_sft::export::messages_of);
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
    round_trip("messages", "", template_sft::export::messages_of);
}

#[test]
fn llamafactory_round_trips() {
    round_trip("llamafactory", "", sharegpt::to_messages);
}

#[test]
fn axolotl_round_trips() {
    round_trip("axolotl", "", template_sft::export::messages_of);
}

#[test]
fn trl_prompt_completion_round_trips() {
    round_trip("trl", "", template_sft::export::trl::to_messages);
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
    let source_manifest = template_sft::digest::sha256_hex(
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
