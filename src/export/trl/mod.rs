//! `--to trl`: a prompt/completion dataset (`{"prompt": [system, user], "completion": [assistant]}`
//! per line), which TRL masks correctly whatever the chat template (the loss covers the completion
//! only), plus `train_sft.py` and `train_sft.json`. The script is fixed (`train_sft.py` beside this
//! module: the same bytes in every export, so nothing from a dataset or a command line is ever code);
//! it reads its settings from the JSON beside it: `SFTConfig(max_length=…, completion_only_loss=True,
//! …)`, the length holding every example (TRL's default of 1,024 cuts longer ones), the validation
//! split evaluated during the run, `warmup_steps` as a ratio (`transformers` 5.16 removed
//! `warmup_ratio`), an eval batch of one (a batch of eight packed long rows is gigabytes of logits).

use serde::Serialize;
use serde_json::Value;

use super::trainer::{run_name, EVAL_EVERY, SAVE_EVERY, WARMUP};
use super::{turns, Out};
use crate::dataset::example::{ExampleLine, Message};
use crate::dataset::writer::FileRecord;
use crate::error::{Error, Result};
use crate::split::Split;
use crate::tokens::chat_template::Turn;

/// The training script written.
pub const SCRIPT: &str = "train_sft.py";
/// The settings file the script reads.
pub const SETTINGS: &str = "train_sft.json";
/// How to run it.
pub const RUN: &str = "python train_sft.py";
/// The same on a CPU: the flags `scripts/check-trainers.sh` runs it with (plus one step).
pub const CPU_RUN: &str = "python train_sft.py --set bf16=false";

/// The script every TRL export holds, byte for byte.
const SCRIPT_TEXT: &str = include_str!("train_sft.py");

/// Write the TRL export: the splits, the script and its settings.
pub fn write(to: &Out<'_>) -> Result<Vec<FileRecord>> {
    let mut files = Vec::new();
    for split in to.source.splits() {
        files.push(super::convert_with(
            to.source,
            to.staging,
            split,
            &format!("{}.jsonl", split.name()),
            |example, out| write_record(example, out),
        )?);
    }
    files.push(to.staging.write_small(SCRIPT, SCRIPT_TEXT.as_bytes())?);
    let mut settings = serde_json::to_vec_pretty(&settings(to))
        .map_err(|e| Error::serialize("train_sft.json", e))?;
    settings.push(b'\n');
    files.push(to.staging.write_small(SETTINGS, &settings)?);
    let readme = super::trainer::readme(
        to.plan,
        "TRL",
        SETTINGS,
        (RUN, CPU_RUN),
        &[
            ("max_length", to.plan.length_reason()),
            (
                "completion_only_loss",
                "the loss covers the completion (the assistant's code) only, whatever the chat template".into(),
            ),
        ],
    );
    files.push(to.staging.write_small("README.md", readme.as_bytes())?);
    Ok(files)
}

/// A line, prompt first (a `serde_json::Map` would sort the keys).
#[derive(Serialize)]
struct Record<'a> {
    prompt: [Turn<'a>; 2],
    completion: [Turn<'a>; 1],
}

fn write_record(example: &ExampleLine, out: &mut dyn std::io::Write) -> serde_json::Result<()> {
    let (system, user, assistant) = turns(&example.messages);
    let turn = |role, content| Turn { role, content };
    let record = Record {
        prompt: [turn("system", system), turn("user", user)],
        completion: [turn("assistant", assistant)],
    };
    serde_json::to_writer(out, &record)
}

/// Messages of an exported line.
pub fn to_messages(record: &Value) -> Option<Vec<Message>> {
    let mut messages: Vec<Message> = serde_json::from_value(record.get("prompt")?.clone()).ok()?;
    let completion: Vec<Message> =
        serde_json::from_value(record.get("completion")?.clone()).ok()?;
    messages.extend(completion);
    Some(messages)
}

/// `train_sft.json`: what the fixed script reads.
#[derive(Debug, Serialize)]
struct Settings {
    model: Option<String>,
    files: std::collections::BTreeMap<&'static str, String>,
    sft_config: SftConfig,
    lora: Lora,
}

/// Keyword arguments of TRL's `SFTConfig`.
#[derive(Debug, Serialize)]
struct SftConfig {
    output_dir: String,
    max_length: usize,
    completion_only_loss: bool,
    packing: bool,
    num_train_epochs: u32,
    per_device_train_batch_size: u32,
    per_device_eval_batch_size: u32,
    gradient_accumulation_steps: u32,
    learning_rate: f64,
    lr_scheduler_type: &'static str,
    warmup_steps: f64,
    logging_steps: u32,
    eval_strategy: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    eval_steps: Option<f64>,
    save_steps: f64,
    bf16: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_init_kwargs: Option<ModelInit>,
}

#[derive(Debug, Serialize)]
struct ModelInit {
    trust_remote_code: bool,
}

/// Keyword arguments of PEFT's `LoraConfig`.
#[derive(Debug, Serialize)]
struct Lora {
    r: u32,
    lora_alpha: u32,
    lora_dropout: f64,
    target_modules: &'static str,
}

fn settings(to: &Out<'_>) -> Settings {
    let plan = to.plan;
    let (packing, _) = plan.packing();
    let has_validation = to.source.splits().contains(&Split::Validation);
    let mut files = std::collections::BTreeMap::new();
    files.insert("train", "train.jsonl".to_string());
    if has_validation {
        files.insert("validation", "validation.jsonl".to_string());
    }
    Settings {
        model: plan.base_model.clone(),
        files,
        sft_config: SftConfig {
            output_dir: format!("outputs/template-sft-{}", run_name(to.source)),
            max_length: plan.length,
            completion_only_loss: true,
            packing,
            num_train_epochs: 3,
            per_device_train_batch_size: 1,
            per_device_eval_batch_size: 1,
            gradient_accumulation_steps: 8,
            learning_rate: 1e-4,
            lr_scheduler_type: "cosine",
            warmup_steps: WARMUP,
            logging_steps: 10,
            eval_strategy: if has_validation { "steps" } else { "no" },
            eval_steps: has_validation.then_some(EVAL_EVERY),
            save_steps: SAVE_EVERY,
            bf16: true,
            model_init_kwargs: to.trust_remote_code.then_some(ModelInit {
                trust_remote_code: true,
            }),
        },
        lora: Lora {
            r: 16,
            lora_alpha: 32,
            lora_dropout: 0.05,
            target_modules: "all-linear",
        },
    }
}
