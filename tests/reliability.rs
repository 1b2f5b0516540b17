//! Guarantees under stress: crashes at any point, concurrent builds, stale leftovers, memory.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::Workdir;
use template_sft::internals::dataset::manifest::verify;
use template_sft::internals::synth::{write_project, Options};

/// Every visible entry of the output root is a complete version whose manifest verifies; hidden
/// (dot-named) entries are staging leftovers or the gate cache. Gives the visible names.
fn versions_are_complete(root: &Path) -> Vec<String> {
    let mut visible = Vec::new();
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            assert!(
                name.contains(".partial-") || name == ".template-sft-cache",
                "unexpected hidden entry {name}"
            );
            continue;
        }
        verify(&entry.path()).unwrap_or_else(|e| panic!("{name} is visible but incomplete: {e}"));
        visible.push(name);
    }
    visible.sort();
    visible
}

#[test]
fn a_build_that_dies_after_any_file_leaves_no_version() {
    // 9 split files + stats + manifest are fsynced one by one (11 crash points), then the rename (12th).
    for point in 1..=12 {
        let wd = Workdir::starter();
        let run = wd.run_env(
            &["build"],
            &[("TEMPLATE_SFT_CRASH_AFTER", &point.to_string())],
        );
        assert_eq!(
            run.code, None,
            "point {point}: the process must have died\n{run}"
        );
        assert_eq!(
            versions_are_complete(&wd.path("dataset")),
            Vec::<String>::new(),
            "point {point}"
        );
        // The next build cleans up the dead build's staging directory and writes v1.
        wd.ok(&["build"]);
        assert_eq!(wd.outputs("dataset"), ["v1"], "point {point}");
    }
    let wd = Workdir::starter();
    let run = wd.run_env(&["build"], &[("TEMPLATE_SFT_CRASH_AFTER", "13")]);
    assert_eq!(run.code, Some(0), "{run}");
}

#[test]
fn an_export_that_dies_leaves_no_output() {
    for point in 1..=5 {
        let wd = Workdir::starter();
        wd.ok(&["build"]);
        let run = wd.run_env(
            &["export", "dataset/v1", "--to", "hf", "out"],
            &[("TEMPLATE_SFT_CRASH_AFTER", &point.to_string())],
        );
        assert_eq!(run.code, None, "point {point}\n{run}");
        assert!(!wd.path("out").exists(), "point {point}");
    }
}

#[test]
fn sigkill_at_random_moments_never_leaves_a_half_written_version() {
    let wd = Workdir::new();
    let project = wd.path("big");
    write_project(
        &project,
        &Options {
            templates: 300,
            prompts_per_template: 4,
            median_code_bytes: 16 * 1024,
            seed: 5,
            near_copies: 0.0,
            family_size: 0,
        },
    )
    .unwrap();
    // Delays spread over the build's lifetime (about a second here), the same every run.
    let mut interrupted = 0;
    for delay_ms in [5u64, 40, 90, 150, 220, 300, 420, 600, 800, 1100] {
        let before = versions_are_complete(&project.join("dataset")).len();
        let mut child = Command::new(env!("CARGO_BIN_EXE_template-sft"))
            .args(["build", "-q"])
            .current_dir(&project)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let after = versions_are_complete(&project.join("dataset")).len();
        // Killed before its rename: nothing new is visible. (Killed just after it: the new version
        // is complete, which versions_are_complete has checked.)
        if !status.success() && after == before {
            interrupted += 1;
        }
    }
    assert!(
        interrupted >= 3,
        "only {interrupted} builds were killed mid-flight; the input is too small"
    );
}

#[test]
fn concurrent_builds_with_the_same_tag_get_distinct_complete_versions() {
    let wd = Workdir::starter();
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_template-sft"))
                .args(["build", "-q", "--tag", "v1"])
                .current_dir(wd.path(""))
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(
        versions_are_complete(&wd.path("dataset")),
        ["v1", "v1-1", "v1-2", "v1-3"]
    );
    for v in ["v1-1", "v1-2", "v1-3"] {
        assert_eq!(
            wd.read("dataset/v1/train.jsonl"),
            wd.read(&format!("dataset/{v}/train.jsonl"))
        );
    }
}

#[test]
fn only_abandoned_staging_of_ours_is_cleaned_up() {
    let wd = Workdir::starter();
    // A folder that only looks like staging (no marker): someone else's, never touched. The export
    // of issue #14 deleted such folders in its output's parent.
    wd.write("dataset/.v1.partial-4194304999-1/notes.txt", "mine");
    wd.write("out/.x.partial-7/notes.txt", "mine too");
    // Staging of ours whose owner is gone: the marker is there and nobody holds its lock.
    wd.write("dataset/.v1.partial-12-3/.template-sft-staging", "");
    wd.write("dataset/.v1.partial-12-3/train.jsonl", "");
    wd.ok(&["build"]);
    assert_eq!(wd.outputs("dataset"), [".v1.partial-4194304999-1", "v1"]);
    wd.ok(&["export", "dataset/v1", "--to", "hf", "out/hf"]);
    assert_eq!(wd.read("out/.x.partial-7/notes.txt"), "mine too");
}

/// The first process id at or above `from` that this (outer) PID namespace does not have.
fn absent_pid(from: u32) -> u32 {
    (from..)
        .find(|p| !Path::new(&format!("/proc/{p}")).exists())
        .unwrap()
}

#[test]
fn a_build_in_another_pid_namespace_is_never_gutted() {
    // Build A runs in its own PID namespace (as in another container sharing the volume), with a
    // process id this namespace does not have, and pauses after its first file. Build B, here,
    // cleans up stale staging before writing: it must not take A's live staging for dead (it did,
    // when liveness came from /proc/<pid>), and A must finish with a complete version.
    let wd = Workdir::starter();
    let pid = absent_pid(400);
    let resume = wd.path("resume-a");
    // In the new namespace the shell is 1, `seq` 2, each `true` one more, then the build: `pid`.
    let script = format!(
        "for i in $(seq {}); do /bin/true; done; \"$0\" build -q",
        pid - 3
    );
    let mut unshare = Command::new("unshare");
    if !is_root() {
        unshare.args(["--user", "--map-root-user"]);
    }
    let mut a = unshare
        .args(["--pid", "--fork", "--mount-proc", "sh", "-c", &script])
        .arg(env!("CARGO_BIN_EXE_template-sft"))
        .current_dir(wd.path(""))
        .env("TEMPLATE_SFT_PAUSE_AT", format!("1:{}", resume.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("unshare (util-linux) runs");
    // Whatever happens below, build A must not outlive the test (it would wait for ever).
    struct Resume(std::path::PathBuf);
    impl Drop for Resume {
        fn drop(&mut self) {
            let _ = std::fs::write(&self.0, "");
        }
    }
    let _resume_on_exit = Resume(resume.clone());
    let staging = loop {
        let found = wd
            .list("dataset")
            .into_iter()
            .find(|n| n.starts_with(".v1.partial-"));
        if let Some(name) = found {
            if wd.path(&format!("dataset/{name}/train.jsonl")).exists() {
                break name;
            }
        }
        assert!(a.try_wait().unwrap().is_none(), "build A ended early");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        staging.starts_with(&format!(".v1.partial-{pid}-")),
        "{staging}: build A did not get pid {pid}"
    );
    wd.ok(&["build", "-q"]);
    assert!(
        wd.path(&format!("dataset/{staging}/train.jsonl")).exists(),
        "build B deleted build A's live staging"
    );
    std::fs::write(&resume, "").unwrap();
    assert!(a.wait().unwrap().success());
    assert_eq!(versions_are_complete(&wd.path("dataset")), ["v1", "v1-1"]);
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn peak_mib(project: &Path, variants: usize) -> u64 {
    let config = std::fs::read_to_string(project.join("template-sft.toml")).unwrap();
    let config = config
        .lines()
        .map(|l| {
            if l.starts_with("variants_per_template") {
                format!("variants_per_template = {variants}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(project.join("template-sft.toml"), config).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_template-sft"))
        .args(["build", "-v"])
        .current_dir(project)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.contains("peak memory: "))
        .expect("-v reports peak memory");
    line.split("peak memory: ")
        .nth(1)
        .unwrap()
        .trim_end_matches(" MiB")
        .parse()
        .unwrap()
}

#[test]
fn memory_follows_distinct_code_not_examples_times_code() {
    let wd = Workdir::new();
    let project = wd.path("p");
    // 40 templates of ~25 KB (1 MB of distinct code), 60 briefs each: 2,400 examples that would
    // hold 60 MB of code if each example copied it.
    write_project(
        &project,
        &Options {
            templates: 40,
            prompts_per_template: 60,
            median_code_bytes: 25 * 1024,
            seed: 9,
            near_copies: 0.0,
            family_size: 0,
        },
    )
    .unwrap();
    let one = peak_mib(&project, 1);
    let sixty = peak_mib(&project, 60);
    assert!(
        sixty <= one + 15,
        "peak grew from {one} MiB to {sixty} MiB with 60x the examples"
    );
}
