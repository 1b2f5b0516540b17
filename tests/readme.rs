//! The README's set-up commands are the ones that work.

mod support;

use support::{repo_root, Workdir};

fn setup_block() -> Vec<String> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = readme
        .split("## Set up")
        .nth(1)
        .expect("README has a Set up section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    block.lines().map(str::to_string).collect()
}

#[test]
fn setup_has_exactly_the_build_and_test_commands() {
    assert_eq!(
        setup_block(),
        [
            "cargo run --release -- build --config examples/starter/template-sft.toml",
            "bash scripts/test.sh"
        ]
    );
    let ci = std::fs::read_to_string(repo_root().join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l == "bash scripts/test.sh"),
        ".ci/run must run the README's test command"
    );
}

#[test]
fn the_readme_build_command_builds_the_starter() {
    // Run the command's arguments (after `--`) from a copy of the repository layout.
    let line = &setup_block()[0];
    let args: Vec<&str> = line
        .split(" -- ")
        .nth(1)
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
fn the_readme_documents_every_validate_category() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    for category in template_sft::validate::Category::ALL {
        let row = format!("| `{}` | {} |", category.name(), category.meaning());
        assert!(
            readme.contains(&row),
            "README lacks the row for {}",
            category.name()
        );
    }
}
