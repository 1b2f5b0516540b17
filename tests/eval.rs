//! `eval` end to end on the starter: the Batch API request file, the gold ceiling, hand-made
//! predictions that each fail exactly their check, bad prediction lines at file:line, a baseline.

use crate::support;

use serde_json::Value;
use support::{jsonl, Workdir};

fn built() -> Workdir {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    wd
}

fn id_of(line: &Value) -> String {
    let m = &line["meta"];
    format!(
        "{}/{}/{}",
        m["templateId"].as_str().unwrap(),
        m["promptVariant"].as_str().unwrap(),
        m["format"].as_str().unwrap()
    )
}

#[test]
fn prepare_writes_batch_api_requests_for_the_held_out_prompts() {
    let wd = built();
    let run = wd.ok(&[
        "eval",
        "prepare",
        "dataset/v1",
        "requests.jsonl",
        "--model",
        "ft:gpt-4o-mini:acme::x",
    ]);
    assert!(
        run.stdout
            .starts_with("wrote requests.jsonl: 2 requests for ft:gpt-4o-mini:acme::x"),
        "{run}"
    );
    let gold = jsonl(&wd.read("dataset/v1/test.jsonl"));
    let requests = jsonl(&wd.read("requests.jsonl"));
    assert_eq!(requests.len(), gold.len());
    let mut ids = std::collections::BTreeSet::new();
    for (request, example) in requests.iter().zip(&gold) {
        // The documented fields of a Batch API input line, and nothing else.
        let keys: Vec<&str> = request
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["body", "custom_id", "method", "url"]);
        assert_eq!(request["method"], "POST");
        assert_eq!(request["url"], "/v1/chat/completions");
        let id = request["custom_id"].as_str().unwrap();
        assert_eq!(id, id_of(example));
        assert!(ids.insert(id.to_string()), "custom_id {id} twice");
        let body = &request["body"];
        assert_eq!(body["model"], "ft:gpt-4o-mini:acme::x");
        assert!(body["max_tokens"].as_u64().unwrap() >= 256);
        assert_eq!(body["temperature"], 0.0);
        // The prompt without the answer.
        assert_eq!(
            body["messages"],
            Value::Array(example["messages"].as_array().unwrap()[..2].to_vec())
        );
    }
}

#[test]
fn prepare_keeps_max_tokens_within_the_models_output_limit() {
    let wd = built();
    fn prepare<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["eval", "prepare", "dataset/v1", "requests.jsonl"];
        args.extend_from_slice(extra);
        args
    }
    let run = wd.fails(
        &prepare(&["--model", "gpt-4o-mini", "--max-tokens", "16385"]),
        2,
    );
    assert!(run.stderr.contains("output limit of 16384"), "{run}");
    let run = wd.fails(&prepare(&["--max-tokens", "0"]), 2);
    assert!(run.stderr.contains("at least 1"), "{run}");
    assert!(!wd.path("requests.jsonl").exists());
    // An unknown model: written, with a warning that its limit is not checked.
    let run = wd.ok(&prepare(&["--model", "Qwen/Qwen3-8B"]));
    assert!(run.stderr.contains("output limit is not known"), "{run}");
    // A reasoning model takes max_completion_tokens (written beside: requests.jsonl is taken).
    wd.ok(&prepare(&["--model", "o4-mini", "--max-tokens", "4096"]));
    let body = &jsonl(&wd.read("requests-1.jsonl"))[0]["body"];
    assert_eq!(body["max_completion_tokens"], 4096);
    assert!(body.get("max_tokens").is_none(), "{body}");
}

#[test]
fn refusals_and_failed_requests_are_scored_and_their_messages_shown() {
    let wd = built();
    let gold = jsonl(&wd.read("dataset/v1/test.jsonl"));
    assert_eq!(gold.len(), 2);
    let refusal = serde_json::json!({"custom_id": id_of(&gold[0]), "response": {"status_code": 200, "request_id": "q", "body": {"choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": "I cannot write that scene"}, "finish_reason": "stop"}]}}, "error": null});
    // vLLM's failed request: a status, no body, the message in "error".
    let failed = serde_json::json!({"id": "vllm-1", "custom_id": id_of(&gold[1]), "response": {"status_code": 400, "request_id": "r"}, "error": "This model's maximum context length is 4096 tokens"});
    wd.write("p.jsonl", format!("{refusal}\n{failed}\n"));
    let run = wd.ok(&["eval", "dataset/v1", "--predictions", "p.jsonl"]);
    assert!(
        run.stdout
            .contains("0 missing, 1 failed requests, 1 refusals, 0 bad lines"),
        "{run}"
    );
    assert!(
        run.stdout.contains("p.jsonl:1: no answer to score for")
            && run
                .stdout
                .contains("the model refused: I cannot write that scene"),
        "{run}"
    );
    assert!(
        run.stdout.contains("p.jsonl:2: failed request for")
            && run.stdout.contains("maximum context length is 4096 tokens"),
        "{run}"
    );
    let json = wd
        .ok(&["eval", "dataset/v1", "--predictions", "p.jsonl", "--json"])
        .json();
    assert_eq!(json["summary"]["refusals"], 1);
    assert_eq!(json["summary"]["failedRequests"], 1);
    assert_eq!(json["summary"]["missing"], 0);
    let answered = json["summary"]["rates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "answered")
        .unwrap();
    assert_eq!(answered["passed"], 1);
}

#[test]
fn the_gold_code_passes_parse_and_gate() {
    let wd = built();
    let run = wd.ok(&["eval", "dataset/v1", "--gold", "--json"]);
    let e = run.json();
    for rate in e["summary"]["rates"].as_array().unwrap() {
        let name = rate["name"].as_str().unwrap();
        if name == "parses"
            || name == "loads"
            || name.starts_with("gate.")
            || name == "no_fences"
            || name == "remotion_api"
        {
            assert_eq!(rate["estimate"]["value"], 1.0, "{name}");
        }
    }
    assert_eq!(e["summary"]["similarity"]["value"], 100.0);
    // Every brief's duration holds for its own code; the examples of the three train templates
    // whose code exports no duration (their briefs state the catalog's) are counted apart.
    let train = wd
        .ok(&["eval", "dataset/v1", "--gold", "--split", "train", "--json"])
        .json();
    let duration = train["summary"]["rates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "duration_honoured")
        .unwrap()
        .clone();
    let train_examples = jsonl(&wd.read("dataset/v1/train.jsonl"));
    let from_catalog = train_examples
        .iter()
        .filter(|e| e["meta"]["durationSource"] != "code")
        .count();
    assert_eq!(from_catalog, 10);
    assert_eq!(duration["estimate"]["value"], 1.0, "{duration}");
    assert_eq!(
        duration["estimate"]["n"].as_u64().unwrap() as usize,
        train_examples.len() - from_catalog
    );
    assert_eq!(train["summary"]["durationNotStated"], from_catalog);
    let text = wd.ok(&["eval", "dataset/v1", "--gold", "--split", "train"]);
    assert!(
        text.stdout.contains(
            "no duration export in the output nor its gold code: 10 (left out of duration_honoured)"
        ),
        "{text}"
    );
}

/// Predictions for the train split: every example answered with its gold code, except the ones
/// broken on purpose.
fn predictions(wd: &Workdir) -> (String, Vec<(String, &'static str)>) {
    let gold = jsonl(&wd.read("dataset/v1/train.jsonl"));
    let mut lines = Vec::new();
    let mut broken = Vec::new();
    let find = |template: &str| {
        gold.iter()
            .position(|l| l["meta"]["templateId"] == template)
            .unwrap()
    };
    let lower_third = find("lower-third");
    let quote = find("quote-card");
    let countdown = find("countdown-portrait");
    let kinetic = find("kinetic-headline");
    let progress = find("progress-steps");
    for (i, example) in gold.iter().enumerate() {
        let id = id_of(example);
        let code = example["messages"][2]["content"]
            .as_str()
            .unwrap()
            .to_string();
        let output = if i == lower_third {
            broken.push((id.clone(), "duration_honoured"));
            code.replace("durationInFrames = 120", "durationInFrames = 150")
        } else if i == quote {
            broken.push((id.clone(), "no_fences"));
            format!("Here is the scene:\n```tsx\n{code}\n```\n")
        } else if i == countdown {
            broken.push((id.clone(), "remotion_api"));
            code.replacen(
                "window.Remotion",
                "window.Remotion;\nconst { useMagicTween } = window.Remotion",
                1,
            )
        } else if i == kinetic {
            broken.push((id.clone(), "parses"));
            code.replacen("return (", "return ((", 1)
        } else if i == progress {
            broken.push((id.clone(), "missing"));
            continue;
        } else {
            code
        };
        // Three shapes: Batch API output, {custom_id, completion}, and a chat line with meta.
        let line = match i % 3 {
            0 => {
                serde_json::json!({"id": format!("r{i}"), "custom_id": id, "response": {"status_code": 200, "request_id": "q", "body": {"choices": [{"index": 0, "message": {"role": "assistant", "content": output}}], "usage": {"completion_tokens": 100}}}, "error": null})
            }
            1 => serde_json::json!({"custom_id": id, "completion": output}),
            _ => {
                serde_json::json!({"messages": [example["messages"][0], example["messages"][1], {"role": "assistant", "content": output}], "meta": example["meta"]})
            }
        };
        lines.push(line.to_string());
    }
    lines.insert(3, "{not json".to_string());
    lines.push(r#"{"custom_id": "no-such/base/square", "completion": "x"}"#.to_string());
    (lines.join("\n") + "\n", broken)
}

#[test]
fn hand_made_faults_each_fail_exactly_their_check() {
    let wd = built();
    let (text, broken) = predictions(&wd);
    wd.write("predictions.jsonl", &text);
    let run = wd.ok(&[
        "eval",
        "dataset/v1",
        "--split",
        "train",
        "--predictions",
        "predictions.jsonl",
        "--json",
    ]);
    // A bad line is reported at its file:line and does not stop the evaluation.
    assert!(
        run.stderr
            .contains("predictions.jsonl:4: predictions line not used: not JSON: "),
        "{run}"
    );
    let e = run.json();
    let leftovers = &e["predictions"]["leftovers"];
    assert_eq!(leftovers["badLines"]["count"], 1);
    assert_eq!(leftovers["badLines"]["first"][0]["line"], 4);
    assert_eq!(leftovers["unknownIds"]["count"], 1);
    assert_eq!(
        leftovers["unknownIds"]["first"][0][0],
        "no-such/base/square"
    );
    let rows = e["predictions"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 22);
    for row in rows {
        let failed: Vec<&str> = row["checks"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| **v == Value::Bool(false))
            .map(|(k, _)| k.as_str())
            .collect();
        let id = row["id"].as_str().unwrap();
        match broken.iter().find(|(b, _)| b == id).map(|b| b.1) {
            Some("missing") => {
                assert_eq!(row["status"], "missing");
                assert_eq!(
                    failed.len(),
                    row["checks"].as_object().unwrap().len(),
                    "{id}"
                );
            }
            Some(check) => assert_eq!(failed, [check], "{id}: {row}"),
            // The rest are their gold code: only a missing duration export can fail.
            None => assert!(
                failed.is_empty() || failed == ["duration_honoured"],
                "{id}: {failed:?}"
            ),
        }
    }
    let fenced = rows
        .iter()
        .find(|r| r["checks"]["no_fences"] == false)
        .unwrap();
    assert_eq!(fenced["extracted"], true);
    let invented = rows
        .iter()
        .find(|r| r["checks"]["remotion_api"] == false)
        .unwrap();
    assert_eq!(invented["hallucinated"][0], "window.Remotion.useMagicTween");
    let late = rows
        .iter()
        .find(|r| r["checks"]["duration_honoured"] == false && r["outputFrames"] == 150)
        .unwrap();
    assert_eq!(late["expectedFrames"], 120);
}

#[test]
fn a_baseline_gives_paired_differences_and_the_report_renders() {
    let wd = built();
    let (text, broken) = predictions(&wd);
    wd.write("model.jsonl", &text);
    // The baseline: the gold code for every example.
    let gold = jsonl(&wd.read("dataset/v1/train.jsonl"));
    let baseline: Vec<String> = gold
        .iter()
        .map(|l| {
            serde_json::json!({"custom_id": id_of(l), "completion": l["messages"][2]["content"]})
                .to_string()
        })
        .collect();
    wd.write("baseline.jsonl", baseline.join("\n"));
    let run = wd.ok(&[
        "eval",
        "dataset/v1",
        "--split",
        "train",
        "--predictions",
        "model.jsonl",
        "--baseline",
        "baseline.jsonl",
        "--json",
        "--html",
        "eval.html",
    ]);
    let e = run.json();
    let c = &e["comparison"];
    let pass = &c["differences"][0];
    assert_eq!(pass["name"], "pass");
    // Every broken example passed under the baseline unless its gold code has no duration export.
    assert!(pass["worse"].as_u64().unwrap() >= 3, "{pass}");
    assert_eq!(pass["better"], 0);
    assert!(pass["difference"]["value"].as_f64().unwrap() < 0.0);
    assert!(pass["signTestP"].as_f64().unwrap() <= 0.25);
    let regressed: Vec<&str> = c["regressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for (id, _) in broken.iter().filter(|(_, check)| *check != "missing") {
        assert!(
            regressed.contains(&id.as_str()),
            "{id} not in {regressed:?}"
        );
    }
    let page = wd.read("eval.html");
    assert!(page.contains("data-stat=\"rate-parses\""), "no parses bar");
    // Fenced answers are a share, not a pass rate.
    assert!(
        !page.contains("data-stat=\"rate-extracted\""),
        "extracted drawn as a check"
    );
    assert!(page.contains("data-stat=\"extracted\""), "no fenced share");
    assert!(page.contains("Against the baseline"));
    // The terminal report says the same.
    let text = wd.ok(&[
        "eval",
        "dataset/v1",
        "--split",
        "train",
        "--predictions",
        "model.jsonl",
        "--baseline",
        "baseline.jsonl",
    ]);
    assert!(text.stdout.contains("difference (this − base)"), "{text}");
    assert!(
        text.stdout
            .contains("regressed (fail here, pass in the baseline): "),
        "{text}"
    );
}

#[test]
fn a_predictions_file_that_cannot_be_read_is_an_error() {
    let wd = built();
    let run = wd.fails(&["eval", "dataset/v1", "--predictions", "none.jsonl"], 2);
    assert!(run.stderr.contains("none.jsonl: cannot read"), "{run}");
    let run = wd.fails(&["eval", "dataset/v1"], 2);
    assert!(run.stderr.contains("--predictions"), "{run}");
}

#[test]
fn an_output_nested_thousands_deep_is_scored_not_a_crash() {
    let wd = built();
    let test = jsonl(&wd.read("dataset/v1/test.jsonl"));
    // Type arguments nest without brackets the nesting scan counts; parsing recurses per level.
    let deep = format!(
        "type T = {}number{};\nexport default function A() {{ return null; }}\n",
        "Array<".repeat(20_000),
        ">".repeat(20_000)
    );
    let line = serde_json::json!({"custom_id": id_of(&test[0]), "completion": deep});
    wd.write("deep.jsonl", format!("{line}\n"));
    let run = wd.ok(&[
        "eval",
        "dataset/v1",
        "--predictions",
        "deep.jsonl",
        "--json",
    ]);
    let e = run.json();
    let row = &e["predictions"]["rows"][0];
    assert_eq!(row["id"], id_of(&test[0]));
    assert_eq!(row["checks"]["parses"], true, "{row}");
    assert_eq!(row["checks"]["duration_honoured"], false, "{row}");
}

#[test]
fn a_flood_of_unusable_lines_is_counted_not_kept_and_cannot_forge_output() {
    let wd = built();
    let gold = jsonl(&wd.read("dataset/v1/test.jsonl"));
    let first = id_of(&gold[0]);
    let mut lines = Vec::new();
    // One real answer: a single line of a megabyte, whose head a report shows cut.
    let long = format!("{}\n", "x".repeat(1 << 20));
    lines.push(serde_json::json!({"custom_id": first, "completion": long}).to_string());
    // Thousands of ids the split does not have, the first trying to write a line of its own.
    lines.push(
        serde_json::json!({"custom_id": "\nforged: all checks passed\u{1b}[2J", "completion": "x"})
            .to_string(),
    );
    for i in 0..3000 {
        lines.push(
            serde_json::json!({"custom_id": format!("nope/{i}"), "completion": "x"}).to_string(),
        );
    }
    for _ in 0..500 {
        lines.push("{not json".to_string());
    }
    wd.write("flood.jsonl", lines.join("\n") + "\n");
    let run = wd.ok(&[
        "eval",
        "dataset/v1",
        "--predictions",
        "flood.jsonl",
        "--json",
    ]);
    let e = run.json();
    let leftovers = &e["predictions"]["leftovers"];
    assert_eq!(leftovers["unknownIds"]["count"], 3001);
    assert_eq!(
        leftovers["unknownIds"]["first"].as_array().unwrap().len(),
        20
    );
    assert_eq!(leftovers["badLines"]["count"], 500);
    assert_eq!(leftovers["badLines"]["first"].as_array().unwrap().len(), 20);
    let row = e["predictions"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == first.as_str())
        .unwrap();
    let head = row["head"].as_str().unwrap();
    assert!(head.len() <= 2048 + "…".len(), "{}", head.len());
    assert!(head.ends_with('…'));
    // Warnings: the first 20 bad lines, then how many more and the tally.
    let shown = run
        .stderr
        .lines()
        .filter(|l| l.contains("predictions line not used"))
        .count();
    assert_eq!(shown, 20, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: … and 480 more bad_prediction_line (eval --json: predictions.leftovers.badLines); -v prints them all"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("500 warnings: bad_prediction_line"),
        "{}",
        run.stderr
    );
    // The terminal report lists 20 unknown ids, each on its own line, escaped.
    let text = wd.ok(&["eval", "dataset/v1", "--predictions", "flood.jsonl"]);
    assert!(text.stdout.contains("3001 unknown ids"), "{}", text.stdout);
    assert!(text.stdout.contains("… and 2981 more unknown ids"));
    assert!(text
        .stdout
        .contains("\\nforged: all checks passed\\u{1b}[2J is not an example"));
    assert!(
        !text.stdout.lines().any(|l| l.starts_with("forged")),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains('\u{1b}'));
}

/// Append a copy of the first line of `names` (in `dataset/v1`) to each, and list them again in the
/// manifest with their new digests: a version made by hand whose manifest verifies.
fn duplicate_first_lines(wd: &Workdir, names: &[&str]) {
    use template_sft::internals::digest::sha256_hex;
    let mut manifest: Value = serde_json::from_str(&wd.read("dataset/v1/manifest.json")).unwrap();
    for name in names {
        let path = format!("dataset/v1/{name}");
        wd.edit(&path, |text| {
            let first = text.lines().next().unwrap().to_string();
            format!("{text}{first}\n")
        });
        let bytes = std::fs::read(wd.path(&path)).unwrap();
        for f in manifest["files"].as_array_mut().unwrap() {
            if f["name"] == *name {
                f["sha256"] = sha256_hex(&bytes).into();
                f["bytes"] = bytes.len().into();
                f["lines"] = bytes.iter().filter(|&&b| b == b'\n').count().into();
            }
        }
    }
    wd.write(
        "dataset/v1/manifest.json",
        serde_json::to_string_pretty(&manifest).unwrap(),
    );
}

#[test]
fn an_example_id_twice_in_a_version_is_an_error_not_two_requests() {
    let wd = built();
    duplicate_first_lines(&wd, &["test.jsonl", "test.meta.jsonl"]);
    let run = wd.fails(&["eval", "prepare", "dataset/v1", "requests.jsonl"], 2);
    assert!(run.stderr.contains("test.jsonl:3: example"), "{run}");
    assert!(run.stderr.contains("again (first at line 1)"), "{run}");
    assert!(!wd.path("requests.jsonl").exists());
}

/// Each train example answered by `edit` of its gold code, as `{custom_id, completion}` lines.
fn answered_by(wd: &Workdir, split: &str, edit: impl Fn(&str) -> String) -> String {
    let gold = jsonl(&wd.read(&format!("dataset/v1/{split}.jsonl")));
    gold.iter()
        .map(|example| {
            let code = example["messages"][2]["content"].as_str().unwrap();
            serde_json::json!({"custom_id": id_of(example), "completion": edit(code)}).to_string()
                + "\n"
        })
        .collect()
}

/// Rows of `eval --json` over `predictions` for `split`: (loads, passed).
fn loads_and_pass(wd: &Workdir, split: &str, predictions: &str) -> Vec<(Value, bool)> {
    wd.write("p.jsonl", predictions);
    let e = wd
        .ok(&[
            "eval",
            "dataset/v1",
            "--predictions",
            "p.jsonl",
            "--split",
            split,
            "--json",
        ])
        .json();
    e["predictions"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let passed = r["checks"]
                .as_object()
                .unwrap()
                .values()
                .all(|v| *v != Value::Bool(false));
            (r["checks"]["loads"].clone(), passed)
        })
        .collect()
}

#[test]
fn an_output_that_throws_while_loading_never_passes() {
    let wd = built();
    // Every gold with one name at module scope misspelled: a ReferenceError as the page loads it.
    let misspelled = answered_by(&wd, "train", |code| {
        format!("{code}\nconst LAYOUT = ITEMZ;\n")
    });
    let rows = loads_and_pass(&wd, "train", &misspelled);
    assert_eq!(rows.len(), 22);
    for (loads, passed) in &rows {
        assert_eq!(*loads, Value::Bool(false));
        assert!(!passed);
    }
    wd.write("p.jsonl", &misspelled);
    let text = wd.ok(&[
        "eval",
        "dataset/v1",
        "--predictions",
        "p.jsonl",
        "--split",
        "train",
        "--json",
    ]);
    let row = &text.json()["predictions"]["rows"][0];
    let why = row["failures"]["loads"].as_str().unwrap();
    assert!(
        why.contains("ReferenceError") && why.contains("ITEMZ"),
        "{why}"
    );
    // Correct code that reads what the host provides at module scope, through window, loads.
    let host = answered_by(&wd, "train", |code| {
        format!("{code}\nconst {{ loadFont }} = window.RemotionGoogleFonts;\nconst {{ fontFamily }} = loadFont(\"Inter\");\nconst ICON = window.IconifyIcon;\n")
    });
    for (loads, _) in loads_and_pass(&wd, "train", &host) {
        assert_eq!(loads, Value::Bool(true));
    }
}

#[test]
fn a_host_global_the_gold_reads_by_its_bare_name_loads_in_an_output() {
    // The host-globals project, its font title reading the host's font loader by its bare name.
    let wd = Workdir::new();
    support::copy_dir(
        &support::repo_root().join("tests/fixtures/host-globals"),
        wd.path(""),
        &[],
    );
    wd.edit("templates/font-title.tsx", |code| {
        code.replace(
            "window.RemotionGoogleFonts.loadFont",
            "RemotionGoogleFonts.loadFont",
        )
    });
    wd.ok(&["build"]);
    let split = ["train", "validation", "test"]
        .into_iter()
        .find(|s| {
            jsonl(&wd.read(&format!("dataset/v1/{s}.jsonl")))
                .iter()
                .any(|l| l["meta"]["templateId"] == "font-title")
        })
        .unwrap();
    let same = answered_by(&wd, split, |code| code.to_string());
    for (loads, _) in loads_and_pass(&wd, split, &same) {
        assert_eq!(loads, Value::Bool(true));
    }
    // A name no gold reads is not the host's: it fails.
    let unknown = answered_by(&wd, split, |code| {
        format!("{code}\nconst F = RemotionGoogleFontz.loadFont(\"Inter\");\n")
    });
    for (loads, passed) in loads_and_pass(&wd, split, &unknown) {
        assert_eq!(loads, Value::Bool(false));
        assert!(!passed);
    }
}
