//! The README's set-up commands are the ones that work.

use crate::support;

use support::{repo_root, Workdir};

/// The `sh` blocks of the Set up section, each as its lines with comments removed.
fn setup_blocks() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = readme
        .split("## Set up")
        .nth(1)
        .expect("README has a Set up section")
        .split("\n## ")
        .next()
        .unwrap();
    section
        .split("```sh\n")
        .skip(1)
        .map(|block| {
            block
                .split("```")
                .next()
                .unwrap()
                .lines()
                .map(|l| l.split(" #").next().unwrap().trim_end().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn setup_installs_the_tool_then_builds_the_starter_and_runs_the_tests() {
    assert_eq!(
        setup_blocks(),
        [
            vec!["cargo install --locked --path .", "pip install -v ."],
            vec![
                "template-sft build -c examples/starter --render",
                "bash scripts/test.sh"
            ]
        ]
    );
    let ci = std::fs::read_to_string(repo_root().join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l == "bash scripts/test.sh"),
        ".ci/run must run the README's test command"
    );
    // CI checks the pip way too (as a timed step).
    assert!(ci
        .lines()
        .any(|l| l.trim_start_matches("step ") == "bash scripts/check-wheel.sh"));
}

#[test]
fn the_readme_build_command_builds_the_starter() {
    // Run the command (the installed tool is this build's binary) from a copy of the layout.
    let line = &setup_blocks()[1][0];
    let args: Vec<&str> = line
        .strip_prefix("template-sft ")
        .unwrap()
        .split_whitespace()
        .collect();
    let wd = Workdir::new();
    std::fs::create_dir_all(wd.path("examples")).unwrap();
    let status = std::process::Command::new("cp")
        .args([
            "-r",
            repo_root().join("examples/starter").to_str().unwrap(),
            wd.path("examples/").to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = std::fs::remove_dir_all(wd.path("examples/starter/dataset"));
    let run = wd.ok(&args);
    assert!(
        run.stdout
            .starts_with("wrote examples/starter/dataset/v1: "),
        "{run}"
    );
}

#[test]
fn the_docs_document_every_validate_category() {
    let docs = std::fs::read_to_string(repo_root().join("docs/checking.md")).unwrap();
    for category in template_sft::Category::ALL {
        let row = format!("| `{}` | {} |", category.name(), category.meaning());
        assert!(
            docs.contains(&row),
            "docs/checking.md lacks the row for {}",
            category.name()
        );
    }
}

#[test]
fn the_docs_list_the_build_stages_of_src_pipeline_in_order() {
    let docs = std::fs::read_to_string(repo_root().join("docs/building.md")).unwrap();
    let section = docs
        .split("## The stages")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("docs/building.md has a The stages section");
    let stage = |line: &str| -> Option<String> {
        let rest = line.trim_start_matches("//!").trim_start();
        let (number, rest) = rest.split_once(". **")?;
        number.parse::<u32>().ok()?;
        Some(rest.split("**").next()?.to_lowercase())
    };
    let in_readme: Vec<String> = section.lines().filter_map(stage).collect();
    let module_doc = std::fs::read_to_string(repo_root().join("src/pipeline/mod.rs")).unwrap();
    let in_code: Vec<String> = module_doc
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .filter_map(stage)
        .collect();
    assert_eq!(in_readme, in_code);
    assert_eq!(in_readme.len(), 10, "{in_readme:?}");
    // The README names them in one line, in order.
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let named = format!("`src/pipeline/`: {}.", in_readme.join(", "));
    assert!(
        readme.replace('\n', " ").contains(&named),
        "README should say {named}"
    );
    for name in &in_readme {
        let file = repo_root().join(format!("src/pipeline/{name}.rs"));
        assert!(file.is_file(), "no stage module {}", file.display());
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("//! The "), "{name}.rs has no module doc");
        assert!(text.contains("fn run"), "{name}.rs has no run()");
    }
}

#[test]
fn the_readme_counts_the_names_lib_rs_re_exports() {
    let lib = std::fs::read_to_string(repo_root().join("src/lib.rs")).unwrap();
    let mut names = 0;
    let mut statement = String::new();
    for line in lib.lines() {
        if line.starts_with("pub use ") || !statement.is_empty() {
            statement.push_str(line);
            if line.ends_with(';') {
                let inner = statement
                    .trim_start_matches("pub use ")
                    .trim_end_matches(';')
                    .to_string();
                names += match inner.split_once('{') {
                    Some((_, list)) => list
                        .trim_end_matches('}')
                        .split(',')
                        .filter(|n| !n.trim().is_empty())
                        .count(),
                    None => 1,
                };
                statement.clear();
            }
        }
    }
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("{names} names (")),
        "lib.rs re-exports {names} names; the README's library section says otherwise"
    );
    assert!(names <= 60, "{names} re-exported names: keep the API small");
}
