//! `--to trl`: a prompt/completion dataset (`{"prompt": [system, user], "completion": [assistant]}`
//! per line), which TRL masks correctly whatever the chat template (the loss covers the completion
//! only), plus `train_sft.py`, a script stub that loads the files beside it and trains with
//! `SFTConfig(max_length=…, completion_only_loss=True)`, the length holding every example (TRL's
//! default of 1,024 cuts longer ones).

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use super::trainer::quoted;
use super::{turns, Out};
use crate::dataset::example::{ExampleLine, Message};
use crate::dataset::writer::FileRecord;
use crate::error::Result;
use crate::split::Split;
use crate::tokens::chat_template::Turn;

pub const SCRIPT: &str = "train_sft.py";

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
    files.push(to.staging.write_small(SCRIPT, script(to).as_bytes())?);
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

fn script(to: &Out<'_>) -> String {
    let plan = to.plan;
    let (packing, why) = plan.packing();
    let has_validation = to.source.splits().contains(&Split::Validation);
    let model = match &plan.base_model {
        Some(model) => format!("default={}", quoted(model)),
        None => "required=True".to_string(),
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r#""""Fine-tune with TRL on dataset {version} (exported by template-sft {tool}).

    pip install "trl>=0.20" peft
    python {SCRIPT} [--model NAME]

Runs from any folder: the data files are read from beside this script. The model, LoRA settings and
hyperparameters are suggestions; max_length and completion_only_loss are what the data needs.
"""
import argparse
import os

from datasets import load_dataset
from peft import LoraConfig
from trl import SFTConfig, SFTTrainer

HERE = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("--model", {model})
args = parser.parse_args()

files = {{"train": os.path.join(HERE, "train.jsonl")}}
"#,
        version = to.source.version_name(),
        tool = env!("CARGO_PKG_VERSION"),
    );
    if has_validation {
        s.push_str("files[\"validation\"] = os.path.join(HERE, \"validation.jsonl\")\n");
    }
    let _ = write!(
        s,
        r#"data = load_dataset("json", data_files=files)

config = SFTConfig(
    output_dir="outputs/template-sft-{version}",
    # {reason}
    max_length={length},
    # The loss covers the completion (the assistant's code) only, whatever the chat template.
    completion_only_loss=True,
    # {why}
    packing={packing},
    num_train_epochs=3,
    per_device_train_batch_size=1,
    gradient_accumulation_steps=8,
    learning_rate=1e-4,
    lr_scheduler_type="cosine",
    warmup_ratio=0.1,
    logging_steps=10,
    eval_strategy="{eval}",
    bf16=True,
)
trainer = SFTTrainer(
    model=args.model,
    args=config,
    train_dataset=data["train"],
    eval_dataset=data.get("validation"),
    peft_config=LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear"),
)
trainer.train()
trainer.save_model()
"#,
        version = to.source.version_name(),
        reason = plan.length_reason(),
        length = plan.length,
        packing = if packing { "True" } else { "False" },
        eval = if has_validation { "epoch" } else { "no" },
    );
    s
}
