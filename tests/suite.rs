//! Every integration test, in one test binary: each file beside this one is a module of it (one
//! per area, named after it; `cargo test --test suite golden::` runs one). One binary links oxc,
//! QuickJS and the tokenizers once instead of 24 times, and lets the two test threads take tests from
//! every area rather than waiting for one area's slowest test before the next binary starts.

mod support;

mod api;
mod bad_corpus;
mod bad_input;
mod briefs;
mod build;
mod durations;
mod durations_node;
mod eval;
mod export;
mod fuzz_corpus;
mod golden;
mod model_tokenizers;
mod module_graph;
mod near_copies;
#[cfg(feature = "postgres")]
mod postgres;
mod quality_gate;
mod readme;
mod reliability;
mod render;
mod report_diff;
mod sandbox;
mod typescript_catalog;
mod validate;
mod version_integrity;
