//! `--to sharegpt`: `{"conversations": [{"from": "system"|"human"|"gpt", "value": …}]}` per line, and
//! a LLaMA-Factory `dataset_info.json` entry per split (formatting `sharegpt`, from/value tags).

use serde_json::{json, Value};

use super::Source;
use crate::dataset::example::{ExampleLine, Message};
use crate::dataset::writer::{FileRecord, Staging};
use crate::error::Result;

const ROLES: [(&str, &str); 5] = [
    ("system", "system"),
    ("user", "human"),
    ("assistant", "gpt"),
    ("tool", "observation"),
    ("function", "function_call"),
];

/// Write each split as ShareGPT rows (`conversations` of `from`/`value`).
pub fn write(source: &Source, staging: &Staging) -> Result<Vec<FileRecord>> {
    super::write_with_dataset_info(source, staging, record, |file| {
        json!({
            "file_name": file,
            "formatting": "sharegpt",
            "columns": {"messages": "conversations"},
            "tags": {
                "role_tag": "from",
                "content_tag": "value",
                "user_tag": "human",
                "assistant_tag": "gpt",
                "system_tag": "system",
                "observation_tag": "observation",
                "function_tag": "function_call"
            }
        })
    })
}

/// One example as a ShareGPT row.
pub fn record(example: &ExampleLine) -> Value {
    let conversations: Vec<Value> = example
        .messages
        .iter()
        .map(|m| {
            let from = ROLES
                .iter()
                .find(|r| r.0 == m.role)
                .map_or(m.role.as_str(), |r| r.1);
            json!({"from": from, "value": m.content})
        })
        .collect();
    json!({ "conversations": conversations })
}

/// Messages of an exported line.
pub fn to_messages(record: &Value) -> Option<Vec<Message>> {
    record
        .get("conversations")?
        .as_array()?
        .iter()
        .map(|turn| {
            let from = turn.get("from")?.as_str()?;
            let role = ROLES.iter().find(|r| r.1 == from).map_or(from, |r| r.0);
            Some(Message {
                role: role.to_string(),
                content: turn.get("value")?.as_str()?.to_string(),
            })
        })
        .collect()
}
