//! Entry points for the fuzz targets in `fuzz/`, kept in the library so the regression test
//! (`tests/fuzz_corpus.rs`) runs exactly what the fuzzers run, on the stable toolchain.
//!
//! Each takes arbitrary bytes and must return without panicking; what it returns does not matter.

use std::path::Path;

use crate::console::Console;

/// The canonical.ts literal evaluator.
pub fn ts_catalog(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ =
            crate::catalog::typescript::parse(Path::new("fuzz.ts"), text, None, &Console::silent());
    }
}

/// Curated prompt files (any bytes) and overrides.json (text).
pub fn prompt_line(data: &[u8]) {
    let _ = crate::prompts::curated::parse(Path::new("fuzz.jsonl"), data, &Console::silent());
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::prompts::overrides::parse(Path::new("fuzz.json"), text, &Console::silent());
        let _ = crate::prompts::format::split_hint(text);
    }
}

/// One line of `validate`.
pub fn validate_line(data: &[u8]) {
    let _ = crate::validate::line::check_line(data);
}
