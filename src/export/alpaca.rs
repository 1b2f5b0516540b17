//! `--to alpaca`: `{"instruction": user, "input": "", "output": assistant, "system": system}` per line,
//! and a LLaMA-Factory `dataset_info.json` entry per split. Alpaca holds one turn, which is what
//! template-sft datasets are.

use serde_json::{json, Value};

use super::{turns, Source};
use crate::dataset::example::{ExampleLine, Message};
use crate::dataset::writer::{FileRecord, Staging};
use crate::error::Result;

/// Write each split as Alpaca rows (`instruction`, `input`, `output`).
pub fn write(source: &Source, staging: &Staging) -> Result<Vec<FileRecord>> {
    super::write_with_dataset_info(source, staging, record, |file| {
        json!({
            "file_name": file,
            "columns": {"prompt": "instruction", "query": "input", "response": "output", "system": "system"}
        })
    })
}

/// One example as an Alpaca row.
pub fn record(example: &ExampleLine) -> Value {
    let (system, user, assistant) = turns(&example.messages);
    json!({"instruction": user, "input": "", "output": assistant, "system": system})
}

/// Messages of an exported line.
pub fn to_messages(record: &Value) -> Option<Vec<Message>> {
    let field = |k: &str| record.get(k).and_then(Value::as_str).map(str::to_string);
    let mut user = field("instruction")?;
    let input = field("input").unwrap_or_default();
    if !input.is_empty() {
        user = format!("{user}\n\n{input}");
    }
    let mut messages = Vec::new();
    if let Some(system) = field("system").filter(|s| !s.is_empty()) {
        messages.push(Message {
            role: "system".into(),
            content: system,
        });
    }
    messages.push(Message {
        role: "user".into(),
        content: user,
    });
    messages.push(Message {
        role: "assistant".into(),
        content: field("output")?,
    });
    Some(messages)
}
