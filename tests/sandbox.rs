//! The QuickJS sandbox and the caches against hostile input: built-ins that never yield, feature
//! checks, forged caches, interrupted builds.

use crate::support;

use std::time::{Duration, Instant};

use support::Workdir;

/// Replace the duration export of the starter's `countdown-portrait` (line 4) with `line`.
fn set_duration(wd: &Workdir, template: &str, line: &str) {
    wd.edit(&format!("templates/{template}.tsx"), |code| {
        code.lines()
            .map(|l| {
                if l.starts_with("export const durationInFrames") {
                    line.to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
}

#[test]
fn a_built_in_that_never_yields_is_stopped_by_the_watchdog_and_not_remembered() {
    let wd = Workdir::starter();
    // Both loop in native code without calling QuickJS's interrupt handler: only a watchdog
    // outside the engine stops them.
    set_duration(
        &wd,
        "countdown-portrait",
        "export const durationInFrames = [].concat({length: 2**53-2, [Symbol.isConcatSpreadable]: true}).length ? 120 : 120;",
    );
    set_duration(
        &wd,
        "quote-card",
        "export const durationInFrames = [].join.call({length: 2**40}) ? 90 : 90;",
    );
    // Every process the build starts inherits this TMPDIR: its workers are found by it.
    std::fs::create_dir(wd.path("tmp")).unwrap();
    let tmp = wd.path("tmp").display().to_string();
    let started = Instant::now();
    let run = wd.run_env(&["build"], &[("TMPDIR", &tmp)]);
    assert_eq!(run.code, Some(0), "{run}");
    let took = started.elapsed();
    // Two workers, 12 s each at most (10 s safety deadline, 2 s for the watchdog to act).
    assert!(took < Duration::from_secs(40), "took {took:?}\n{run}");
    for template in ["countdown-portrait", "quote-card"] {
        let line = run
            .stderr
            .lines()
            .find(|l| l.contains(&format!("template \"{template}\": the code's duration")))
            .unwrap_or_else(|| panic!("no warning for {template}\n{run}"));
        assert!(
            line.contains("stopped by the 10 s safety deadline"),
            "{line}"
        );
    }
    // No worker is left running.
    let needle = format!("TMPDIR={tmp}");
    let left: Vec<_> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|p| {
            std::fs::read(p.path().join("environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|v| v == needle.as_bytes()))
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // What the wall clock stopped is not remembered: the gate cache does not hold it.
    let cache = wd.read("dataset/.template-sft-cache/gate.jsonl");
    assert!(!cache.contains("safety deadline"), "{cache}");
    // The other ten templates' verdicts are (a key line, then one record each).
    assert_eq!(cache.lines().count(), 1 + 10, "{cache}");
}

#[test]
fn typeof_feature_checks_take_the_browser_branch() {
    let wd = Workdir::starter();
    set_duration(
        &wd,
        "countdown-portrait",
        "export const durationInFrames = typeof window === 'undefined' ? 10 : 120;",
    );
    set_duration(
        &wd,
        "quote-card",
        "export const durationInFrames = typeof Intl === 'object' && typeof Uint8Array === 'function' ? 90 : 9;",
    );
    let run = wd.ok(&["build"]);
    assert!(
        !run.stderr.contains("duration is not determinable"),
        "{run}"
    );
    let meta = ["train", "validation", "test"]
        .map(|split| wd.read(&format!("dataset/v1/{split}.meta.jsonl")))
        .concat();
    for (template, frames) in [("countdown-portrait", 120), ("quote-card", 90)] {
        let line = meta
            .lines()
            .find(|l| l.contains(&format!("\"templateId\":\"{template}\"")))
            .unwrap_or_else(|| panic!("no example of {template}"));
        assert!(
            line.contains(&format!(
                "\"duration\":{frames},\"durationSource\":\"code\""
            )),
            "{template}: {line}"
        );
    }
}

/// A gate cache record with `frames` put in place of a verdict's duration, and its checksum
/// recomputed the only way someone without the user's secret can: SHA-256 over key and record.
fn forge(cache: &str) -> String {
    use template_sft::internals::digest::sha256_hex;
    let mut lines = cache.lines();
    let key = lines.next().unwrap().to_string();
    let mut out = vec![key.clone()];
    for line in lines {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["record"]["duration"]["frames"].is_number() {
            v["record"]["duration"]["frames"] = 999.into();
        }
        let record = serde_json::to_string(&v["record"]).unwrap();
        v["check"] = sha256_hex(format!("{key}\n{record}").as_bytes()).into();
        out.push(v.to_string());
    }
    out.join("\n") + "\n"
}

#[test]
fn a_cache_that_came_with_the_project_is_not_believed() {
    let home = tempfile::tempdir().unwrap();
    let cache_home = home.path().to_str().unwrap();
    let wd = Workdir::starter();
    let env = [("TEMPLATE_SFT_CACHE", cache_home)];
    let run = wd.run_env(&["build"], &env);
    assert_eq!(run.code, Some(0), "{run}");
    // The secret is the user's alone.
    let secret = std::fs::metadata(home.path().join("cache-secret")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(secret.permissions().mode() & 0o777, 0o600);
    assert_eq!(secret.len(), 32);
    let cache = "dataset/.template-sft-cache/gate.jsonl";
    wd.write(cache, forge(&wd.read(cache)));
    let run = wd.run_env(&["build"], &env);
    assert_eq!(run.code, Some(0), "{run}");
    let meta = wd.read("dataset/v1-1/train.meta.jsonl");
    assert!(
        !meta.contains("\"duration\":999"),
        "a forged verdict was used"
    );
    assert!(meta.contains("\"durationSource\":\"code\""));
    // The same cache, made by this user's build, is used by the next (its verdicts verify).
    let kept = wd.read(cache);
    assert!(!kept.contains("\"frames\":999"));
    // Another user's secret does not verify this user's cache: a copy of the project built by
    // someone else recomputes every verdict (and writes its own).
    let other = tempfile::tempdir().unwrap();
    let run = wd.run_env(
        &["build"],
        &[("TEMPLATE_SFT_CACHE", other.path().to_str().unwrap())],
    );
    assert_eq!(run.code, Some(0), "{run}");
    assert_ne!(wd.read(cache), kept, "rewritten under the other secret");
}

#[test]
fn the_gate_bounds_the_work_per_template_not_only_its_bytes() {
    let wd = Workdir::starter();
    // 15 MB of dense array literal: under code.max_bytes, but 5 million syntax tokens.
    let items: Vec<String> = (0..475_000)
        .map(|i| format!("{{a:{i},b:\"x{i}\",c:[1,2,3]}}"))
        .collect();
    wd.edit("templates/quote-card.tsx", |code| {
        code.replacen(
            "export default",
            &format!("export const DATA = [{}];\nexport default", items.join(",")),
            1,
        )
    });
    let run = wd.ok(&["build", "--dry-run"]);
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("\"quote-card\" rejected (too_large)"))
        .unwrap_or_else(|| panic!("{run}"));
    assert!(
        line.starts_with("warning: templates/quote-card.tsx:")
            && line.contains("more than 500000 syntax tokens (code.max_syntax_tokens); not parsed"),
        "{line}"
    );
    // Rejected before parsing: the build stays small (checking it took 0.9 GB and 9.7 s).
    let mut command = wd.command(&["build", "--dry-run", "--no-cache"]);
    command.env("TEMPLATE_SFT_CACHE", wd.path("cache"));
    let (code, kib) = support::run_measuring_memory(command);
    assert_eq!(code, Some(0));
    eprintln!("build --dry-run of the 15 MB template: peak {kib} KiB");
    assert!(kib < 300 * 1024, "{kib} KiB");
    // The bound is the config's.
    wd.edit("template-sft.toml", |t| {
        t.replace("[code]\n", "[code]\nmax_syntax_tokens = 100\n")
    });
    let run = wd.run(&["build", "--dry-run"]);
    assert!(
        run.stderr
            .contains("\"lower-third\" rejected (too_large): more than 100 syntax tokens"),
        "{run}"
    );
}

#[test]
fn a_deadline_past_the_cap_is_refused_not_a_panic() {
    let wd = Workdir::starter();
    for args in [
        &[
            "render",
            "templates/quote-card.tsx",
            "--deadline",
            "18446744073709551615",
        ][..],
        &["render", "templates/quote-card.tsx", "--deadline", "901"][..],
    ] {
        let run = wd.fails(args, 2);
        assert!(run.stderr.contains("--deadline"), "{run}");
    }
    wd.edit("template-sft.toml", |t| {
        t.replace(
            "[render]\n",
            "[render]\ndeadline_seconds = 18446744073709551615\n",
        )
    });
    let run = wd.fails(&["build"], 2);
    assert!(
        run.stderr
            .contains("render.deadline_seconds must be between 1 and 900"),
        "{run}"
    );
}

#[test]
fn an_output_root_inside_a_version_is_refused() {
    let wd = Workdir::starter();
    wd.ok(&["build"]);
    let before = wd.list("dataset/v1");
    wd.edit("template-sft.toml", |t| {
        t.replace("root = \"dataset\"", "root = \"dataset/v1/more\"")
    });
    let run = wd.run(&["build"]);
    assert_ne!(run.code, Some(0), "{run}");
    assert!(run.stderr.contains("dataset/v1"), "{run}");
    assert_eq!(
        wd.list("dataset/v1"),
        before,
        "the version was written into"
    );
    let run = wd.run(&[
        "render",
        "templates/quote-card.tsx",
        "--out",
        "dataset/v1/frames",
    ]);
    assert_ne!(run.code, Some(0), "{run}");
    assert!(run.stderr.contains("dataset/v1"), "{run}");
    assert_eq!(wd.list("dataset/v1"), before);
}
