//! Every seed input of the fuzzers (`fuzz/seeds.txt`) and every crash they ever found
//! (`fuzz/regressions/<target>/`) runs through the same entry points as the fuzz targets, on the
//! stable toolchain, in every test run.

use crate::support;

use std::fs;

use support::repo_root;
use template_sft::internals::fuzzing;

/// Every file of the target's seed folders (fuzz/seeds.txt) and of its regressions folder.
fn inputs(target: &str) -> Vec<Vec<u8>> {
    let seeds = fs::read_to_string(repo_root().join("fuzz/seeds.txt")).unwrap();
    let mut dirs: Vec<String> = seeds
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .filter(|(t, _)| *t == target)
        .map(|(_, dir)| dir.to_string())
        .collect();
    dirs.push(format!("fuzz/regressions/{target}"));
    let mut out = Vec::new();
    for dir in dirs {
        for entry in fs::read_dir(repo_root().join(dir))
            .into_iter()
            .flatten()
            .flatten()
        {
            if entry.path().is_file() {
                out.push(fs::read(entry.path()).unwrap());
            }
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
fn the_duration_evaluator_survives_its_corpus() {
    // As the tool runs modules: in the binary's worker processes (the corpus has a built-in that
    // never yields, which only the watchdog stops).
    template_sft::internals::code::duration::worker::use_worker_program(
        env!("CARGO_BIN_EXE_template-sft").into(),
    );
    let inputs = inputs("code_duration");
    assert!(inputs.len() >= 10);
    for data in inputs {
        fuzzing::code_duration(&data);
    }
}

#[test]
fn the_version_readers_survive_their_corpus() {
    let inputs = inputs("version_readers");
    assert!(inputs.len() >= 3);
    for data in inputs {
        fuzzing::version_readers(&data);
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

#[test]
fn eval_survives_its_corpus_of_model_outputs() {
    let inputs = inputs("eval_output");
    assert!(inputs.len() >= 15);
    for data in inputs {
        fuzzing::eval_output(&data);
    }
}
