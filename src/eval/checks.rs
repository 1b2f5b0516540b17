//! The per-example checks of `eval`: one model output against its held-out example.
//!
//! Takes an example (its brief's format and frames, the gold code) and the model's answer; gives a
//! [`Scored`] row: the code pulled out of a Markdown fence when the model wrapped it (`extracted`;
//! the wrapping fails `no_fences`), whether it parses as TSX, each quality-gate rule of the build's
//! `[check]` config, whether its duration export evaluates to the brief's frames
//! (`duration_honoured`; not determinable is recorded apart, neither pass nor fail, and so is an
//! output without an export when the gold code has none either), whether every
//! Remotion name it uses exists (`remotion_api`), its chrF similarity to the gold code and its
//! output tokens. A missing prediction or a failed request fails every check; an output the parser
//! gives up on fails `parses`, and the checks that read the program do not apply to it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::chrf::chrf;
use super::predictions::{shown, Answer, LISTED};
use super::remotion_api::{api_use, ApiUse};
use crate::code::duration::{loads, CodeDuration, DurationExport, Loads};
use crate::code::gate::{every_rule, Rule, RULES};
use crate::config::GateConfig;
use crate::prompts::brief::PromptOrigin;
use crate::render::globals::Via;
use crate::tokens::Encoding;
use crate::video::VideoFormat;

/// Lines of an output kept for the report.
const HEAD_LINES: usize = 12;

/// A held-out example, as `eval` needs it.
#[derive(Debug, Clone)]
pub struct Gold {
    /// The stable key: `template/variant/format` (the Batch API `custom_id`).
    pub id: String,
    pub template_id: String,
    pub prompt_variant: String,
    pub format: VideoFormat,
    pub prompt_origin: PromptOrigin,
    pub system: String,
    pub brief: String,
    pub code: String,
    /// The frames the brief states.
    pub frames: u32,
    /// Whether those frames are the gold code's own duration export (`meta.durationSource` =
    /// `code`). When they are not, the gold code states no duration either, and an output without
    /// an export is not held against the model.
    pub frames_from_code: bool,
}

/// What every check needs besides the example: the build's rules and duration export, and the
/// encoding output tokens are counted in when the predictions do not report them.
pub struct Settings {
    pub rules: GateConfig,
    pub export: DurationExport,
    pub encoding: Encoding,
    /// The globals the host app provides, as the gold code reads them (bare names it uses without
    /// declaring): an output that reads one of them loads, as the gold does.
    pub host_globals: std::collections::BTreeSet<String>,
}

/// Whether an example was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// Scored: its output was read and checked.
    Scored,
    /// No prediction for this example.
    Missing,
    /// The request failed (an error line of a batch output).
    Failed,
    /// The model replied without content (a refusal): answered, every other check failed.
    Refused,
}

/// Why `duration_honoured` does not apply to an output that parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unjudged {
    /// The export cannot be evaluated without running the code.
    NotDeterminable,
    /// Neither the output nor the gold code exports a duration.
    NotStated,
}

/// One example's result: a row of `--json`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scored {
    /// The example's id (`template/variant/format`).
    pub id: String,
    /// The template the example is of.
    pub template_id: String,
    /// The prompt variant (`curated-1`, …).
    pub prompt_variant: String,
    /// The format the brief asks for.
    pub format: VideoFormat,
    /// Where the brief came from (curated, override, generated).
    pub prompt_origin: PromptOrigin,
    /// Whether it was answered, and how.
    pub status: Status,
    /// The prediction's line in its file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Why a request failed or was refused, when it was.
    pub error: Option<String>,
    /// The code was pulled out of a Markdown fence.
    pub extracted: bool,
    /// Each check: passed, failed, or `null` when it does not apply (a duration that cannot be
    /// determined by running the output's top level).
    pub checks: BTreeMap<Check, Option<bool>>,
    /// What each failed check found.
    pub failures: BTreeMap<Check, String>,
    /// The frames the brief asks for (the gold code's duration).
    pub expected_frames: u32,
    /// The frames the output's duration export evaluates to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_frames: Option<u32>,
    /// Why `duration_honoured` does not apply, when the output parsed and it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_unjudged: Option<Unjudged>,
    /// Remotion names the API does not have.
    pub hallucinated: Vec<String>,
    /// Names from packages the bundled API list does not cover.
    pub unverified: Vec<String>,
    /// chrF against the gold code, 0–100.
    pub similarity: f64,
    /// The output's length in tokens (the reported count, else o200k_base).
    pub output_tokens: usize,
    /// The first lines of the output, for reports.
    pub head: String,
    /// What rendering the output found (`eval --render`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub render: Option<crate::render::Outcome>,
    /// `eval --render`: how alike the output's frames look to the gold's (0–1); absent when the
    /// gold did not render, 0 when the output did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appearance: Option<f64>,
    /// `eval --render`: how alike the output's change over time is to the gold's (0–1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub motion: Option<f64>,
    /// `eval --render`, for the rows furthest from their gold: a few of the gold's frames and the
    /// output's, as small PNG `data:` URLs for the eval page.
    #[serde(skip)]
    pub strip: Option<Strip>,
}

/// Frames of the gold and of an output, side by side on the eval page.
#[derive(Debug, Clone, Default)]
pub struct Strip {
    pub gold: Vec<String>,
    pub output: Vec<String>,
}

impl Scored {
    /// Every check that applies passed.
    pub fn passed(&self) -> bool {
        self.checks.values().all(|c| *c != Some(false))
    }

    /// The result of `check`: `None` when it does not apply to this output.
    pub fn check(&self, check: Check) -> Option<bool> {
        self.checks.get(&check).copied().flatten()
    }

    fn unanswered(
        gold: &Gold,
        status: Status,
        line: Option<usize>,
        error: Option<String>,
        names: &[Check],
    ) -> Scored {
        let reason = error
            .clone()
            .unwrap_or_else(|| "no prediction for this example".into());
        Scored {
            id: gold.id.clone(),
            template_id: gold.template_id.clone(),
            prompt_variant: gold.prompt_variant.clone(),
            format: gold.format,
            prompt_origin: gold.prompt_origin,
            status,
            line,
            error,
            extracted: false,
            checks: names.iter().map(|&n| (n, Some(false))).collect(),
            failures: names.iter().map(|&n| (n, reason.clone())).collect(),
            expected_frames: gold.frames,
            output_frames: None,
            duration_unjudged: None,
            hallucinated: Vec::new(),
            unverified: Vec::new(),
            similarity: 0.0,
            output_tokens: 0,
            head: String::new(),
            render: None,
            appearance: None,
            motion: None,
            strip: None,
        }
    }
}

/// One check of an output. Named in JSON and reports as it always was (`parses`,
/// `gate.entry_point`, …); ordered by that name, so maps of checks keep their JSON order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// An output was given.
    Answered,
    /// No Markdown fence in the output.
    NoFences,
    /// The code parses as TSX.
    Parses,
    /// The module's top level runs to the end (the QuickJS sandbox, the host's globals as stubs).
    Loads,
    /// An enabled gate rule other than the fence and parse rules.
    Gate(Rule),
    /// The code exports the duration the brief asks for.
    DurationHonoured,
    /// Every Remotion name the code uses exists.
    RemotionApi,
    /// `eval --render`: the output renders.
    Renders,
    /// `eval --render`: and not as one flat colour.
    NotBlank,
}

impl Check {
    /// The check's name in JSON and reports.
    pub fn name(self) -> &'static str {
        match self {
            Check::Answered => "answered",
            Check::NoFences => "no_fences",
            Check::Parses => "parses",
            Check::Loads => "loads",
            Check::Gate(rule) => rule.check_name(),
            Check::DurationHonoured => "duration_honoured",
            Check::RemotionApi => "remotion_api",
            Check::Renders => "renders",
            Check::NotBlank => "not_blank",
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Ord for Check {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name().cmp(other.name())
    }
}

impl PartialOrd for Check {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Check {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// The checks scored under `rules`, in report order: answered, no_fences, parses, loads, each
/// other enabled gate rule, duration_honoured, remotion_api.
pub fn check_names(rules: &GateConfig) -> Vec<Check> {
    let mut names = vec![
        Check::Answered,
        Check::NoFences,
        Check::Parses,
        Check::Loads,
    ];
    names.extend(gate_rules(rules).map(Check::Gate));
    names.push(Check::DurationHonoured);
    names.push(Check::RemotionApi);
    names
}

/// The enabled gate rules other than the fence and parse rules (scored as their own checks,
/// `no_fences` on the whole output and `parses`), in the gate's order.
fn gate_rules(rules: &GateConfig) -> impl Iterator<Item = Rule> + '_ {
    RULES
        .iter()
        .filter(|spec| (spec.enabled)(rules))
        .map(|spec| spec.rule)
        .filter(|rule| !matches!(rule, Rule::NoFences | Rule::Parse))
}

/// Score one example's answer (`None`: no prediction).
pub fn score(gold: &Gold, answer: Option<(&Answer, usize)>, settings: &Settings) -> Scored {
    let names = check_names(&settings.rules);
    let (text, reported_tokens, line) = match answer {
        None => return Scored::unanswered(gold, Status::Missing, None, None, &names),
        Some((Answer::Failed(why), line)) => {
            return Scored::unanswered(gold, Status::Failed, Some(line), Some(shown(why)), &names)
        }
        Some((Answer::Refused(why), line)) => {
            let mut refused =
                Scored::unanswered(gold, Status::Refused, Some(line), Some(shown(why)), &names);
            refused.checks.insert(Check::Answered, Some(true));
            refused.failures.remove(&Check::Answered);
            return refused;
        }
        Some((Answer::Output { text, tokens }, line)) => (text.as_str(), *tokens, line),
    };
    let (code, extracted) = extract(text);
    let mut checks = BTreeMap::new();
    let mut failures = BTreeMap::new();
    // `None`: the check does not apply (its note is kept with the failures, for the reader).
    let mut record = |check: Check, result: Option<Result<(), String>>, note: Option<String>| {
        checks.insert(check, result.as_ref().map(Result::is_ok));
        if let Some(why) = result.and_then(Result::err).or(note).map(|why| shown(&why)) {
            failures.insert(check, why);
        }
    };
    record(Check::Answered, Some(Ok(())), None);
    record(
        Check::NoFences,
        Some(match (extracted, text.contains("```")) {
            (true, _) => Err("the code is wrapped in a Markdown fence".into()),
            (false, true) => Err("a Markdown fence (```) in the output".into()),
            (false, false) => Ok(()),
        }),
        None,
    );
    // Every rule on, so each check is known; only the enabled ones are scored.
    let all = GateConfig {
        required: settings.rules.required.clone(),
        forbidden: settings.rules.forbidden.clone(),
        export: settings.rules.export.clone(),
        ..GateConfig::default()
    };
    // The host's globals this output reads without declaring them: declared as stubs when it runs.
    let host: Vec<String> = crate::render::globals::read_by(code)
        .into_iter()
        .filter(|g| g.via == Via::Bare && settings.host_globals.contains(&g.name))
        .map(|g| g.name)
        .collect();
    let host: Vec<&str> = host.iter().map(String::as_str).collect();
    let (verdicts, inspected): (_, Option<(ApiUse, Loads)>) =
        every_rule(code, &all, &settings.export, |parsed| {
            parsed.map(|(program, tokens)| {
                (
                    api_use(program, tokens, code),
                    loads(program, code, &settings.export, &host),
                )
            })
        });
    let (api, loaded) = match inspected {
        Some((api, loaded)) => (Some(api), Some(loaded)),
        None => (None, None),
    };
    let verdict = |rule: Rule| -> Result<(), String> {
        match verdicts.rules.iter().find(|(r, _)| *r == rule) {
            Some((_, Some(why))) => Err(why.clone()),
            _ => Ok(()),
        }
    };
    record(Check::Parses, Some(verdict(Rule::Parse)), None);
    // When the parser gave up, what needs the program does not apply: the output fails `parses`,
    // not also every check that reads the program.
    let not_parsed = || Some("not parsed: the parser gave up on this output".to_string());
    match loaded {
        Some(Loads::Yes) => record(Check::Loads, Some(Ok(())), None),
        Some(Loads::No(why)) => record(Check::Loads, Some(Err(why)), None),
        Some(Loads::NotKnown(why)) => record(Check::Loads, None, Some(why)),
        None => record(Check::Loads, None, not_parsed()),
    }
    for rule in gate_rules(&settings.rules) {
        if verdicts.not_judged.contains(&rule) {
            record(Check::Gate(rule), None, not_parsed());
        } else {
            record(Check::Gate(rule), Some(verdict(rule)), None);
        }
    }
    let output_frames = match &verdicts.duration {
        Some(CodeDuration::Frames { frames, .. }) => Some(*frames),
        _ => None,
    };
    let duration_unjudged = match &verdicts.duration {
        Some(CodeDuration::NotDeterminable { .. }) => Some(Unjudged::NotDeterminable),
        Some(CodeDuration::NoExport) if !gold.frames_from_code => Some(Unjudged::NotStated),
        _ => None,
    };
    let (duration, note) = match &verdicts.duration {
        Some(CodeDuration::Frames { frames, .. }) if *frames == gold.frames => (Some(Ok(())), None),
        Some(CodeDuration::Frames { frames, .. }) => (
            Some(Err(format!(
                "the code exports {frames} frames; the brief asks for {}",
                gold.frames
            ))),
            None,
        ),
        // Recorded apart: neither honoured nor not.
        Some(CodeDuration::NotDeterminable { reason, at, .. }) => {
            (None, Some(format!("not determinable at {at}: {reason}")))
        }
        Some(CodeDuration::NoExport) if gold.frames_from_code => (
            Some(Err(format!(
                "no {} export states the duration; the gold code exports it",
                settings.export.pattern
            ))),
            None,
        ),
        // The brief's duration came from the catalog: the gold code has no export to imitate.
        Some(CodeDuration::NoExport) => (
            None,
            Some(format!(
                "no {} export, and the gold code has none either (the brief's duration is the catalog's)",
                settings.export.pattern
            )),
        ),
        None => (None, not_parsed()),
    };
    record(Check::DurationHonoured, duration, note);
    match &api {
        None => record(Check::RemotionApi, None, not_parsed()),
        Some(used) if used.unknown.is_empty() => record(Check::RemotionApi, Some(Ok(())), None),
        Some(used) => record(
            Check::RemotionApi,
            Some(Err(format!(
                "not in Remotion's API: {}",
                used.unknown.iter().cloned().collect::<Vec<_>>().join(", ")
            ))),
            None,
        ),
    }
    let api = api.unwrap_or_default();
    Scored {
        id: gold.id.clone(),
        template_id: gold.template_id.clone(),
        prompt_variant: gold.prompt_variant.clone(),
        format: gold.format,
        prompt_origin: gold.prompt_origin,
        status: Status::Scored,
        line: Some(line),
        error: None,
        extracted,
        checks,
        failures,
        expected_frames: gold.frames,
        output_frames,
        duration_unjudged,
        hallucinated: api.unknown.iter().take(LISTED).map(|n| shown(n)).collect(),
        unverified: api
            .unverified
            .iter()
            .take(LISTED)
            .map(|n| shown(n))
            .collect(),
        similarity: chrf(code, &gold.code),
        output_tokens: reported_tokens.unwrap_or_else(|| settings.encoding.count(text)),
        head: shown(&text.lines().take(HEAD_LINES).collect::<Vec<_>>().join("\n")),
        render: None,
        appearance: None,
        motion: None,
        strip: None,
    }
}

/// The code of an output: the body of its first Markdown fence when it has one (to its closing
/// fence, or the end), else the output itself. Gives whether a fence was removed.
pub fn extract(text: &str) -> (&str, bool) {
    let Some(open) = text.find("```") else {
        return (text, false);
    };
    let after = &text[open + 3..];
    // The rest of the opening line is the language tag (```tsx).
    let body = match after.find('\n') {
        Some(nl) => &after[nl + 1..],
        None => return (text, false),
    };
    let end = body.find("```").unwrap_or(body.len());
    (&body[..end], true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gate_check_is_named_after_its_rule_and_checks_keep_their_json_order() {
        let rules = [
            Rule::TooLarge,
            Rule::Utf8,
            Rule::NotEmpty,
            Rule::NoFences,
            Rule::NoLeadingProse,
            Rule::Parse,
            Rule::EntryPoint,
            Rule::Required,
            Rule::Forbidden,
            Rule::Render,
        ];
        for rule in rules {
            assert_eq!(Check::Gate(rule).name(), format!("gate.{}", rule.name()));
        }
        let map: BTreeMap<Check, bool> = check_names(&GateConfig::default())
            .into_iter()
            .map(|c| (c, true))
            .collect();
        let json = serde_json::to_string(&map).unwrap();
        let keys: Vec<&str> = map.keys().map(|c| c.name()).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted, "ordered by name, as a map of strings was");
        assert!(
            json.starts_with(r#"{"answered":true,"duration_honoured":true,"gate."#),
            "{json}"
        );
    }

    const GOOD: &str = "const { AbsoluteFill, useCurrentFrame } = window.Remotion;\n\nexport const durationInFrames = 90;\n\nexport default function Scene() {\n  const frame = useCurrentFrame();\n  return <AbsoluteFill>{frame}</AbsoluteFill>;\n}\n";

    fn gold() -> Gold {
        Gold {
            id: "t/base/square".into(),
            template_id: "t".into(),
            prompt_variant: "base".into(),
            format: VideoFormat::Square,
            prompt_origin: PromptOrigin::Curated,
            system: "s".into(),
            brief: "b".into(),
            code: GOOD.into(),
            frames: 90,
            frames_from_code: true,
        }
    }

    fn settings() -> Settings {
        Settings {
            rules: GateConfig::default(),
            export: DurationExport::new("durationInFrames"),
            encoding: Encoding::O200k,
            host_globals: Default::default(),
        }
    }

    fn run(text: &str) -> Scored {
        let answer = Answer::Output {
            text: text.into(),
            tokens: None,
        };
        score(&gold(), Some((&answer, 1)), &settings())
    }

    fn failed(s: &Scored) -> Vec<&str> {
        s.checks
            .iter()
            .filter(|(_, v)| **v == Some(false))
            .map(|(k, _)| k.name())
            .collect()
    }

    #[test]
    fn the_gold_code_passes_everything() {
        let s = run(GOOD);
        assert!(s.passed(), "{:?}", s.failures);
        assert!((s.similarity - 100.0).abs() < 1e-9);
        assert_eq!(s.output_frames, Some(90));
    }

    #[test]
    fn each_fault_fails_exactly_its_check() {
        let fenced = run(&format!("Here it is:\n```tsx\n{GOOD}```\n"));
        assert_eq!(failed(&fenced), ["no_fences"]);
        assert!(fenced.extracted);
        let syntax = run(&GOOD.replace("return <AbsoluteFill>", "return <AbsoluteFill"));
        assert_eq!(failed(&syntax), ["parses"], "{:?}", syntax.failures);
        let wrong = run(&GOOD.replace("= 90", "= 120"));
        assert_eq!(failed(&wrong), ["duration_honoured"]);
        assert_eq!(
            wrong.failures[&Check::DurationHonoured],
            "the code exports 120 frames; the brief asks for 90"
        );
        let invented = run(&GOOD.replace("useCurrentFrame }", "useCurrentFrame, useMagicTween }"));
        assert_eq!(failed(&invented), ["remotion_api"]);
        assert_eq!(invented.hallucinated, ["window.Remotion.useMagicTween"]);
        let no_default = run(&GOOD.replace("export default function", "function"));
        assert_eq!(failed(&no_default), ["gate.entry_point"]);
    }

    #[test]
    fn an_undeterminable_duration_is_neither_pass_nor_fail() {
        let s = run(&GOOD.replace("= 90", "= Math.random() > 2 ? 1 : 90"));
        assert_eq!(s.checks[&Check::DurationHonoured], None);
        assert!(s.failures[&Check::DurationHonoured].starts_with("not determinable"));
        assert_eq!(s.duration_unjudged, Some(Unjudged::NotDeterminable));
        assert!(s.passed());
    }

    #[test]
    fn no_export_fails_only_when_the_gold_code_has_one() {
        let bare = GOOD.replace("export const durationInFrames = 90;\n", "");
        let answer = Answer::Output {
            text: bare,
            tokens: None,
        };
        let s = score(&gold(), Some((&answer, 1)), &settings());
        assert_eq!(failed(&s), ["duration_honoured"]);
        let catalog = Gold {
            frames_from_code: false,
            ..gold()
        };
        let s = score(&catalog, Some((&answer, 1)), &settings());
        assert_eq!(s.checks[&Check::DurationHonoured], None);
        assert!(s.failures[&Check::DurationHonoured].contains("gold code has none either"));
        assert_eq!(s.duration_unjudged, Some(Unjudged::NotStated));
        assert!(s.passed());
    }

    #[test]
    fn missing_and_failed_predictions_fail_every_check() {
        let missing = score(&gold(), None, &settings());
        assert_eq!(missing.status, Status::Missing);
        assert_eq!(
            failed(&missing).len(),
            check_names(&GateConfig::default()).len()
        );
        let error = Answer::Failed("rate limited".into());
        let failed_request = score(&gold(), Some((&error, 3)), &settings());
        assert_eq!(failed_request.status, Status::Failed);
        assert_eq!(failed_request.failures[&Check::Parses], "rate limited");
        assert_eq!(failed_request.check(Check::Answered), Some(false));
    }

    #[test]
    fn a_refusal_is_answered_and_fails_every_other_check() {
        let refusal = Answer::Refused("the model refused: no".into());
        let s = score(&gold(), Some((&refusal, 2)), &settings());
        assert_eq!(s.status, Status::Refused);
        assert_eq!(s.check(Check::Answered), Some(true));
        assert_eq!(
            failed(&s).len(),
            check_names(&GateConfig::default()).len() - 1
        );
        assert_eq!(s.failures[&Check::Parses], "the model refused: no");
        assert!(!s.passed());
    }
}
