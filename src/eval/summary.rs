//! The summary of an evaluation: rates with intervals, per group, and the comparison with a baseline.
//!
//! Takes the scored rows (one per held-out example, in the split's order); gives each check's pass
//! rate with its 95% Wilson interval (a duration that cannot be evaluated is left out of
//! `duration_honoured`'s count and counted apart), the mean chrF and output tokens with bootstrap
//! intervals, the same per template, per format and per prompt origin, and, given a baseline's rows
//! for the same examples, the paired difference of every metric with a seeded bootstrap interval, a
//! sign-test p-value, and the examples that got better or worse.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::Serialize;

use super::checks::{Check, Scored, Unjudged};
use super::intervals::{bootstrap_mean, sign_test, t_mean, wilson, Estimate};

/// Below this many examples an interval is wide; the report says so.
pub const SMALL_SAMPLE: usize = 30;

/// One metric's result.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rate {
    /// The check's or metric's name (`pass`, `parses`, `gate.entry_point`, …).
    pub name: String,
    /// Outputs that passed it.
    pub passed: usize,
    /// The pass rate with its interval, over the outputs it applies to.
    pub estimate: Estimate,
}

/// A summary over some examples (all, or a group).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scores {
    /// The examples summarized.
    pub examples: usize,
    /// `pass` (every check that applies), then each check, then `extracted`.
    pub rates: Vec<Rate>,
    /// Outputs whose duration is not determinable (left out of `duration_honoured`).
    pub duration_not_determinable: usize,
    /// Outputs without a duration export whose gold code has none either (left out as well).
    pub duration_not_stated: usize,
    /// Mean chrF (0–100).
    pub similarity: Estimate,
    /// `eval --render`: mean appearance (0–1) over the rows whose gold rendered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appearance: Option<Estimate>,
    /// `eval --render`: mean motion (0–1) over the rows whose gold rendered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub motion: Option<Estimate>,
    /// Mean output length in tokens.
    pub output_tokens: Estimate,
    /// Examples without a prediction.
    pub missing: usize,
    /// Requests that failed (error lines of a batch output).
    pub failed_requests: usize,
    /// Replies without content (refusals): answered, every other check failed.
    pub refusals: usize,
}

/// How a summary's means get their intervals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Means {
    /// The seeded bootstrap (the overall summary).
    Bootstrap,
    /// Student's t (groups: hundreds of them, each small; none for a group of one).
    Student,
}

impl Scores {
    /// The scores of `rows` under `checks`, intervals by `means`.
    pub fn new(rows: &[&Scored], checks: &[Check], means: Means) -> Scores {
        let mean = match means {
            Means::Bootstrap => bootstrap_mean,
            Means::Student => t_mean,
        };
        let mut rates = vec![rate("pass", rows.iter().map(|r| Some(r.passed())))];
        for &check in checks {
            rates.push(rate(check.name(), rows.iter().map(|r| r.check(check))));
        }
        rates.push(rate("extracted", rows.iter().map(|r| Some(r.extracted))));
        let similarity: Vec<f64> = rows.iter().map(|r| r.similarity).collect();
        let scores = |of: fn(&Scored) -> Option<f64>| {
            let values: Vec<f64> = rows.iter().filter_map(|r| of(r)).collect();
            (!values.is_empty()).then(|| mean(&values))
        };
        let tokens: Vec<f64> = rows.iter().map(|r| r.output_tokens as f64).collect();
        let unjudged = |why| {
            rows.iter()
                .filter(|r| r.duration_unjudged == Some(why))
                .count()
        };
        Scores {
            examples: rows.len(),
            rates,
            duration_not_determinable: unjudged(Unjudged::NotDeterminable),
            duration_not_stated: unjudged(Unjudged::NotStated),
            similarity: mean(&similarity),
            appearance: scores(|r| r.appearance),
            motion: scores(|r| r.motion),
            output_tokens: mean(&tokens),
            missing: rows
                .iter()
                .filter(|r| r.status == super::checks::Status::Missing)
                .count(),
            failed_requests: rows
                .iter()
                .filter(|r| r.status == super::checks::Status::Failed)
                .count(),
            refusals: rows
                .iter()
                .filter(|r| r.status == super::checks::Status::Refused)
                .count(),
        }
    }

    /// The rate named `name`, if it was scored.
    pub fn rate(&self, name: &str) -> Option<&Rate> {
        self.rates.iter().find(|r| r.name == name)
    }
}

fn rate(name: &str, values: impl Iterator<Item = Option<bool>>) -> Rate {
    let (mut passed, mut n) = (0, 0);
    for v in values.flatten() {
        n += 1;
        passed += usize::from(v);
    }
    Rate {
        name: name.to_string(),
        passed,
        estimate: wilson(passed, n),
    }
}

/// Summaries of the groups of rows that share a key, by key.
pub fn by<K: Ord>(
    rows: &[Scored],
    checks: &[Check],
    key: impl Fn(&Scored) -> K,
) -> BTreeMap<K, Scores> {
    let mut groups: BTreeMap<K, Vec<&Scored>> = BTreeMap::new();
    for r in rows {
        groups.entry(key(r)).or_default().push(r);
    }
    groups
        .into_iter()
        .map(|(k, rows)| (k, Scores::new(&rows, checks, Means::Student)))
        .collect()
}

/// The paired difference of one metric: this model minus the baseline, on the same examples.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// The metric's name.
    pub name: String,
    /// Mean difference (a rate difference for checks, chrF points for similarity) with its paired
    /// bootstrap interval.
    pub difference: Estimate,
    /// Examples where this model did better.
    pub better: usize,
    /// Examples where it did worse.
    pub worse: usize,
    /// Examples where the two did as well.
    pub ties: usize,
    /// Two-sided exact sign test over the examples that differ.
    pub sign_test_p: f64,
}

/// This model against a baseline, example by example.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    /// The baseline's own scores.
    pub baseline: Scores,
    /// Each metric's paired difference.
    pub differences: Vec<Difference>,
    /// Examples that pass here and fail under the baseline.
    pub improved: Vec<String>,
    /// Examples that pass under the baseline and fail here.
    pub regressed: Vec<String>,
}

/// Compare `rows` with `baseline` (the same examples, in the same order).
pub fn compare(rows: &[Scored], baseline: &[Scored], checks: &[Check]) -> Comparison {
    // Paired by example id, not by position. Both were scored against the same held-out split,
    // one row per example (missing predictions included), so every id has its pair.
    let by_id: HashMap<&str, &Scored> = baseline.iter().map(|b| (b.id.as_str(), b)).collect();
    let pairs: Vec<(&Scored, &Scored)> = rows
        .iter()
        .filter_map(|r| Some((r, *by_id.get(r.id.as_str())?)))
        .collect();
    // Each metric's paired differences (pairs where it applies to both), bootstrapped on all cores.
    let rendered = rows.iter().any(|r| r.appearance.is_some());
    let metrics: Vec<Metric> = std::iter::once(Metric::Pass)
        .chain(checks.iter().map(|&c| Metric::Check(c)))
        .chain(std::iter::once(Metric::Similarity))
        .chain(
            [Metric::Appearance, Metric::Motion]
                .into_iter()
                .filter(|_| rendered),
        )
        .collect();
    let differences: Vec<Difference> = metrics
        .par_iter()
        .map(|metric| {
            let diffs: Vec<f64> = pairs
                .iter()
                .filter_map(|(a, b)| Some(metric.value(a)? - metric.value(b)?))
                .collect();
            difference(metric.name(), &diffs)
        })
        .collect();
    let passes = |a: bool, b: bool| {
        pairs
            .iter()
            .filter(move |(x, y)| x.passed() == a && y.passed() == b)
    };
    Comparison {
        baseline: Scores::new(
            &baseline.iter().collect::<Vec<_>>(),
            checks,
            Means::Bootstrap,
        ),
        differences,
        improved: passes(true, false).map(|(x, _)| x.id.clone()).collect(),
        regressed: passes(false, true).map(|(x, _)| x.id.clone()).collect(),
    }
}

/// What a comparison compares, row by row.
#[derive(Clone, Copy)]
enum Metric {
    /// Every check that applies passed.
    Pass,
    Check(Check),
    /// chrF against the gold code.
    Similarity,
    /// `eval --render`: the frames against the gold's.
    Appearance,
    Motion,
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Metric::Pass => "pass",
            Metric::Check(c) => c.name(),
            Metric::Similarity => "similarity",
            Metric::Appearance => "appearance",
            Metric::Motion => "motion",
        }
    }

    /// The row's value: 1 or 0 for a pass or a check, chrF for similarity; `None` when the check
    /// does not apply to the row.
    fn value(self, r: &Scored) -> Option<f64> {
        match self {
            Metric::Pass => Some(f64::from(u8::from(r.passed()))),
            Metric::Check(c) => r.check(c).map(|v| f64::from(u8::from(v))),
            Metric::Similarity => Some(r.similarity),
            Metric::Appearance => r.appearance,
            Metric::Motion => r.motion,
        }
    }
}

fn difference(name: &str, diffs: &[f64]) -> Difference {
    let better = diffs.iter().filter(|d| **d > 0.0).count();
    let worse = diffs.iter().filter(|d| **d < 0.0).count();
    Difference {
        name: name.to_string(),
        difference: bootstrap_mean(diffs),
        better,
        worse,
        ties: diffs.len() - better - worse,
        sign_test_p: sign_test(better, worse),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::checks::{score, Gold, Settings};
    use crate::eval::predictions::Answer;

    fn row(id: &str, code: &str) -> Scored {
        let gold = Gold {
            id: id.into(),
            template_id: id.into(),
            prompt_variant: "base".into(),
            format: crate::video::VideoFormat::Square,
            prompt_origin: crate::prompts::brief::PromptOrigin::Curated,
            system: String::new(),
            brief: String::new(),
            code: "export const durationInFrames = 30;\nexport default function A() { return null; }\n".into(),
            frames: 30,
            frames_from_code: true,
        };
        let settings = Settings {
            rules: Default::default(),
            export: crate::code::duration::DurationExport::new("durationInFrames"),
            encoding: crate::tokens::Encoding::O200k,
            host_globals: Default::default(),
        };
        let answer = Answer::Output {
            text: code.into(),
            tokens: Some(10),
        };
        score(&gold, Some((&answer, 1)), &settings)
    }

    const GOOD: &str =
        "export const durationInFrames = 30;\nexport default function A() { return null; }\n";
    const WRONG: &str =
        "export const durationInFrames = 60;\nexport default function A() { return null; }\n";

    #[test]
    fn rates_count_only_the_examples_a_check_applies_to() {
        let rows = [row("a", GOOD), row("b", WRONG)];
        let checks = crate::eval::checks::check_names(&Default::default());
        let s = Scores::new(&rows.iter().collect::<Vec<_>>(), &checks, Means::Bootstrap);
        assert_eq!(s.rate("pass").unwrap().passed, 1);
        assert_eq!(s.rate("parses").unwrap().passed, 2);
        assert_eq!(s.rate("duration_honoured").unwrap().estimate.n, 2);
        assert_eq!(s.output_tokens.value, 10.0);
    }

    #[test]
    fn a_comparison_pairs_examples() {
        let checks = crate::eval::checks::check_names(&Default::default());
        let model = [row("a", GOOD), row("b", GOOD), row("c", WRONG)];
        let baseline = [row("a", WRONG), row("b", GOOD), row("c", GOOD)];
        let c = compare(&model, &baseline, &checks);
        let pass = &c.differences[0];
        assert_eq!((pass.better, pass.worse, pass.ties), (1, 1, 1));
        assert_eq!(pass.difference.value, 0.0);
        assert_eq!(c.improved, ["a"]);
        assert_eq!(c.regressed, ["c"]);
    }
}
