//! `briefs prepare` and `briefs ingest` on the starter: one request per template carrying its
//! code; fabricated batch results with planted bad briefs ingested into exactly the good ones, each
//! drop with its reason and place; a build with the file under `prompts.generated`.

use crate::support;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use support::{jsonl, Workdir};

/// The starter's templates and the file their code is in.
fn code_of(wd: &Workdir, id: &str) -> String {
    for dir in ["templates", "code-overrides"] {
        let path = wd.path(&format!("{dir}/{id}.tsx"));
        if path.exists() {
            return std::fs::read_to_string(path).unwrap();
        }
    }
    panic!("no code for {id}")
}

#[test]
fn prepare_writes_one_request_per_template_carrying_its_code() {
    let wd = Workdir::starter();
    let run = wd.ok(&["briefs", "prepare", "requests.jsonl", "--per-template", "6"]);
    let requests = jsonl(&wd.read("requests.jsonl"));
    let catalog: Value = serde_json::from_str(&wd.read("catalog.json")).unwrap();
    let ids: Vec<&str> = catalog
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(requests.len(), ids.len(), "{run}");
    let tag = requests[0]["custom_id"]
        .as_str()
        .unwrap()
        .split_once('/')
        .unwrap()
        .1
        .to_string();
    assert_eq!(tag.len(), 16);
    for (request, id) in requests.iter().zip(&ids) {
        assert_eq!(request["custom_id"], format!("{id}/{tag}"));
        assert_eq!(request["url"], "/v1/chat/completions");
        let user = request["body"]["messages"][1]["content"].as_str().unwrap();
        assert!(
            user.contains(code_of(&wd, id).trim_end()),
            "{id}: the request does not carry its code"
        );
        assert!(user.contains("JSON array of 6 strings"), "{user}");
    }
    // The code's duration, not the catalog's: typewriter-terminal exports 7 s, its entry says 6.
    let typewriter = &requests[ids
        .iter()
        .position(|i| *i == "typewriter-terminal")
        .unwrap()];
    let user = typewriter["body"]["messages"][1]["content"]
        .as_str()
        .unwrap();
    assert!(user.contains("Duration: 7 seconds (210 frames)"), "{user}");
    // The summary counts the tokens, and a second run writes beside the first, with the same tag.
    assert!(run.stdout.contains("input tokens"), "{run}");
    wd.ok(&["briefs", "prepare", "requests.jsonl", "--per-template", "6"]);
    let again = jsonl(&wd.read("requests-1.jsonl"));
    assert_eq!(again, requests);
}

/// A batch output line answering `template` with `content`.
fn reply(template: &str, tag: &str, content: &str) -> Value {
    json!({"id": "batch_req_1", "custom_id": format!("{template}/{tag}"), "response": {"status_code": 200, "request_id": "r", "body": {"model": "gpt-4o-mini-2024-07-18", "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}}, "error": null})
}

fn failure(template: &str, tag: &str) -> Value {
    json!({"id": "batch_req_2", "custom_id": format!("{template}/{tag}"), "response": null, "error": {"code": "rate_limit_exceeded", "message": "Rate limit reached"}})
}

/// `briefs prepare` into requests.jsonl; the request file's tag (the part of a custom_id after the
/// template).
fn prepare(wd: &Workdir) -> String {
    wd.ok(&["briefs", "prepare", "requests.jsonl"]);
    jsonl(&wd.read("requests.jsonl"))[0]["custom_id"]
        .as_str()
        .unwrap()
        .split_once('/')
        .unwrap()
        .1
        .to_string()
}

#[test]
fn ingest_keeps_exactly_the_good_briefs_and_a_build_counts_them_as_generated() {
    let wd = Workdir::starter();
    let tag = prepare(&wd);
    let good = [
        "A slow, elegant reveal of our company logo with gold rings circling it, for a keynote",
        "5 second intro: logo in the middle, rings orbiting, dark background",
    ];
    let lines = [
        reply(
            "orbit-logo-reveal",
            &tag,
            &json!([
                good[0],
                good[1],
                // The same brief again.
                good[0],
                // A curated prompt with one word changed ("brand" → "company").
                "logo reveal with rings orbiting around our company name",
                "const Logo = () => <div/>;",
                // orbit-logo-reveal renders landscape and square only.
                "A vertical video logo reveal for TikTok",
                // Its code exports 5 seconds.
                "A 12-second logo reveal with rings",
            ])
            .to_string(),
        ),
        reply(
            "countdown-portrait",
            &tag,
            "Sure! Here are some briefs: 1. a countdown 2. another one",
        ),
        failure("kinetic-headline", &tag),
        failure("lower-third", &tag),
        reply(
            "quote-card",
            &tag,
            &format!(
                "```json\n{}\n```",
                json!(["A customer testimonial card in portrait format with a soft fade-in"])
            ),
        ),
        reply(
            "stats-counter",
            &tag,
            &json!({"briefs": ["Numbers counting up to our yearly results, clean and corporate", 42]})
                .to_string(),
        ),
        // The retry of kinetic-headline's failed request.
        reply(
            "kinetic-headline",
            &tag,
            &json!(["Bold words slamming onto the screen one after another for a hype teaser"])
                .to_string(),
        ),
        json!("not a batch line"),
        // A refusal: a reply without content.
        json!({"id": "batch_req_3", "custom_id": format!("typewriter-terminal/{tag}"), "response": {"status_code": 200, "body": {"model": "gpt-4o-mini-2024-07-18", "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": "I can't help with that."}, "finish_reason": "stop"}]}}, "error": null}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    wd.write(
        "results.jsonl",
        text.replace("\"not a batch line\"", "{not json"),
    );
    let run = wd.ok(&[
        "briefs",
        "ingest",
        "results.jsonl",
        "generated.jsonl",
        "--json",
    ]);
    let summary = run.json();
    let kept = jsonl(&wd.read("generated.jsonl"));
    let prompts: Vec<(&str, &str)> = kept
        .iter()
        .map(|l| {
            (
                l["expected_template_id"].as_str().unwrap(),
                l["prompt"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        prompts,
        [
            ("orbit-logo-reveal", good[0]),
            ("orbit-logo-reveal", good[1]),
            (
                "kinetic-headline",
                "Bold words slamming onto the screen one after another for a hype teaser"
            ),
            // The format it names becomes its hint, so the format appended agrees with it.
            (
                "quote-card",
                "format:portrait A customer testimonial card in portrait format with a soft fade-in"
            ),
            (
                "stats-counter",
                "Numbers counting up to our yearly results, clean and corporate"
            ),
        ],
        "{run}"
    );
    for line in &kept {
        assert_eq!(line["origin"], "generated");
        assert_eq!(line["model"], "gpt-4o-mini-2024-07-18");
        assert_eq!(line["request_digest"], tag.as_str());
    }
    let dropped: BTreeMap<String, u64> = summary["dropped"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    let expected: BTreeMap<String, u64> = [
        "duplicate",
        "near_copy",
        "code",
        "unsupported_format",
        "wrong_duration",
        "unreadable_reply",
        "failed_request",
        "unreadable_line",
        "not_text",
        "refused",
    ]
    .iter()
    .map(|r| (r.to_string(), 1))
    .collect();
    assert_eq!(dropped, expected, "{run}");
    assert_eq!(summary["retried"], 1);
    // Each drop is placed at its line of the results, with its template.
    let drops = summary["drops"].as_array().unwrap();
    let at = |reason: &str| {
        let d = drops.iter().find(|d| d["reason"] == reason).unwrap();
        (d["at"].as_str().unwrap(), d["templateId"].as_str())
    };
    assert_eq!(
        at("near_copy"),
        ("results.jsonl:1", Some("orbit-logo-reveal"))
    );
    assert_eq!(
        at("failed_request"),
        ("results.jsonl:4", Some("lower-third"))
    );
    assert_eq!(at("unreadable_line"), ("results.jsonl:8", None));
    // Without --json, every drop is a warning with its place and reason.
    let human = wd.ok(&["briefs", "ingest", "results.jsonl", "generated.jsonl"]);
    assert!(
        human.stderr.contains("results.jsonl:1: orbit-logo-reveal: dropped (it states a duration the code does not export): A 12-second logo reveal with rings"),
        "{human}"
    );
    assert!(wd.path("generated-1.jsonl").exists(), "never overwritten");

    // A build that lists the file: origin `generated`, the code's format and duration stated.
    wd.edit("template-sft.toml", |t| {
        t.replace(
            "overrides = \"overrides.json\"",
            "overrides = \"overrides.json\"\ngenerated = [\"generated.jsonl\"]",
        )
    });
    wd.ok(&["build"]);
    let stats: Value = serde_json::from_str(&wd.read("dataset/v1/stats.json")).unwrap();
    assert_eq!(stats["briefs"]["byOrigin"]["generated"], 5, "{stats}");
    assert_eq!(stats["prompts"]["generatedRead"], 5);
    let examples: Vec<Value> = ["train", "validation", "test"]
        .iter()
        .flat_map(|split| jsonl(&wd.read(&format!("dataset/v1/{split}.jsonl"))))
        .collect();
    // Every template's duration as `briefs prepare` told the model (the code's, or the
    // catalog's where the code exports none).
    let duration_of: BTreeMap<String, String> = jsonl(&wd.read("requests.jsonl"))
        .iter()
        .map(|r| {
            let id = r["custom_id"].as_str().unwrap().split_once('/').unwrap().0;
            let user = r["body"]["messages"][1]["content"].as_str().unwrap();
            let line = user.lines().find(|l| l.starts_with("Duration: ")).unwrap();
            let frames = line.rsplit_once('(').unwrap().1.split(' ').next().unwrap();
            (id.to_string(), frames.to_string())
        })
        .collect();
    let mut generated = 0;
    for example in &examples {
        let meta = &example["meta"];
        if meta["promptOrigin"] != "generated" {
            continue;
        }
        generated += 1;
        let brief = example["messages"][1]["content"].as_str().unwrap();
        let format = meta["format"].as_str().unwrap();
        assert!(
            brief.contains(&format!("\n\nFormat: {format} (")),
            "{brief}"
        );
        let template = meta["templateId"].as_str().unwrap();
        assert_eq!(
            meta["duration"].to_string(),
            duration_of[template],
            "{template}"
        );
        assert!(
            brief.ends_with(&format!("({} frames).", meta["duration"])),
            "{brief}"
        );
        if template == "quote-card" {
            assert_eq!(format, "portrait");
        }
    }
    assert_eq!(generated, 5);
    // The report counts them by origin.
    let report = wd.ok(&["report", "dataset/v1"]);
    assert!(report.stdout.contains("generated 5"), "{report}");
}

#[test]
fn the_briefs_checked_for_one_template_are_bounded_and_the_rest_counted() {
    let wd = Workdir::starter();
    let tag = prepare(&wd);
    // 401 briefs for one template: 400 are checked (and too short), one is past the bound.
    let items: Vec<&str> = vec!["x"; 401];
    let line = reply("quote-card", &tag, &json!(items).to_string());
    wd.write("results.jsonl", format!("{line}\n"));
    let run = wd.ok(&[
        "briefs",
        "ingest",
        "results.jsonl",
        "generated.jsonl",
        "--json",
    ]);
    let dropped = &run.json()["dropped"];
    assert_eq!(dropped["too_short"], 400, "{run}");
    assert_eq!(dropped["over_cap"], 1, "{run}");
}
