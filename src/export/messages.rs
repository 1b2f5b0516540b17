//! `--to messages`: the upload files as they are, plus a README with an Axolotl `chat_template`
//! dataset stanza and a TRL `SFTTrainer` snippet.

use super::trainer::Plan;
use super::{Out, Source};
use crate::dataset::writer::FileRecord;
use crate::error::Result;

pub fn write(to: &Out<'_>) -> Result<Vec<FileRecord>> {
    let mut files = super::copy_splits(to.source, to.staging, "upload.jsonl", "")?;
    files.push(
        to.staging
            .write_small("README.md", readme(to.source, to.plan).as_bytes())?,
    );
    Ok(files)
}

fn readme(source: &Source, plan: &Plan) -> String {
    let has_validation = source.splits().iter().any(|s| s.name() == "validation");
    let eval = if has_validation {
        "\n    eval_dataset=data[\"validation\"],"
    } else {
        ""
    };
    let eval_files = if has_validation {
        ", \"validation\": \"validation.jsonl\""
    } else {
        ""
    };
    format!(
        r#"# {tag}: chat-format fine-tuning data

Exported by template-sft from dataset `{tag}` (manifest SHA-256 `{sha}`). Each line of `train.jsonl`,
`validation.jsonl` and `test.jsonl` is `{{"messages": [system, user, assistant]}}`: the format OpenAI's
fine-tuning API and most open-weight trainers accept.

Set the trainer's sequence length to at least {length}: {reason}. Shorter, and Axolotl (default 512)
drops longer examples while TRL (default 1,024) cuts them. `--to axolotl` and `--to trl` write
ready-to-run configs with that length.

## Axolotl

```yaml
datasets:
  - path: ./train.jsonl
    ds_type: json
    type: chat_template
    field_messages: messages
    message_property_mappings:
      role: role
      content: content
    roles_to_train: ["assistant"]
sequence_len: {length}
test_datasets:
  - path: ./validation.jsonl
    ds_type: json
    split: train
    type: chat_template
    field_messages: messages
```

## TRL

```python
from datasets import load_dataset
from trl import SFTConfig, SFTTrainer

data = load_dataset("json", data_files={{"train": "train.jsonl"{eval_files}}})
trainer = SFTTrainer(
    model="Qwen/Qwen2.5-Coder-7B-Instruct",
    train_dataset=data["train"],{eval}
    args=SFTConfig(output_dir="out", max_length={length}, assistant_only_loss=True),
)
trainer.train()
```
"#,
        tag = source.tag(),
        sha = source.manifest_sha256,
        length = plan.length,
        reason = plan.length_reason(),
    )
}
