//! A version is what its manifest vouches for: no command writes into one, every reader verifies
//! one (or says it does not), and the manifest's input digests are of the bytes that were parsed.

use crate::support;

use serde_json::Value;
use support::Workdir;

fn built() -> Workdir {
    let wd = Workdir::starter();
    wd.ok(&["build", "-q"]);
    wd
}

fn verifies(wd: &Workdir, version: &str) {
    template_sft::internals::dataset::manifest::verify(&wd.path(version))
        .unwrap_or_else(|e| panic!("{version} no longer verifies: {e}"));
}

#[test]
fn exports_and_reports_are_never_written_into_a_version() {
    let wd = built();
    let run = wd.fails(&["export", "dataset/v1", "--to", "hf", "dataset/v1/sub"], 2);
    assert!(
        run.stderr.contains("dataset/v1/sub is inside ")
            && run.stderr.contains("holds a manifest.json"),
        "{run}"
    );
    let run = wd.fails(
        &["report", "dataset/v1", "--html", "dataset/v1/train.jsonl"],
        2,
    );
    assert!(run.stderr.contains("is inside "), "{run}");
    // Nor into an export.
    wd.ok(&["export", "dataset/v1", "--to", "messages", "out"]);
    wd.fails(&["report", "dataset/v1", "--html", "out/report.html"], 2);
    verifies(&wd, "dataset/v1");
    verifies(&wd, "out");
}

#[test]
fn the_html_report_never_writes_through_a_symlink() {
    let wd = built();
    wd.write("precious.txt", "keep me");
    std::os::unix::fs::symlink(wd.path("precious.txt"), wd.path("report.html")).unwrap();
    // A symlink is a taken name like any other: the page goes beside it, nothing is followed.
    let run = wd.ok(&["report", "dataset/v1", "--html", "report.html"]);
    assert!(run.stderr.contains("wrote report-1.html instead"), "{run}");
    assert_eq!(wd.read("precious.txt"), "keep me");
    let meta = std::fs::symlink_metadata(wd.path("report.html")).unwrap();
    assert!(meta.file_type().is_symlink());
    assert!(wd.read("report-1.html").starts_with("<!doctype html>"));
}

/// Drop `name`'s record from the manifest, then change the file: nothing the manifest lists
/// differs any more.
fn unlist_and_inject(wd: &Workdir, name: &str) {
    wd.edit("dataset/v1/manifest.json", |text| {
        let mut manifest: Value = serde_json::from_str(&text).unwrap();
        manifest["files"]
            .as_array_mut()
            .unwrap()
            .retain(|f| f["name"] != name);
        serde_json::to_string_pretty(&manifest).unwrap()
    });
    wd.edit(&format!("dataset/v1/{name}"), |text| {
        let first = text
            .lines()
            .next()
            .unwrap()
            .replace("\"split\":\"train\"", "\"split\":\"train\",\"x\":1");
        format!("{text}{first}\n")
    });
}

#[test]
fn a_file_missing_from_the_manifest_is_refused_everywhere() {
    let wd = built();
    wd.ok(&["build", "-q"]);
    unlist_and_inject(&wd, "train.jsonl");
    for args in [
        vec!["export", "dataset/v1", "--to", "hf", "out"],
        vec!["report", "dataset/v1"],
        vec!["diff", "dataset/v1", "dataset/v1-1"],
        vec!["diff", "dataset/v1-1", "dataset/v1"],
    ] {
        let run = wd.fails(&args, 2);
        assert!(
            run.stderr.contains(
                "dataset/v1/train.jsonl: not listed in the manifest; the manifest does not verify"
            ),
            "{run}"
        );
    }
    assert!(!wd.path("out").exists());
    // On request, a reader still reads it.
    wd.ok(&["report", "dataset/v1", "--no-verify"]);
    wd.ok(&["diff", "dataset/v1", "dataset/v1-1", "--no-verify"]);
    let validated = wd.fails(&["validate", "dataset/v1", "--json"], 1);
    assert!(
        validated.stdout.contains("not listed in the manifest"),
        "{validated}"
    );
}

#[test]
fn input_digests_are_of_the_bytes_that_were_parsed() {
    let wd = Workdir::starter();
    let catalog = std::fs::read(wd.path("catalog.json")).unwrap();
    // Pause after the first file, change the catalog on disk, then let the build finish.
    let resume = wd.path("resume");
    let mut child = wd
        .command(&["build", "-q"])
        .env("TEMPLATE_SFT_PAUSE_AT", format!("1:{}", resume.display()))
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while !wd
        .list("dataset")
        .iter()
        .any(|n| n.starts_with(".v1.partial-"))
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    wd.edit("catalog.json", |t| {
        t.replace("Orbit Logo Reveal", "Something Else")
    });
    std::fs::write(&resume, "").unwrap();
    assert!(child.wait().unwrap().success());
    let manifest: Value = serde_json::from_str(&wd.read("dataset/v1/manifest.json")).unwrap();
    let recorded = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "catalog")
        .unwrap()["sha256"]
        .clone();
    assert_eq!(
        recorded,
        template_sft::internals::digest::sha256_hex(&catalog)
    );
}

#[test]
fn terminal_escapes_in_ids_are_printed_escaped() {
    let wd = built();
    wd.ok(&["build", "-q"]);
    wd.edit("dataset/v1-1/train.jsonl", |t| {
        t.replace(
            "\"templateId\":\"quote-card\"",
            "\"templateId\":\"quote-card\\u001b[2J\\u001b]0;owned\\u0007\"",
        )
    });
    let run = wd.ok(&["diff", "dataset/v1", "dataset/v1-1", "--no-verify"]);
    assert!(
        !run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{7}'),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("quote-card\\u{1b}[2J\\u{1b}]0;owned\\u{7}"),
        "{run}"
    );
}

#[test]
fn a_reader_closing_stdout_early_is_not_an_error() {
    let wd = built();
    wd.ok(&["build", "-q"]);
    for args in [
        vec!["build", "--dry-run", "--samples", "40"],
        vec!["validate", "dataset/v1", "--json"],
        vec!["diff", "dataset/v1", "dataset/v1-1", "--json"],
        vec!["report", "dataset/v1"],
    ] {
        // More output than a pipe holds for some, and a reader gone before the first byte.
        let (code, stderr) = wd.run_with_stdout_closed(&args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("broken pipe") && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
}

#[test]
fn a_report_of_extreme_token_counts_renders() {
    let wd = built();
    wd.edit("dataset/v1/train.meta.jsonl", |t| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        lines[0] = lines[0].replace("\"tokens\":", "\"tokens\":0,\"x\":");
        lines[1] = lines[1].replace("\"tokens\":", "\"tokens\":18446744073709551615,\"x\":");
        lines.join("\n") + "\n"
    });
    wd.ok(&["report", "dataset/v1", "--no-verify", "--html", "r.html"]);
    assert!(wd.read("r.html").contains("Tokens per example"));
}
