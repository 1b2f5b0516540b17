//! `report` (terminal and HTML) and `diff` on starter builds that differ in known ways.

use crate::support;

use serde_json::Value;
use support::{jsonl, Workdir};
use template_sft::internals::text::thousands;

fn stats(wd: &Workdir, version: &str) -> Value {
    serde_json::from_str(&wd.read(&format!("dataset/{version}/stats.json"))).unwrap()
}

#[test]
fn the_terminal_report_agrees_with_stats() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    let s = stats(&wd, "v1");
    let run = wd.ok(&["report", "dataset/v1"]);
    for split in ["train", "validation", "test"] {
        let row = run
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{split} ")))
            .unwrap();
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[1], s["totals"][split].to_string(), "{row}");
        assert_eq!(cells[2], s["templatesPerSplit"][split].to_string(), "{row}");
        assert_eq!(
            cells[3],
            thousands(s["tokens"][split]["totalTokens"].as_u64().unwrap()),
            "{row}"
        );
        assert_eq!(cells[5], s["tokens"][split]["median"].to_string(), "{row}");
        assert_eq!(cells[7], s["tokens"][split]["max"].to_string(), "{row}");
    }
    let all = run.stdout.lines().find(|l| l.starts_with("all ")).unwrap();
    assert_eq!(
        all.split_whitespace().nth(1).unwrap(),
        s["totals"]["all"].to_string()
    );
    assert!(
        run.stdout
            .contains("formats:         landscape 8 · portrait 8 · square 11"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("prompt origins:  curated 17 · override 2 · synthesized 8"),
        "{run}"
    );
    // One of each is said in the singular.
    assert!(
        run.stdout.contains("prompts:         20 curated read; 1 malformed line; 1 gated by format; 1 duplicate; 1 for templates not in this build"),
        "{run}"
    );
    let trained = thousands(
        s["tokens"]["trainedEstimate"]["trainedTokens"]
            .as_u64()
            .unwrap(),
    );
    assert!(
        run.stdout
            .contains(&format!("trained tokens:  {trained} (4 epochs × ")),
        "{run}"
    );
}

#[test]
fn the_html_report_is_self_contained_with_charts_and_matching_numbers() {
    let wd = Workdir::starter();
    wd.edit("templates/quote-card.tsx", |c| {
        format!("Here is the code:\n{c}")
    });
    let build = wd.ok(&["build"]);
    // Every prompt problem is a warning at its line, and a row of the page's "Prompts not used".
    for warning in [
        "warning: prompts/metadata_prompt_dataset.jsonl:13: skipped: invalid JSON",
        "warning: prompts/metadata_prompt_dataset.jsonl:12: 1 curated prompt for template \"confetti-burst\" not used",
        "warning: prompts/metadata_prompt_dataset.jsonl:8: prompt for template \"lower-third\" asks for portrait, which the template does not render; not used",
        "warning: prompts/metadata_finetune_dataset.jsonl:6: prompt for template \"kinetic-headline\" repeats the one at prompts/metadata_prompt_dataset.jsonl:5; used once",
    ] {
        assert!(build.stderr.contains(warning), "{warning}\n{build}");
    }
    let s = stats(&wd, "v1");
    wd.ok(&[
        "report",
        "dataset/v1",
        "--html",
        "report.html",
        "--samples",
        "3",
    ]);
    let html = wd.read("report.html");
    for row in [
        "<td>malformed</td><td></td><td>prompts/metadata_prompt_dataset.jsonl</td><td>1 line skipped",
        "<td>unmatched</td><td>confetti-burst</td><td>prompts/metadata_prompt_dataset.jsonl:12</td>",
        "<td>format not supported</td><td>lower-third</td><td>prompts/metadata_prompt_dataset.jsonl:8</td><td>asks for portrait</td>",
        "<td>duplicate</td><td>kinetic-headline</td><td>prompts/metadata_finetune_dataset.jsonl:6</td><td>repeats prompts/metadata_prompt_dataset.jsonl:5</td>",
    ] {
        assert!(html.contains(row), "no row {row}");
    }
    assert!(html.starts_with("<!doctype html>"));
    for id in [
        "chart-tokens",
        "chart-formats",
        "chart-origins",
        "chart-templates",
    ] {
        let at = html
            .find(&format!("<figure id=\"{id}\""))
            .unwrap_or_else(|| panic!("no {id}"));
        assert!(
            html[at..].trim_start_matches(|c| c != '>').get(1..5) == Some("<svg"),
            "{id} holds no svg"
        );
    }
    let stat = |name: &str| {
        let marker = format!("data-stat=\"{name}\">");
        let at = html
            .find(&marker)
            .unwrap_or_else(|| panic!("no data-stat {name}"))
            + marker.len();
        html[at..].split('<').next().unwrap().to_string()
    };
    for split in ["train", "validation", "test"] {
        assert_eq!(
            stat(&format!("{split}-examples")),
            s["totals"][split].to_string()
        );
        assert_eq!(
            stat(&format!("{split}-tokens")),
            thousands(s["tokens"][split]["totalTokens"].as_u64().unwrap())
        );
    }
    assert_eq!(stat("all-examples"), s["totals"]["all"].to_string());
    assert_eq!(stat("rejected"), "1");
    assert!(
        html.contains("<td>quote-card</td><td>quote-card</td><td>no_leading_prose</td>"),
        "the rejected table lists it"
    );
    assert_eq!(
        html.matches("<details class=\"sample\">").count(),
        3 + 3 + 2,
        "3 samples per split, test has 2"
    );
    // Self-contained: no scripts, stylesheets, images or fonts from anywhere.
    for banned in [
        "<script",
        "<link",
        "<img",
        "src=",
        "url(",
        "@import",
        "href=\"http",
    ] {
        assert!(!html.contains(banned), "report contains {banned}");
    }
}

#[test]
fn diff_reports_each_kind_of_change() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    // v1-1: one template added, one override removed, one curated prompt reworded, one template's code changed.
    wd.edit("catalog.json", |t| {
        t.replacen(
            "[\n",
            "[\n  {\"id\": \"quote-card-2\", \"source\": {\"type\": \"db\", \"dbId\": \"00000000-0000-4000-8000-000000000001\"}, \"name\": \"Quote Card 2\", \"duration\": 90, \"supportedFormats\": [\"square\"], \"primaryUse\": \"Second quote card\"},\n",
            1,
        )
    });
    std::fs::copy(
        wd.path("templates/quote-card.tsx"),
        wd.path("templates/quote-card-2.tsx"),
    )
    .unwrap();
    wd.edit("overrides.json", |t| {
        let start = t
            .find("    {\n      \"templateId\": \"typewriter-terminal\"")
            .unwrap();
        let mut t = t.clone();
        t.replace_range(start - 2..t.rfind('}').unwrap() - 4, "");
        t
    });
    wd.edit("prompts/metadata_prompt_dataset.jsonl", |t| {
        t.replace(
            "big countdown numbers for a story teaser",
            "huge countdown numbers for a story teaser",
        )
    });
    wd.edit("templates/lower-third.tsx", |c| {
        c.replace("#22d3ee", "#f43f5e")
    });
    wd.ok(&["build"]);

    let run = wd.ok(&["diff", "dataset/v1", "dataset/v1-1", "--json"]);
    let d = run.json();
    let keys = |field: &str| -> Vec<String> {
        d[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                format!(
                    "{}/{}/{}",
                    k["templateId"].as_str().unwrap(),
                    k["promptVariant"].as_str().unwrap(),
                    k["format"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(keys("added"), ["quote-card-2/base/square"]);
    assert_eq!(
        keys("removed"),
        ["typewriter-terminal/override-1/landscape"]
    );
    assert_eq!(
        keys("briefChanged"),
        ["countdown-portrait/curated-2/portrait"]
    );
    assert_eq!(keys("codeChanged"), ["lower-third/curated-2/landscape"]);
    assert_eq!(
        d["templatesCodeChanged"],
        serde_json::json!(["lower-third"])
    );
    assert_eq!(d["totalsBefore"]["all"], 27);
    assert_eq!(d["totalsAfter"]["all"], 27);
    // Adding one template moves at most a couple of others.
    assert!(d["moved"].as_array().unwrap().len() <= 2 * 4, "{d}");

    let human = wd.ok(&["diff", "dataset/v1", "dataset/v1-1"]);
    assert!(
        human
            .stdout
            .contains("added (1):\n  quote-card-2/base/square\n"),
        "{human}"
    );
    assert!(
        human
            .stdout
            .contains("templates whose code changed (1): lower-third\n"),
        "{human}"
    );
}

#[test]
fn diff_shows_rejections_fixed_and_introduced_and_durations_changed() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    // v1-1: quote-card gains leading prose (rejected), product-price-tag runs 4 s instead of 3.
    wd.edit("templates/quote-card.tsx", |c| {
        format!("Here is the code:\n{c}")
    });
    wd.edit("templates/product-price-tag.tsx", |c| {
        c.replace(
            "export const durationInFrames = 90;",
            "export const durationInFrames = 120;",
        )
    });
    wd.ok(&["build"]);
    let forward = wd
        .ok(&["diff", "dataset/v1", "dataset/v1-1", "--json"])
        .json();
    assert_eq!(
        forward["rejectionsIntroduced"][0]["templateId"],
        "quote-card"
    );
    assert_eq!(
        forward["rejectionsIntroduced"][0]["rule"],
        "no_leading_prose"
    );
    assert_eq!(forward["rejectionsFixed"], serde_json::json!([]));
    assert_eq!(
        forward["durationsChanged"],
        serde_json::json!([{"templateId": "product-price-tag", "from": 90, "to": 120}])
    );
    // The other way round, the rejection is fixed.
    let back = wd.ok(&["diff", "dataset/v1-1", "dataset/v1"]);
    assert!(
        back.stdout
            .contains("rejections fixed (1):\n  quote-card (no_leading_prose): "),
        "{back}"
    );
    assert!(
        back.stdout.contains("rejections introduced (0):\n"),
        "{back}"
    );
    assert!(
        back.stdout
            .contains("durations changed (1):\n  product-price-tag: 120 → 90 frames\n"),
        "{back}"
    );
}

#[test]
fn diff_flags_moves_from_evaluation_into_train() {
    let wd = Workdir::starter();
    wd.ok(&["build", "--seed", "1"]);
    wd.ok(&["build", "--seed", "7"]);
    let d = wd
        .ok(&["diff", "dataset/v1", "dataset/v1-1", "--json"])
        .json();
    let moved = d["moved"].as_array().unwrap();
    assert!(!moved.is_empty());
    let split_in = |version: &str, id: &str| -> String {
        for split in ["train", "validation", "test"] {
            if jsonl(&wd.read(&format!("dataset/{version}/{split}.meta.jsonl")))
                .iter()
                .any(|m| m["meta"]["templateId"] == id)
            {
                return split.to_string();
            }
        }
        panic!("{id} not in {version}");
    };
    let mut leaks = 0;
    for m in moved {
        let id = m["templateId"].as_str().unwrap();
        assert_eq!(m["from"], split_in("v1", id));
        assert_eq!(m["to"], split_in("v1-1", id));
        let leak = m["to"] == "train" && m["from"] != "train";
        assert_eq!(m["leakage"], leak);
        leaks += leak as usize;
    }
    assert!(
        leaks > 0,
        "a reseed moves something from test or validation into train"
    );
    let human = wd.ok(&["diff", "dataset/v1", "dataset/v1-1"]);
    assert_eq!(
        human.stdout.matches("EVALUATION LEAKAGE").count(),
        leaks.min(25)
    );
}

#[test]
fn report_and_diff_refuse_a_directory_that_is_not_a_dataset() {
    let wd = Workdir::starter();
    let run = wd.fails(&["report", "templates"], 2);
    assert_eq!(run.stderr, "error: templates: not a dataset directory written by `template-sft build` (no stats.json)\n");
    let run = wd.fails(&["diff", "templates", "prompts"], 2);
    assert!(
        run.stderr
            .starts_with("error: templates: not a dataset directory"),
        "{run}"
    );
}
