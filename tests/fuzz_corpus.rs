//! Every input in the fuzz corpora and every crash the fuzzers ever found (`fuzz/corpus/<target>/`,
//! `fuzz/regressions/<target>/`) runs through the same entry points as the fuzz targets, on the
//! stable toolchain, in every test run.

mod support;

use std::fs;

use support::repo_root;
use template_sft::fuzzing;

fn inputs(target: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dir in ["fuzz/corpus", "fuzz/regressions"] {
        let path = repo_root().join(dir).join(target);
        for entry in fs::read_dir(path).into_iter().flatten().flatten() {
            out.push(fs::read(entry.path()).unwrap());
        }
    }
    out
}

#[test]
fn the_ts_catalog_evaluator_survives_its_corpus() {
    let inputs = inputs("ts_catalog");
    assert!(inputs.len() >= 3);
    for data in inputs {
        fuzzing::ts_catalog(&data);
    }
}

#[test]
fn the_quality_gate_survives_its_corpus() {
    let inputs = inputs("tsx_check");
    assert!(inputs.len() >= 10);
    for data in inputs {
        fuzzing::tsx_check(&data);
    }
}

#[test]
fn the_prompt_readers_survive_their_corpus() {
    let inputs = inputs("prompt_line");
    assert!(inputs.len() >= 3);
    for data in inputs {
        fuzzing::prompt_line(&data);
    }
}

#[test]
fn the_validate_line_checker_survives_its_corpus() {
    let inputs = inputs("validate_line");
    assert!(inputs.len() >= 10);
    for data in inputs {
        fuzzing::validate_line(&data);
    }
}
