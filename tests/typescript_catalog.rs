//! canonical.ts catalogs: literal evaluation gives the same templates, and the same dataset, as the
//! JSON export of the same data.

use crate::support;

use std::path::Path;

use support::{repo_root, Workdir};
use template_sft::internals::catalog::{json, typescript, Template};

fn without_origin(mut t: Vec<Template>) -> Vec<Template> {
    for template in &mut t {
        template.at = template_sft::Location::file("");
    }
    t
}

#[test]
fn the_realistic_fixture_reads_like_its_json_twin() {
    let dir = repo_root().join("tests/fixtures/catalogs");
    let ts = typescript::read(
        &dir.join("canonical.ts"),
        None,
        &mut template_sft::internals::diagnostic::Diagnostics::default(),
    )
    .unwrap();
    let js = json::read_array(&dir.join("canonical.json")).unwrap();
    assert_eq!(ts.len(), 40);
    assert_eq!(without_origin(ts), without_origin(js));
}

#[test]
fn the_registry_spread_is_warned_about_with_its_location() {
    let wd = Workdir::starter();
    wd.edit("template-sft.toml", |t| {
        t.replace("path = \"catalog.json\"", "path = \"catalog.ts\"")
    });
    let run = wd.ok(&["build"]);
    assert!(
        run.stderr.contains("warning: catalog.ts:261:50: spread of `registryTemplates` is not a literal array in this file; skipped"),
        "{run}"
    );
}

#[test]
fn the_starter_built_from_catalog_ts_equals_the_json_build() {
    let wd = Workdir::starter();
    wd.ok(&["build", "--tag", "json"]);
    wd.edit("template-sft.toml", |t| {
        t.replace("path = \"catalog.json\"", "path = \"catalog.ts\"")
    });
    wd.ok(&["build", "--tag", "ts"]);
    for split in ["train", "validation", "test"] {
        for kind in ["jsonl", "upload.jsonl", "meta.jsonl"] {
            let name = format!("{split}.{kind}");
            assert_eq!(
                wd.read(&format!("dataset/json/{name}")),
                wd.read(&format!("dataset/ts/{name}")),
                "{name}"
            );
        }
    }
}

#[test]
fn a_named_export_and_a_syntax_error() {
    let wd = Workdir::starter();
    wd.edit("template-sft.toml", |t| {
        t.replace(
            "path = \"catalog.json\"",
            "path = \"catalog.ts\"\nexport = \"dbCanonicalTemplates\"",
        )
    });
    let run = wd.ok(&["build"]);
    assert!(
        !run.stderr.contains("registryTemplates"),
        "only the named array is read\n{run}"
    );
    wd.edit("catalog.ts", |t| {
        t.replacen(
            "name: \"Orbit Logo Reveal\",",
            "name: \"Orbit Logo Reveal,",
            1,
        )
    });
    let run = wd.fails(&["build"], 2);
    assert!(
        run.stderr
            .starts_with("error: catalog.ts:40:11: TypeScript syntax error: Unterminated string"),
        "{run}"
    );
}

#[test]
fn a_call_in_a_required_field_skips_only_that_entry() {
    let text = "const list = [\n  { id: 'a', name: t('A'), supportedFormats: ['square'], primaryUse: 'p' },\n  { id: 'b', name: 'B', supportedFormats: ['square'], primaryUse: 'p' },\n];\n";
    let t = typescript::parse(
        Path::new("c.ts"),
        text,
        None,
        &mut template_sft::internals::diagnostic::Diagnostics::default(),
    )
    .unwrap();
    assert_eq!(t.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["b"]);
}
