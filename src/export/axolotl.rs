//! `--to axolotl`: the messages layout (`{split}.jsonl` of `{"messages": […]}`) plus `axolotl.yaml`,
//! a LoRA config that runs as it is with `axolotl train axolotl.yaml` from the export's folder:
//! dataset paths are relative to it, the model's own chat template renders the messages, only the
//! assistant's turn is trained, `sequence_len` holds every example (Axolotl drops longer ones), the
//! validation split is the eval set (`val_set_size: 0`, no random split of train) and is evaluated
//! during the run (`evals_per_epoch`: without it Axolotl 0.19 never evaluates), and a packed config
//! uses FlashAttention 2 (`attn_implementation: flash_attention_2`): Axolotl warns that packing with
//! PyTorch's SDPA in bf16 may train at 0.0 loss on GPUs older than Hopper. It needs the `flash-attn`
//! package (the README says so); without packing, or on a CPU, SDPA. The YAML is a typed struct
//! written by a serializer: no name is ever pasted into its text, and its only comments are fixed.

use serde::Serialize;

use super::trainer::{run_name, WARMUP};
use super::Out;
use crate::dataset::writer::FileRecord;
use crate::error::{Error, Result};
use crate::split::Split;

pub const CONFIG: &str = "axolotl.yaml";
pub const RUN: &str = "axolotl train axolotl.yaml";
/// The same on a CPU: the flags `scripts/check-trainers.sh` runs it with (plus one step).
pub const CPU_RUN: &str = "axolotl train axolotl.yaml --bf16=false --attn-implementation=sdpa --no-lora-mlp-kernel --no-lora-qkv-kernel --no-lora-o-kernel";

const HEADER: &str = "# Axolotl LoRA config written by template-sft. Run it from this folder:\n#   axolotl train axolotl.yaml\n# Paths are relative to this folder; README.md says why the data settings are what they are.\n";

#[derive(Debug, Serialize)]
struct Config {
    base_model: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    trust_remote_code: bool,
    chat_template: &'static str,
    datasets: Vec<Dataset>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    test_datasets: Vec<Dataset>,
    val_set_size: u32,
    dataset_prepared_path: &'static str,
    sequence_len: usize,
    sample_packing: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    eval_sample_packing: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pad_to_sequence_len: Option<bool>,
    attn_implementation: &'static str,
    adapter: &'static str,
    lora_r: u32,
    lora_alpha: u32,
    lora_dropout: f64,
    lora_target_linear: bool,
    output_dir: String,
    micro_batch_size: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    eval_batch_size: Option<u32>,
    gradient_accumulation_steps: u32,
    num_epochs: u32,
    learning_rate: f64,
    lr_scheduler: &'static str,
    /// Axolotl's own setting (its `warmup_steps` takes whole steps); it turns the ratio into steps.
    warmup_ratio: f64,
    optimizer: &'static str,
    bf16: &'static str,
    logging_steps: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    evals_per_epoch: Option<u32>,
    saves_per_epoch: u32,
}

/// One `datasets` / `test_datasets` entry.
#[derive(Debug, Serialize)]
struct Dataset {
    path: String,
    ds_type: &'static str,
    /// A JSON file loads as one split named train.
    split: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    field_messages: &'static str,
    roles_to_train: [&'static str; 1],
    train_on_eos: &'static str,
}

impl Dataset {
    fn of(split: Split) -> Dataset {
        Dataset {
            path: format!("{}.jsonl", split.name()),
            ds_type: "json",
            split: "train",
            kind: "chat_template",
            field_messages: "messages",
            roles_to_train: ["assistant"],
            train_on_eos: "turn",
        }
    }
}

pub fn write(to: &Out<'_>) -> Result<Vec<FileRecord>> {
    let mut files = super::copy_splits(to.source, to.staging, "upload.jsonl", "")?;
    let yaml = yaml_serde::to_string(&config(to))
        .map_err(|e| Error::write(to.staging_path(CONFIG), std::io::Error::other(e)))?;
    files.push(
        to.staging
            .write_small(CONFIG, format!("{HEADER}{yaml}").as_bytes())?,
    );
    let readme = super::trainer::readme(
        to.plan,
        "Axolotl",
        CONFIG,
        (RUN, CPU_RUN),
        &[
            ("sequence_len", to.plan.length_reason()),
            (
                "chat_template: tokenizer_default",
                "the model's own chat template renders the messages, as they were counted".into(),
            ),
            (
                "roles_to_train: [assistant]",
                "the loss covers the assistant's code only".into(),
            ),
            (
                "val_set_size: 0, test_datasets",
                "the version's validation split is the eval set; train is not split again".into(),
            ),
            (
                "attn_implementation",
                if to.plan.packing().0 {
                    "`flash_attention_2`: packing with PyTorch's SDPA in bf16 may train at 0.0 loss on GPUs older than Hopper (Axolotl warns so); install FlashAttention 2 first (`pip install flash-attn --no-build-isolation`, a CUDA GPU of the Ampere generation or newer), or set `sdpa` on an H100 or newer".into()
                } else {
                    "`sdpa`, PyTorch's own attention: nothing to install (no packing, so no 0.0-loss risk)".into()
                },
            ),
        ],
    );
    files.push(to.staging.write_small("README.md", readme.as_bytes())?);
    Ok(files)
}

/// The attention a config asks for: FlashAttention 2 when it packs (SDPA with packing in bf16 risks
/// 0.0 loss before Hopper), SDPA otherwise (nothing to install).
fn attention(packing: bool) -> &'static str {
    if packing {
        "flash_attention_2"
    } else {
        "sdpa"
    }
}

fn config(to: &Out<'_>) -> Config {
    let plan = to.plan;
    let (packing, _) = plan.packing();
    let has_validation = to.source.splits().contains(&Split::Validation);
    Config {
        base_model: plan.base_model.clone(),
        trust_remote_code: to.trust_remote_code,
        chat_template: "tokenizer_default",
        datasets: vec![Dataset::of(Split::Train)],
        test_datasets: if has_validation {
            vec![Dataset::of(Split::Validation)]
        } else {
            Vec::new()
        },
        val_set_size: 0,
        dataset_prepared_path: "prepared",
        sequence_len: plan.length,
        sample_packing: packing,
        eval_sample_packing: packing.then_some(false),
        pad_to_sequence_len: packing.then_some(true),
        attn_implementation: attention(packing),
        adapter: "lora",
        lora_r: 16,
        lora_alpha: 32,
        lora_dropout: 0.05,
        lora_target_linear: true,
        output_dir: format!("outputs/template-sft-{}", run_name(to.source)),
        micro_batch_size: 1,
        eval_batch_size: has_validation.then_some(1),
        gradient_accumulation_steps: 8,
        num_epochs: 3,
        learning_rate: 1e-4,
        lr_scheduler: "cosine",
        warmup_ratio: WARMUP,
        optimizer: "adamw_torch",
        bf16: "auto",
        logging_steps: 10,
        evals_per_epoch: has_validation.then_some(4),
        saves_per_epoch: 1,
    }
}
