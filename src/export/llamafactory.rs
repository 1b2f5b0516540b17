//! `--to llamafactory`: the ShareGPT layout (`{split}.jsonl` and `dataset_info.json`, entries named
//! after the version) plus `llamafactory_sft.yaml`, a LoRA SFT config that runs as it is with
//! `llamafactory-cli train llamafactory_sft.yaml` from the export's folder: every path in it is
//! relative to that folder, `cutoff_len` holds every example, the prompt is masked
//! (`train_on_prompt: false`), the chat template is the model family's non-reasoning one, and the
//! validation split is evaluated during the run. The YAML is a typed struct written by a serializer
//! (LLaMA-Factory reads it with OmegaConf): no name from a dataset, a version or a command line is
//! ever pasted into its text, and its only comments are fixed.

use serde::Serialize;

use super::trainer::{dataset_name, run_name, EVAL_EVERY, SAVE_EVERY, WARMUP};
use super::{sharegpt, Out};
use crate::dataset::writer::FileRecord;
use crate::error::{Error, Result};
use crate::split::Split;

pub const CONFIG: &str = "llamafactory_sft.yaml";
pub const RUN: &str = "llamafactory-cli train llamafactory_sft.yaml";
/// The same on a CPU: the flags `scripts/check-trainers.sh` runs it with (plus one step).
pub const CPU_RUN: &str = "llamafactory-cli train llamafactory_sft.yaml bf16=false";

const HEADER: &str = "# LLaMA-Factory LoRA SFT config written by template-sft. Run it from this folder:\n#   llamafactory-cli train llamafactory_sft.yaml\n# Paths are relative to this folder; README.md says why the data settings are what they are.\n";

/// `llamafactory_sft.yaml`, key by key in the order LLaMA-Factory's examples use.
#[derive(Debug, Serialize)]
struct Config {
    // model
    model_name_or_path: Option<String>,
    trust_remote_code: bool,
    // method
    stage: &'static str,
    do_train: bool,
    finetuning_type: &'static str,
    lora_rank: u32,
    lora_target: &'static str,
    // dataset
    dataset: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    eval_dataset: Option<String>,
    dataset_dir: &'static str,
    template: Option<&'static str>,
    cutoff_len: usize,
    train_on_prompt: bool,
    packing: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    neat_packing: Option<bool>,
    preprocessing_num_workers: u32,
    overwrite_cache: bool,
    // output
    output_dir: String,
    logging_steps: u32,
    save_steps: f64,
    plot_loss: bool,
    report_to: &'static str,
    // train
    per_device_train_batch_size: u32,
    gradient_accumulation_steps: u32,
    learning_rate: f64,
    num_train_epochs: f64,
    lr_scheduler_type: &'static str,
    warmup_steps: f64,
    bf16: bool,
    // eval
    #[serde(skip_serializing_if = "Option::is_none")]
    per_device_eval_batch_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    eval_strategy: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    eval_steps: Option<f64>,
}

pub fn write(to: &Out<'_>) -> Result<Vec<FileRecord>> {
    let mut files = sharegpt::write(to.source, to.staging)?;
    let yaml = yaml_serde::to_string(&config(to))
        .map_err(|e| Error::write(to.staging_path(CONFIG), std::io::Error::other(e)))?;
    files.push(
        to.staging
            .write_small(CONFIG, format!("{HEADER}{yaml}").as_bytes())?,
    );
    let plan = to.plan;
    let template = match &plan.family {
        Some((family, read_from)) => format!(
            "`{}`, LLaMA-Factory's name for the chat template of the family of {read_from} (never a reasoning template: the data has no reasoning)",
            family.llamafactory_template()
        ),
        None => "not known: set the model's LLaMA-Factory template (a non-reasoning one, e.g. qwen, llama3, gemma)".to_string(),
    };
    let readme = super::trainer::readme(
        plan,
        "LLaMA-Factory",
        CONFIG,
        (RUN, CPU_RUN),
        &[
            ("cutoff_len", plan.length_reason()),
            ("template", template),
            (
                "train_on_prompt: false",
                "the loss covers the assistant's code only".into(),
            ),
        ],
    );
    files.push(to.staging.write_small("README.md", readme.as_bytes())?);
    Ok(files)
}

fn config(to: &Out<'_>) -> Config {
    let plan = to.plan;
    let has_validation = to.source.splits().contains(&Split::Validation);
    let (packing, _) = plan.packing();
    Config {
        model_name_or_path: plan.base_model.clone(),
        trust_remote_code: to.trust_remote_code,
        stage: "sft",
        do_train: true,
        finetuning_type: "lora",
        lora_rank: 16,
        lora_target: "all",
        dataset: dataset_name(to.source, Split::Train.name()),
        eval_dataset: has_validation.then(|| dataset_name(to.source, Split::Validation.name())),
        dataset_dir: ".",
        template: plan.family.as_ref().map(|(f, _)| f.llamafactory_template()),
        cutoff_len: plan.length,
        train_on_prompt: false,
        packing,
        neat_packing: packing.then_some(true),
        preprocessing_num_workers: 4,
        overwrite_cache: true,
        output_dir: format!("saves/template-sft-{}", run_name(to.source)),
        logging_steps: 10,
        save_steps: SAVE_EVERY,
        plot_loss: true,
        report_to: "none",
        per_device_train_batch_size: 1,
        gradient_accumulation_steps: 8,
        learning_rate: 1.0e-4,
        num_train_epochs: 3.0,
        lr_scheduler_type: "cosine",
        warmup_steps: WARMUP,
        bf16: true,
        per_device_eval_batch_size: has_validation.then_some(1),
        eval_strategy: has_validation.then_some("steps"),
        eval_steps: has_validation.then_some(EVAL_EVERY),
    }
}
