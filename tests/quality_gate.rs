//! The quality gate and token budgets, end to end.

use crate::support;

use std::sync::OnceLock;

use serde_json::Value;
use support::{jsonl, repo_root, Workdir};
use template_sft::internals::tokens::Encoding;

fn stats(wd: &Workdir, version: &str) -> Value {
    serde_json::from_str(&wd.read(&format!("dataset/{version}/stats.json"))).unwrap()
}

/// Counts from a second, independent implementation (tiktoken-rs, a port of OpenAI's tiktoken).
fn reference(encoding: Encoding, text: &str) -> usize {
    static O200K: OnceLock<tiktoken_rs::CoreBPE> = OnceLock::new();
    static CL100K: OnceLock<tiktoken_rs::CoreBPE> = OnceLock::new();
    let bpe = match encoding {
        Encoding::O200k => O200K.get_or_init(|| tiktoken_rs::o200k_base().unwrap()),
        Encoding::Cl100k => CL100K.get_or_init(|| tiktoken_rs::cl100k_base().unwrap()),
    };
    bpe.encode_ordinary(text).len()
}

#[test]
fn counts_match_known_values_and_an_independent_implementation() {
    // Known counts, pinned: small strings whose tokenization differs between the two encodings.
    let pinned = [
        ("hello world", 2, 2),
        ("tiktoken is great!", 6, 6),
        ("const { AbsoluteFill } = window.Remotion;", 10, 10),
        ("   indentation\n\n\tand tabs", 5, 5),
        ("日本語のテキスト", 8, 6),
    ];
    for (text, cl100k, o200k) in pinned {
        assert_eq!(Encoding::Cl100k.count(text), cl100k, "cl100k {text:?}");
        assert_eq!(Encoding::O200k.count(text), o200k, "o200k {text:?}");
    }
    // Every starter scene, both encodings, against tiktoken-rs.
    for entry in std::fs::read_dir(repo_root().join("examples/starter/templates")).unwrap() {
        let code = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for encoding in [Encoding::O200k, Encoding::Cl100k] {
            assert_eq!(encoding.count(&code), reference(encoding, &code));
        }
    }
}

#[test]
fn every_example_records_its_billed_tokens() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    let system = wd.read("template-sft.toml");
    let system = system
        .split("system = \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    for split in ["train", "validation", "test"] {
        for e in jsonl(&wd.read(&format!("dataset/v1/{split}.jsonl"))) {
            let m = &e["messages"];
            let contents: Vec<&str> = (0..3).map(|i| m[i]["content"].as_str().unwrap()).collect();
            assert_eq!(contents[0], system);
            let parts: usize = contents.iter().map(|c| reference(Encoding::O200k, c)).sum();
            // 3 reply-priming tokens + per message (3 framing + 1 role) + contents.
            assert_eq!(e["meta"]["tokens"], 3 + 3 * 4 + parts);
            assert_eq!(
                e["meta"]["assistantTokens"],
                reference(Encoding::O200k, contents[2])
            );
        }
    }
    let s = stats(&wd, "v1");
    assert_eq!(s["tokens"]["model"], "gpt-4o-mini-2024-07-18");
    assert_eq!(s["tokens"]["encoding"], "o200k_base");
    assert_eq!(s["tokens"]["limit"], 65536);
    let overall = &s["tokens"]["overall"];
    assert_eq!(overall["examples"], s["totals"]["all"]);
    let by_split: u64 = ["train", "validation", "test"]
        .iter()
        .map(|k| s["tokens"][k]["totalTokens"].as_u64().unwrap())
        .sum();
    assert_eq!(overall["totalTokens"].as_u64().unwrap(), by_split);
    assert!(
        overall["min"].as_u64() <= overall["median"].as_u64()
            && overall["median"].as_u64() <= overall["max"].as_u64()
    );
    // 21 training examples: 3 epochs would be 63 < 100, so 100 / 21 = 4 epochs.
    assert_eq!(s["tokens"]["trainedEstimate"]["epochs"], 4);
    assert_eq!(
        s["tokens"]["trainedEstimate"]["trainedTokens"]
            .as_u64()
            .unwrap(),
        4 * s["tokens"]["train"]["totalTokens"].as_u64().unwrap()
    );
    assert_eq!(
        s["sanitizerFailures"],
        serde_json::json!([]),
        "the starter passes the gate untouched"
    );
}

#[test]
fn the_model_picks_the_encoding() {
    let wd = Workdir::starter();
    wd.ok(&["build", "--model", "gpt-3.5-turbo-0125"]);
    let s = stats(&wd, "v1");
    assert_eq!(s["tokens"]["encoding"], "cl100k_base");
    assert_eq!(s["tokens"]["limit"], 16385);
    let e = &jsonl(&wd.read("dataset/v1/train.jsonl"))[0];
    let code = e["messages"][2]["content"].as_str().unwrap();
    assert_eq!(
        e["meta"]["assistantTokens"],
        reference(Encoding::Cl100k, code)
    );
    // OpenAI's aliases are their snapshots' budgets, under the name given.
    let run = wd.ok(&["build", "--model", "gpt-4o-mini", "--tag", "alias"]);
    let alias = stats(&wd, "alias");
    assert_eq!(alias["tokens"]["model"], "gpt-4o-mini", "{run}");
    assert_eq!(alias["tokens"]["encoding"], "o200k_base");
    assert_eq!(alias["tokens"]["limit"], 65536);
    let run = wd.fails(&["build", "--model", "llama-3"], 2);
    assert!(
        run.stderr.starts_with(
            "error: --model: unknown model \"llama-3\": use one of gpt-4o-mini-2024-07-18"
        ),
        "{run}"
    );
}

#[test]
fn over_limit_examples_are_dropped_and_listed_or_fail_under_strict() {
    let wd = Workdir::starter();
    wd.edit("template-sft.toml", |t| {
        format!("{t}\n[tokens]\nmodel = \"gpt-4o-mini-2024-07-18\"\nmax_tokens = 550\n")
    });
    let run = wd.ok(&["build"]);
    let s = stats(&wd, "v1");
    let dropped = s["overLimitExamples"].as_array().unwrap();
    assert!(!dropped.is_empty(), "{run}");
    assert!(dropped
        .iter()
        .all(|d| d["tokens"].as_u64().unwrap() > 550 && d["limit"] == 550));
    assert!(
        run.stderr
            .contains("over the gpt-4o-mini-2024-07-18 limit of 550; dropped"),
        "{run}"
    );
    for split in ["train", "validation", "test"] {
        for m in jsonl(&wd.read(&format!("dataset/v1/{split}.meta.jsonl"))) {
            assert!(m["meta"]["tokens"].as_u64().unwrap() <= 550);
        }
    }
    let run = wd.fails(&["build", "--strict"], 4);
    assert!(
        run.stderr.ends_with(&format!(
            "error: --strict: {} examples over the token limit; nothing was written\n",
            dropped.len()
        )),
        "{run}"
    );
    assert_eq!(wd.outputs("dataset"), ["v1"]);
}

#[test]
fn rejected_templates_are_reported_once_and_strict_writes_nothing() {
    let wd = Workdir::starter();
    wd.edit("templates/quote-card.tsx", |code| {
        format!("```tsx\n{code}```\n")
    });
    wd.edit("templates/lower-third.tsx", |code| {
        code.replace("return (", "return (((")
    });
    let run = wd.ok(&["build"]);
    let s = stats(&wd, "v1");
    let failures = s["sanitizerFailures"].as_array().unwrap();
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[0]["templateId"], "quote-card");
    assert_eq!(failures[0]["rule"], "no_fences");
    assert_eq!(failures[0]["sourceKey"], "quote-card");
    assert_eq!(failures[1]["templateId"], "lower-third");
    assert_eq!(failures[1]["rule"], "parse");
    assert_eq!(
        failures[1]["message"],
        "line 27:4: Expected `,` or `)` but found `;`"
    );
    assert_eq!(
        run.stderr
            .matches("template \"lower-third\" rejected (parse)")
            .count(),
        1,
        "{run}"
    );
    assert_eq!(s["uniqueTemplatesCovered"], 10);

    let run = wd.fails(&["build", "--strict"], 4);
    assert!(
        run.stderr.ends_with(
            "error: --strict: 2 templates rejected by the quality gate; nothing was written\n"
        ),
        "{run}"
    );
    assert_eq!(wd.outputs("dataset"), ["v1"]);
}

#[test]
fn required_and_forbidden_identifiers_are_configurable() {
    let wd = Workdir::starter();
    wd.edit("template-sft.toml", |t| {
        format!("{t}\n[check]\nrequired = [\"window.Remotion\"]\nforbidden = [\"Easing\"]\n")
    });
    wd.ok(&["build"]);
    let failures = stats(&wd, "v1")["sanitizerFailures"].clone();
    assert_eq!(failures.as_array().unwrap().len(), 1, "{failures}");
    assert_eq!(failures[0]["templateId"], "stats-counter");
    assert_eq!(failures[0]["rule"], "forbidden");
    assert_eq!(failures[0]["message"], "Easing occurs in the code");
}

#[test]
fn the_catalog_fixtures_code_passes_the_gate() {
    // Every scene shipped in the repository (starter templates and code overrides) passes as is.
    let rules = template_sft::internals::config::GateConfig {
        required: vec!["window.Remotion".into()],
        ..Default::default()
    };
    let dirs = [
        "examples/starter/templates",
        "examples/starter/code-overrides",
    ];
    for dir in dirs {
        for entry in std::fs::read_dir(repo_root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let found = template_sft::internals::code::FoundCode::bytes(
                std::fs::read(&path).unwrap(),
                template_sft::internals::code::CodeOrigin::store("k"),
            );
            let result = template_sft::internals::code::gate::Gate::new(&rules, Encoding::O200k)
                .run("t", found);
            assert!(result.is_ok(), "{}: {:?}", path.display(), result.err());
        }
    }
}

#[test]
fn code_that_makes_the_parser_panic_is_rejected_quietly() {
    // Found by the tsx_check fuzzer: with token collection on (required/forbidden lists), oxc 0.146
    // trips an internal assertion on this input.
    let crash = std::fs::read(
        repo_root()
            .join("fuzz/regressions/tsx_check/crash-522935198f9eb93679dbeef6007b9bf0b8fcccf4"),
    )
    .unwrap();
    let wd = Workdir::starter();
    wd.write("templates/quote-card.tsx", crash);
    wd.edit("template-sft.toml", |t| {
        format!("{t}\n[check]\nrequired = [\"window.Remotion\"]\n")
    });
    let run = wd.ok(&["build"]);
    assert!(!run.stderr.contains("panicked"), "{run}");
    let failures = stats(&wd, "v1")["sanitizerFailures"].clone();
    assert_eq!(failures[0]["templateId"], "quote-card");
    assert_eq!(failures[0]["rule"], "parse");
    assert!(
        failures[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("the TSX parser failed on this code: "),
        "{failures}"
    );
}

#[test]
fn deeply_nested_code_is_rejected_not_a_crash() {
    let wd = Workdir::starter();
    wd.write(
        "templates/quote-card.tsx",
        format!(
            "export default {}1{};\n",
            "(".repeat(100_000),
            ")".repeat(100_000)
        ),
    );
    wd.write(
        "templates/lower-third.tsx",
        format!("export default {}1;\n", "!".repeat(30_000)),
    );
    let run = wd.ok(&["build"]);
    let failures = stats(&wd, "v1")["sanitizerFailures"].clone();
    assert_eq!(failures[0]["templateId"], "quote-card");
    assert_eq!(
        failures[0]["message"],
        "line 1:516: nested more than 500 levels deep; not parsed"
    );
    // Unary chains are not counted by the nesting scan; the parser's big stack takes them.
    assert_eq!(failures.as_array().unwrap().len(), 1, "{run}");
}

#[test]
fn the_per_thread_pretokenizer_counts_exactly_like_bpe_openai_and_tiktoken() {
    // Varied text: synthetic scenes, every file in the repository's fixtures, and edge cases of
    // whitespace, case, contractions, digits and non-Latin scripts around the look-ahead patterns.
    let mut texts: Vec<String> = vec![
        String::new(),
        " ".into(),
        "\n\n\n".into(),
        "a  \n  b\t\t\n".into(),
        "   trailing   ".into(),
        "I'M here, they'VE gone; it's 12345678 o'clock".into(),
        "ÀÉÎõü ñandú Ωμέγα кириллица 中文字符 日本語 한국어 العربية 🎬🎥✨".into(),
        "x\r\ny\r\n\r\n  z".into(),
        "<|endoftext|> <|im_start|>".into(),
    ];
    let mut rng = template_sft::internals::rng::Rng::new(11);
    for i in 0..60 {
        let size = 500 + (rng.below(20_000) as usize);
        texts.push(template_sft::internals::synth::scene(&mut rng, i, size));
    }
    for dir in [
        "examples/starter/templates",
        "examples/starter/prompts",
        "tests/fixtures/catalogs",
        "tests/fixtures/validate",
    ] {
        for entry in std::fs::read_dir(repo_root().join(dir)).unwrap() {
            if let Ok(text) = std::fs::read_to_string(entry.unwrap().path()) {
                texts.push(text);
            }
        }
    }
    for text in &texts {
        assert_eq!(
            Encoding::O200k.count(text),
            bpe_openai::o200k_base().count(text.as_str()),
            "o200k {:?}",
            &text[..text.len().min(80)]
        );
        assert_eq!(
            Encoding::Cl100k.count(text),
            bpe_openai::cl100k_base().count(text.as_str()),
            "cl100k {:?}",
            &text[..text.len().min(80)]
        );
    }
    for text in texts.iter().take(20) {
        assert_eq!(
            Encoding::O200k.count(text),
            reference(Encoding::O200k, text)
        );
        assert_eq!(
            Encoding::Cl100k.count(text),
            reference(Encoding::Cl100k, text)
        );
    }
    // From several threads at once, each with its own regex cache.
    let counts: Vec<usize> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    texts
                        .iter()
                        .map(|t| Encoding::O200k.count(t))
                        .sum::<usize>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(counts.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn a_jsx_brace_left_open_gets_a_hint_not_only_the_parsers_words() {
    let wd = Workdir::starter();
    wd.edit("templates/lower-third.tsx", |code| {
        code.replace(
            "fontWeight: 700 }}>{name}</div>",
            "fontWeight: 700 }}>{name</div>",
        )
    });
    let run = wd.ok(&["build"]);
    assert!(
        run.stderr.contains(
            "templates/lower-third.tsx:21:82: template \"lower-third\" rejected (parse): Unterminated regular expression (in JSX this usually means a missing `}` or `>` before a closing tag such as `</div>`)"
        ),
        "{run}"
    );
}

#[test]
fn a_byte_order_mark_and_crlf_are_normalized_said_and_listed_not_rejected() {
    let wd = Workdir::starter();
    let original = wd.read("templates/quote-card.tsx");
    let lines = original.lines().count();
    wd.write(
        "templates/quote-card.tsx",
        format!("\u{feff}{}", original.replace('\n', "\r\n")),
    );
    for build in ["v1", "v2"] {
        // The second build takes the gate's verdict from its cache: the same code, the same word.
        let run = wd.ok(&["build", "--tag", build]);
        assert!(
            run.stderr.contains(&format!("warning: templates/quote-card.tsx: template \"quote-card\": a UTF-8 byte-order mark at its start was removed; {lines} Windows line endings (CRLF) were written as LF")),
            "{run}"
        );
        let s = stats(&wd, build);
        assert_eq!(
            s["normalizedCode"],
            serde_json::json!([{"templateId": "quote-card", "path": "templates/quote-card.tsx", "bom": true, "crlfLines": lines}])
        );
        assert!(s["sanitizerFailures"].as_array().unwrap().is_empty());
        let examples: Vec<serde_json::Value> = ["train", "validation", "test"]
            .iter()
            .flat_map(|split| jsonl(&wd.read(&format!("dataset/{build}/{split}.jsonl"))))
            .filter(|e| e["meta"]["templateId"] == "quote-card")
            .collect();
        assert!(!examples.is_empty());
        for e in examples {
            let code = e["messages"][2]["content"].as_str().unwrap();
            assert_eq!(code, original.trim_end(), "the code as an editor shows it");
        }
    }
    let report = wd.ok(&["report", "dataset/v2"]);
    assert!(
        report.stdout.contains(&format!(
            "  quote-card: byte-order mark removed; {lines} CRLF lines written as LF"
        )),
        "{report}"
    );
}
