//! Entry points for the fuzz targets in `fuzz/`, kept in the library so the regression test
//! (`tests/fuzz_corpus.rs`) runs exactly what the fuzzers run, on the stable toolchain.
//!
//! Each takes arbitrary bytes and must return without panicking; what it returns does not matter.

use std::path::Path;

use crate::diagnostic::Diagnostics;

/// For a fuzz target's `init`: libFuzzer's panic hook aborts on every panic, even one that
/// `parse_guard::guarded` catches and reports as an error (as `build` does). Let those
/// through; any other panic still aborts and is a finding.
pub fn allow_guarded_panics() {
    crate::parse_guard::quiet_guarded_panics();
}

/// The canonical.ts literal evaluator.
pub fn ts_catalog(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::catalog::typescript::parse(
            Path::new("fuzz.ts"),
            text,
            None,
            &mut Diagnostics::default(),
        );
    }
}

/// Curated prompt files (any bytes) and overrides.json (text).
pub fn prompt_line(data: &[u8]) {
    let _ =
        crate::prompts::curated::parse(Path::new("fuzz.jsonl"), data, &mut Diagnostics::default());
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::prompts::overrides::parse(
            Path::new("fuzz.json"),
            text,
            &mut Diagnostics::default(),
        );
        let _ = crate::prompts::format::split_hint(text);
    }
}

/// The quality gate on arbitrary code, on a parser-sized stack as in `build`.
pub fn tsx_check(data: &[u8]) {
    let found =
        crate::code::FoundCode::bytes(data.to_vec(), crate::code::CodeOrigin::store("fuzz"));
    let rules = crate::config::GateConfig {
        required: vec!["window.Remotion".into()],
        ..Default::default()
    };
    let _ = crate::parse_guard::with_parse_stack(|| {
        crate::code::gate::Gate::new(&rules, crate::tokens::Encoding::O200k).run("fuzz", found)
    });
}

/// One line of `validate`.
pub fn validate_line(data: &[u8]) {
    let _ = crate::validate::line::check_line(data);
}

/// The duration evaluator (export scan, transform, sandboxed run) on any module the parser accepts
/// (errors or not), as the gate runs it, on a parser-sized stack.
///
/// With `TEMPLATE_SFT_WORKER` naming the `template-sft` binary (scripts/fuzz.sh sets it), modules
/// run in its worker processes, as the tool runs them: a built-in that never yields is stopped by
/// the watchdog instead of hanging the fuzzer.
pub fn code_duration(data: &[u8]) {
    static WORKER: std::sync::Once = std::sync::Once::new();
    WORKER.call_once(|| {
        if let Some(program) = std::env::var_os("TEMPLATE_SFT_WORKER") {
            crate::code::duration::worker::use_worker_program(program.into());
        }
    });
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if crate::parse_guard::check(text).is_err() {
        return;
    }
    let _ = crate::parse_guard::with_parse_stack(|| {
        let allocator = oxc_allocator::Allocator::default();
        let _ = crate::parse_guard::guarded(|| {
            let parsed = oxc_parser::Parser::new(&allocator, text, oxc_span::SourceType::tsx())
                .with_config(oxc_parser::config::RuntimeParserConfig::new(true))
                .parse();
            let index = crate::location::LineIndex::new(text);
            crate::code::duration::evaluate(
                &parsed.program,
                text,
                &index,
                &crate::code::duration::DurationExport::new("durationInFrames"),
            )
        });
    });
}

/// The readers of a version: `stats.json` (the first line, or defaults) and meta/example lines (the
/// rest), summarized and rendered as `report` does, terminal and HTML. Nothing a file holds may
/// panic them.
pub fn version_readers(data: &[u8]) {
    let mut lines = data.split(|&b| b == b'\n');
    let stats = lines
        .next()
        .and_then(|l| serde_json::from_slice(l).ok())
        .unwrap_or_default();
    let mut summary = crate::report::Summary::new("fuzz".into(), stats);
    let mut templates: [std::collections::BTreeSet<String>; 3] = Default::default();
    for (n, line) in lines.enumerate() {
        let i = n % 3;
        if let Ok(e) = serde_json::from_slice::<crate::dataset::example::ExampleLine>(line) {
            summary.add_sample(crate::split::Split::ALL[i], &e);
            summary.add_meta(i, &mut templates[i], e.meta);
        } else if let Ok(meta) = serde_json::from_slice::<serde_json::Value>(line)
            .map(|v| v.get("meta").cloned().unwrap_or(v))
            .and_then(serde_json::from_value::<crate::dataset::example::Meta<'static>>)
        {
            summary.add_meta(i, &mut templates[i], meta);
        }
    }
    let _ = crate::report::terminal::print(&mut std::io::sink(), &summary);
    let _ = crate::report::html::render(&summary);
}

/// `eval` on one model output: as a predictions line (any of the three shapes), and as the output
/// text scored by every check against a small gold scene, on a parser-sized stack as `eval` runs
/// it. Model outputs are anything a model writes.
pub fn eval_output(data: &[u8]) {
    use crate::eval::checks::{score, Gold, Settings};
    use crate::eval::predictions::{parse_line, Answer, Ids};
    const GOLD: &str = "const { AbsoluteFill, useCurrentFrame } = window.Remotion;\nexport const durationInFrames = 90;\nexport default function Scene() {\n  return <AbsoluteFill>{useCurrentFrame()}</AbsoluteFill>;\n}\n";
    let gold = Gold {
        id: "t/base/square".into(),
        template_id: "t".into(),
        prompt_variant: "base".into(),
        format: crate::video::VideoFormat::Square,
        prompt_origin: crate::prompts::brief::PromptOrigin::Curated,
        system: String::new(),
        brief: "Make it".into(),
        code: GOLD.into(),
        frames: 90,
        frames_from_code: true,
    };
    let ids = Ids {
        ids: [gold.id.as_str()].into_iter().collect(),
        by_key: [(gold.id.clone(), gold.id.as_str())].into_iter().collect(),
        by_brief: [(gold.brief.as_str(), Some(gold.id.as_str()))]
            .into_iter()
            .collect(),
    };
    let settings = Settings {
        rules: crate::config::GateConfig {
            required: vec!["window.Remotion".into()],
            ..Default::default()
        },
        export: crate::code::duration::DurationExport::new("durationInFrames"),
        encoding: crate::tokens::Encoding::O200k,
        host_globals: ["IconifyIcon".to_string()].into_iter().collect(),
    };
    let from_line = parse_line(data, &ids).ok().map(|(_, answer)| answer);
    let text = Answer::Output {
        text: String::from_utf8_lossy(data).into_owned(),
        tokens: None,
    };
    let _ = crate::parse_guard::with_parse_stack(|| {
        for answer in from_line.iter().chain([&text]) {
            let _ = score(&gold, Some((answer, 1)), &settings);
        }
    });
}
