//! The library from outside the crate, as an embedder uses it: `build` with an `Observer`, then
//! `validate`, `export`, `evaluate` and `prepare` on the version it wrote, through the names
//! `lib.rs` re-exports only; options set from their defaults and errors matched with a catch-all,
//! as `#[non_exhaustive]` asks of a caller.

use crate::support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use support::Workdir;
use template_sft::{
    build, evaluate, export, prepare, validate, Budget, BuildOptions, Config, Diagnostic, Error,
    EvalOptions, ExportOptions, ExportTarget, Location, Observer, Outputs, PrepareOptions,
    Progress, Split, Target, ValidateOptions, Version,
};

/// An observer that counts what it is told.
#[derive(Default)]
struct Counting {
    diagnostics: AtomicUsize,
    stages: Mutex<Vec<String>>,
    finished_steps: Mutex<Vec<&'static str>>,
}

impl Observer for Counting {
    fn diagnostic(&self, _diagnostic: &Diagnostic) {
        self.diagnostics.fetch_add(1, Ordering::SeqCst);
    }
    fn stage(&self, what: &str) {
        self.stages.lock().unwrap().push(what.to_string());
    }
    fn progress(&self, progress: &Progress) {
        if progress.finished {
            self.finished_steps.lock().unwrap().push(progress.step);
        }
    }
}

#[test]
fn an_embedder_builds_validates_exports_and_evaluates_through_the_public_api() {
    let wd = Workdir::starter();
    let config = Config::load(&wd.path("template-sft.toml")).unwrap();
    let observer = Counting::default();
    // The options grow (`#[non_exhaustive]`): an embedder starts from the defaults and sets fields.
    let mut options = BuildOptions::default();
    options.observer = Some(&observer);
    let built = build(&config, &options).unwrap();
    let version = built.version.clone().unwrap();
    // The observer heard every warning the build returns, each stage, and the end of each step.
    assert_eq!(
        observer.diagnostics.load(Ordering::SeqCst),
        built.diagnostics.len()
    );
    let stages = observer.stages.lock().unwrap().clone();
    assert!(
        stages
            .iter()
            .any(|s| s.ends_with("written and renamed into place")),
        "{stages:?}"
    );
    assert!(observer
        .finished_steps
        .lock()
        .unwrap()
        .contains(&"checking"));

    // validate: the version is fit for OpenAI fine-tuning.
    let budget = Budget::new("gpt-4o-mini", None).unwrap();
    let report = validate(
        std::slice::from_ref(&version),
        &ValidateOptions::new(Target::Openai, budget),
    )
    .unwrap();
    assert_eq!(report.errors(), 0);

    // export: a Hugging Face dataset folder, with its manifest.
    let exported = export(
        &version,
        ExportTarget::Hf,
        &wd.path("hf"),
        &ExportOptions::default(),
    )
    .unwrap();
    assert!(exported.path.join("manifest.json").is_file());
    assert!(exported.path.join("data/train.jsonl").is_file());

    // evaluate: the gold code passes every check on the test split.
    let options = EvalOptions::new().split(Split::Test).outputs(Outputs::Gold);
    let evaluation = evaluate(&version, &options).unwrap();
    let opened = Version::open(&version).unwrap();
    assert_eq!(evaluation.summary.examples, opened.stats.totals.test);
    // What an evaluation holds is nameable.
    let scores: &template_sft::evaluation::Scores = &evaluation.summary;
    let pass: &template_sft::evaluation::Rate = &scores.rates[0];
    assert_eq!(pass.name, "pass");
    assert_eq!(pass.passed, evaluation.summary.examples);

    // prepare: one request per held-out example (options from their defaults, one field set).
    let mut prepare_options = PrepareOptions::default();
    prepare_options.max_tokens = Some(2048);
    let prepared = prepare(&version, &prepare_options, &wd.path("requests.jsonl")).unwrap();
    assert_eq!(prepared.requests, opened.stats.totals.test);

    // An error is matched by kind, with a catch-all arm: `Error` grows (`#[non_exhaustive]`).
    match Config::load(&wd.path("missing.toml")) {
        Err(Error::Usage(message)) => assert!(message.contains("template-sft init"), "{message}"),
        Err(other) => panic!("a missing config should be a usage error, not: {other}"),
        Ok(_) => panic!("a missing config loaded"),
    }
    // An input error says where: a `Location` (its path shared, line and column as numbers).
    std::fs::write(wd.path("bad.toml"), "[catalog]\npath = \n").unwrap();
    match Config::load(&wd.path("bad.toml")) {
        Err(Error::Config { at, .. }) => {
            let at: &Location = &at;
            assert!(at.path.ends_with("bad.toml"), "{at}");
            assert_eq!((at.line, at.col), (Some(2), Some(8)), "{at}");
        }
        Err(other) => panic!("a broken config should be a config error, not: {other}"),
        Ok(_) => panic!("a broken config loaded"),
    }
}
