//! The PostgreSQL code source against a real server this test binary starts itself.

mod support;

use serde_json::Value;
use support::postgres::server;
use support::{Run, Workdir};

const TABLE: &str = "public.\"bazaar-vid_templates\"";

/// The starter project switched to the PostgreSQL source.
fn pg_project() -> Workdir {
    let wd = Workdir::starter();
    wd.edit("template-sft.toml", |t| {
        t.replace("source = \"directory\"", "source = \"postgres\"")
    });
    wd
}

/// Create the production table in `db` and load the starter's code; templates without a file
/// get a row with NULL code (like the original's legacy records).
fn load_starter(db: &str, wd: &Workdir) {
    let mut client = server().client(db);
    client
        .batch_execute(&format!(
            "CREATE TABLE {TABLE} (id uuid PRIMARY KEY, name text NOT NULL, tsx_code text)"
        ))
        .unwrap();
    let catalog: Vec<Value> = serde_json::from_str(&wd.read("catalog.json")).unwrap();
    for entry in catalog {
        let id = entry["id"].as_str().unwrap();
        let db_id = entry["source"]["dbId"].as_str().unwrap();
        let code = std::fs::read_to_string(wd.path(&format!("templates/{id}.tsx"))).ok();
        client
            .execute(
                &format!(
                    "INSERT INTO {TABLE} (id, name, tsx_code) VALUES ($1::text::uuid, $2, $3)"
                ),
                &[&db_id, &entry["name"].as_str().unwrap(), &code],
            )
            .unwrap();
    }
}

fn build(wd: &Workdir, url: &str, args: &[&str]) -> Run {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    wd.run_env(&all, &[("DATABASE_URL", url)])
}

fn stats(wd: &Workdir, version: &str) -> Value {
    serde_json::from_str(&wd.read(&format!("dataset/{version}/stats.json"))).unwrap()
}

fn db_id(wd: &Workdir, template: &str) -> String {
    let catalog: Vec<Value> = serde_json::from_str(&wd.read("catalog.json")).unwrap();
    catalog.iter().find(|e| e["id"] == template).unwrap()["source"]["dbId"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_database_build_equals_the_directory_build_byte_for_byte() {
    let db = server().database();
    let wd = Workdir::starter();
    wd.ok(&["build", "--tag", "dir"]);
    load_starter(&db, &wd);
    wd.edit("template-sft.toml", |t| {
        t.replace("source = \"directory\"", "source = \"postgres\"")
    });
    let run = build(&wd, &server().socket_url(&db), &["--tag", "pg"]);
    assert_eq!(run.code, Some(0), "{run}");
    for split in ["train", "validation", "test"] {
        for kind in ["jsonl", "upload.jsonl", "meta.jsonl"] {
            let name = format!("{split}.{kind}");
            assert_eq!(
                wd.read(&format!("dataset/dir/{name}")),
                wd.read(&format!("dataset/pg/{name}")),
                "{name}"
            );
        }
    }
    // The NULL row of pill-shaped-bar-chart fell back to its override file.
    assert_eq!(
        stats(&wd, "pg")["codeOverridesUsed"][0]["templateId"],
        "pill-shaped-bar-chart"
    );
}

#[test]
fn null_code_without_an_override_and_a_missing_row_are_missing_templates() {
    let db = server().database();
    let wd = pg_project();
    load_starter(&db, &wd);
    wd.remove("code-overrides/pill-shaped-bar-chart.tsx");
    let quote = db_id(&wd, "quote-card");
    let mut client = server().client(&db);
    client
        .execute(
            &format!("DELETE FROM {TABLE} WHERE id = $1::text::uuid"),
            &[&quote],
        )
        .unwrap();
    client
        .execute(
            &format!("UPDATE {TABLE} SET tsx_code = '' WHERE name = 'Lower Third'"),
            &[],
        )
        .unwrap();
    let run = build(&wd, &server().socket_url(&db), &[]);
    assert_eq!(run.code, Some(0), "{run}");
    let missing = &stats(&wd, "v1")["missingTemplates"];
    let ids: Vec<&str> = missing
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["templateId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["pill-shaped-bar-chart", "quote-card", "lower-third"]);
    assert_eq!(missing[1]["dbId"], quote);
}

#[test]
fn rows_for_ids_outside_the_catalog_are_ignored() {
    let db = server().database();
    let wd = pg_project();
    load_starter(&db, &wd);
    server()
        .client(&db)
        .batch_execute(&format!(
            "INSERT INTO {TABLE} (id, name, tsx_code) SELECT gen_random_uuid(), 'extra ' || g, 'export default 1;' FROM generate_series(1, 500) g"
        ))
        .unwrap();
    let run = build(&wd, &server().socket_url(&db), &[]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(stats(&wd, "v1")["uniqueTemplatesCovered"], 12);
}

#[test]
fn large_catalogs_are_fetched_in_batches() {
    let db = server().database();
    let wd = pg_project();
    load_starter(&db, &wd);
    wd.edit("template-sft.toml", |t| {
        t.replace("[output]", "[code.postgres]\nbatch_size = 5\n\n[output]")
    });
    let run = build(&wd, &server().socket_url(&db), &[]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(stats(&wd, "v1")["uniqueTemplatesCovered"], 12);
    // 12 ids in batches of 5: three executions of the same prepared statement.
    let log = server().log();
    let this_db: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("= ANY($1)") && l.contains("execute"))
        .collect();
    assert!(this_db.len() >= 3, "{log}");
}

#[test]
fn a_wrong_password_is_one_clear_line_without_the_password() {
    let db = server().database();
    let wd = pg_project();
    load_starter(&db, &wd);
    let url = server().tcp_url(&db, "wrong-secret", "sslmode=disable");
    let run = build(&wd, &url, &[]);
    assert_eq!(run.code, Some(3), "{run}");
    assert_eq!(
        run.stderr,
        format!("error: database postgres://postgres@127.0.0.1:{}/{db}: password authentication failed for user \"postgres\"\n", server().port)
    );
    assert!(!wd.path("dataset").exists());
}

#[test]
fn a_server_that_is_down_is_one_clear_line() {
    let wd = pg_project();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgresql://postgres:pw@127.0.0.1:{port}/db?sslmode=disable");
    let run = build(&wd, &url, &[]);
    assert_eq!(run.code, Some(3), "{run}");
    assert_eq!(
        run.stderr,
        format!("error: database postgres://postgres@127.0.0.1:{port}/db: error connecting to server: Connection refused\n")
    );
    assert!(!wd.path("dataset").exists());
}

#[test]
fn a_missing_table_or_column_is_named() {
    let db = server().database();
    let wd = pg_project();
    load_starter(&db, &wd);
    wd.edit("template-sft.toml", |t| {
        t.replace(
            "[output]",
            "[code.postgres]\ntable = \"templates\"\n\n[output]",
        )
    });
    let run = build(&wd, &server().socket_url(&db), &[]);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        run.stderr
            .ends_with(": relation \"public.templates\" does not exist\n"),
        "{run}"
    );

    wd.edit("template-sft.toml", |t| {
        t.replace("table = \"templates\"", "code_column = \"code\"")
    });
    let run = build(&wd, &server().socket_url(&db), &[]);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        run.stderr.ends_with(": column \"code\" does not exist\n"),
        "{run}"
    );
    assert!(!wd.path("dataset").exists());
}

#[test]
fn tls_verify_full_passes_with_the_ca_and_fails_without_it() {
    let db = server().database();
    let wd = pg_project();
    load_starter(&db, &wd);
    let pw = &server().password;
    let ca = server().ca.display().to_string();

    let with_ca = server().tcp_url(&db, pw, &format!("sslmode=verify-full&sslrootcert={ca}"));
    let run = build(&wd, &with_ca, &[]);
    assert_eq!(run.code, Some(0), "{run}");

    let without_ca = server().tcp_url(&db, pw, "sslmode=verify-full");
    let run = build(&wd, &without_ca, &[]);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        run.stderr
            .contains("error performing TLS handshake: invalid peer certificate: UnknownIssuer"),
        "{run}"
    );

    // require encrypts without checking the certificate, as libpq does.
    let require = server().tcp_url(&db, pw, "sslmode=require");
    let run = build(&wd, &require, &[]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(!run.stderr.contains(pw.as_str()) && !run.stdout.contains(pw.as_str()));
}

#[test]
fn the_tool_only_reads_and_hostile_names_cannot_inject_sql() {
    let db = server().database();
    let wd = pg_project();
    load_starter(&db, &wd);
    let run = build(&wd, &server().socket_url(&db), &[]);
    assert_eq!(run.code, Some(0), "{run}");
    let log = server().log();
    assert!(
        log.contains("START TRANSACTION READ ONLY"),
        "the fetch runs in a read-only transaction\n{log}"
    );

    wd.edit("template-sft.toml", |t| {
        t.replace(
            "[output]",
            "[code.postgres]\ntable = 't\"; DROP TABLE \"bazaar-vid_templates\"; --'\n\n[output]",
        )
    });
    let run = build(&wd, &server().socket_url(&db), &[]);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(run.stderr.contains("does not exist"), "{run}");
    let rows: i64 = server()
        .client(&db)
        .query_one(&format!("SELECT count(*) FROM {TABLE}"), &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 12, "the table is intact");
}

#[test]
fn an_unset_environment_variable_is_a_usage_error() {
    let wd = pg_project();
    let run = wd.fails(&["build"], 2);
    assert_eq!(
        run.stderr,
        "error: environment variable DATABASE_URL is not set; code.source = \"postgres\" reads the connection string from it\n"
    );
}

#[test]
fn the_password_appears_in_no_output_even_verbose() {
    let db = server().database();
    let wd = pg_project();
    load_starter(&db, &wd);
    let pw = server().password.clone();
    let url = server().tcp_url(&db, &pw, "sslmode=require");
    let run = build(&wd, &url, &["-v"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stderr
            .contains("code fetched from postgres postgres://postgres@127.0.0.1:"),
        "{run}"
    );
    assert!(
        !run.stdout.contains(&pw) && !run.stderr.contains(&pw),
        "{run}"
    );
    for name in wd.list("dataset/v1") {
        let text = wd.read(&format!("dataset/v1/{name}"));
        assert!(!text.contains(&pw), "{name} holds the password");
    }
    // Nor in what the other commands print or write about that dataset.
    for args in [
        vec!["report", "dataset/v1", "--html", "report.html"],
        vec!["validate", "dataset/v1", "--json"],
        vec!["export", "dataset/v1", "--to", "hf", "hf"],
    ] {
        let run = wd.run_env(&args, &[("DATABASE_URL", url.as_str())]);
        assert_eq!(run.code, Some(0), "{run}");
        assert!(
            !run.stdout.contains(&pw) && !run.stderr.contains(&pw),
            "{run}"
        );
    }
    assert!(!wd.read("report.html").contains(&pw));
    for name in ["README.md", "manifest.json", "data/train.jsonl"] {
        assert!(!wd.read(&format!("hf/{name}")).contains(&pw), "hf/{name}");
    }
}
