//! The PostgreSQL code source against a real server this test binary starts itself.

use crate::support;

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

/// The one error line of a failed build: the last line of stderr, and the only one that is an
/// error (the warnings about the project's own prompt files, read before the code, come first).
fn the_error(stderr: &str) -> &str {
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert_eq!(stderr.lines().last(), Some(errors[0]), "{stderr}");
    errors[0]
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
        the_error(&run.stderr),
        format!("error: database postgres://postgres@127.0.0.1:{}/{db}: password authentication failed for user \"postgres\"", server().port)
    );
    assert!(!run.stderr.contains("wrong-secret"), "{run}");
    assert!(!wd.path("dataset").exists());
}

#[test]
fn a_server_that_is_down_is_one_clear_line() {
    let wd = pg_project();
    // A port held for the whole test but not listening: connections to it are refused, and no
    // other process can take it meanwhile (freeing it first made this test flaky).
    let closed = support::ClosedPort::new();
    let port = closed.port;
    let url = format!("postgresql://postgres:pw@127.0.0.1:{port}/db?sslmode=disable");
    let run = build(&wd, &url, &[]);
    assert_eq!(run.code, Some(3), "{run}");
    assert_eq!(
        the_error(&run.stderr),
        format!("error: database postgres://postgres@127.0.0.1:{port}/db: error connecting to server: Connection refused")
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

/// Set `[code.postgres]` keys (appended as a section; the starter has none).
fn postgres_settings(wd: &Workdir, settings: &str) {
    wd.edit("template-sft.toml", |t| {
        t.replace(
            "[output]",
            &format!("[code.postgres]\n{settings}\n\n[output]"),
        )
    });
}

#[test]
fn an_endpoint_that_accepts_and_never_answers_is_a_deadline_not_a_hang() {
    let wd = pg_project();
    postgres_settings(&wd, "connect_timeout_secs = 1");
    // Accepts TCP connections and holds them open without a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let url = format!("postgresql://postgres:pw@127.0.0.1:{port}/db?sslmode=disable");
    let started = std::time::Instant::now();
    let run = build(&wd, &url, &[]);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{run}"
    );
    assert!(
        run.stderr.contains(&format!(
            "error: database postgres://postgres@127.0.0.1:{port}/db: "
        )) && (run.stderr.contains("no answer after 6 s connecting")
            || run.stderr.contains("timed out")),
        "{run}"
    );
    assert!(!run.stderr.contains(":pw@"), "{run}");
}

/// The server process serving the connection whose application is template-sft, once it runs a
/// query.
fn busy_backend(db: &str) -> i32 {
    let mut admin = server().client(db);
    for _ in 0..400 {
        let rows = admin
            .query(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'template-sft' AND state = 'active'",
                &[],
            )
            .unwrap();
        if let Some(row) = rows.first() {
            return row.get(0);
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("the build never ran its query");
}

#[test]
fn a_server_that_stops_mid_fetch_is_a_deadline_not_a_hang() {
    let db = server().database();
    let wd = pg_project();
    load_starter(&db, &wd);
    // A slow view over the table: a second per row, so the build is mid-fetch for long enough.
    server()
        .client(&db)
        .batch_execute(&format!(
            "CREATE VIEW slow AS SELECT id, CASE WHEN pg_sleep(1) IS NULL THEN tsx_code ELSE tsx_code END AS tsx_code FROM {TABLE}"
        ))
        .unwrap();
    postgres_settings(&wd, "table = \"slow\"\nstatement_timeout_secs = 3");
    let mut child = wd
        .command(&["build"])
        .env("DATABASE_URL", server().socket_url(&db))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let backend = busy_backend(&db);
    // SIGSTOP: the server neither answers nor times the statement out any more.
    let stopped = std::process::Command::new("kill")
        .args(["-STOP", &backend.to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let started = std::time::Instant::now();
    let out = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("the build hung on a stopped server");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let _ = std::process::Command::new("kill")
        .args(["-CONT", &backend.to_string()])
        .status();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(out.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("no answer after 8 s waiting for the server"),
        "{stderr}"
    );
    assert!(!wd.path("dataset").exists() || wd.outputs("dataset").is_empty());
}

#[test]
fn a_row_that_is_not_utf8_rejects_that_template_only() {
    let db = format!("ascii{}", std::process::id());
    server()
        .client("postgres")
        .batch_execute(&format!(
            "CREATE DATABASE {db} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
        ))
        .unwrap();
    let wd = pg_project();
    load_starter(&db, &wd);
    let quote = db_id(&wd, "quote-card");
    server()
        .client(&db)
        .batch_execute(&format!(
            "UPDATE {TABLE} SET tsx_code = E'export default \\xff;' WHERE id = '{quote}'"
        ))
        .unwrap();
    let run = build(&wd, &server().socket_url(&db), &[]);
    assert_eq!(run.code, Some(0), "{run}");
    let s = stats(&wd, "v1");
    let failures = s["sanitizerFailures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{run}");
    assert_eq!(failures[0]["templateId"], "quote-card");
    assert_eq!(failures[0]["rule"], "utf8");
    assert_eq!(s["uniqueTemplatesCovered"], 11);
}

#[test]
fn duplicate_ids_in_the_store_warn_and_pick_the_same_row_in_any_order() {
    let pick = |reversed: bool| {
        let db = server().database();
        let wd = pg_project();
        let quote = db_id(&wd, "quote-card");
        let mut client = server().client(&db);
        client
            .batch_execute(&format!("CREATE TABLE {TABLE} (id uuid, tsx_code text)"))
            .unwrap();
        let catalog: Vec<Value> = serde_json::from_str(&wd.read("catalog.json")).unwrap();
        for entry in &catalog {
            let id = entry["id"].as_str().unwrap();
            let code = std::fs::read_to_string(wd.path(&format!("templates/{id}.tsx"))).ok();
            let mut codes = vec![code.clone()];
            if id == "quote-card" {
                let other = code.clone().map(|c| c.replace("Georgia", "Palatino"));
                codes.push(other);
                if reversed {
                    codes.reverse();
                }
            }
            for code in codes {
                client
                    .execute(
                        &format!("INSERT INTO {TABLE} (id, tsx_code) VALUES ($1::text::uuid, $2)"),
                        &[&entry["source"]["dbId"].as_str().unwrap(), &code],
                    )
                    .unwrap();
            }
        }
        let run = build(&wd, &server().socket_url(&db), &[]);
        assert_eq!(run.code, Some(0), "{run}");
        assert!(
            run.stderr.contains(&format!("has 2 rows with \"id\" = \"{quote}\"; using the one whose code has the smallest SHA-256")),
            "{run}"
        );
        let meta = std::fs::read_to_string(wd.path("dataset/v1/train.meta.jsonl")).unwrap()
            + &std::fs::read_to_string(wd.path("dataset/v1/validation.meta.jsonl")).unwrap()
            + &std::fs::read_to_string(wd.path("dataset/v1/test.meta.jsonl")).unwrap();
        support::jsonl(&meta)
            .iter()
            .find(|m| m["meta"]["templateId"] == "quote-card")
            .unwrap()["meta"]["codeSha256"]
            .clone()
    };
    assert_eq!(pick(false), pick(true));
}

#[test]
fn libpq_key_value_strings_with_spaces_and_quotes_connect() {
    let db = server().database();
    let wd = pg_project();
    load_starter(&db, &wd);
    let conn = format!(
        "host = 127.0.0.1 port={} dbname={db} user=postgres password='{}' sslmode = require",
        server().port,
        server().password
    );
    let run = build(&wd, &conn, &[]);
    assert_eq!(run.code, Some(0), "{run}");
}

#[test]
fn a_statement_timeout_postgresql_cannot_take_is_a_config_error() {
    let wd = pg_project();
    postgres_settings(&wd, "statement_timeout_secs = 99999999999");
    let run = wd.fails(&["build"], 2);
    assert!(
        run.stderr
            .contains("code.postgres.statement_timeout_secs must be at most 2147483"),
        "{run}"
    );
}

#[test]
fn a_password_with_an_unencoded_at_sign_never_shows_in_the_error() {
    let wd = pg_project();
    let closed = support::ClosedPort::new();
    let port = closed.port;
    // Parsed by the driver as user "postgres", password "p", host "ss@127.0.0.1": the target in
    // the message is read from the string itself, so no part of the password is shown as a host.
    let url = "postgresql://postgres:p@ss@127.0.0.1/db?sslmode=disable&connect_timeout=1";
    let run = build(&wd, url, &[]);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(
        the_error(&run.stderr).starts_with("error: database postgres://postgres@127.0.0.1/db: "),
        "{run}"
    );
    assert!(!run.stderr.contains("ss@"), "{run}");
    // Not parseable at all: a usage error that does not quote the string.
    let url = format!("postgresql://postgres:p@ss:w@rd@127.0.0.1:{port}/db");
    let run = build(&wd, &url, &[]);
    assert_eq!(run.code, Some(2), "{run}");
    assert_eq!(
        run.stderr,
        "error: DATABASE_URL: invalid connection string: invalid value for option `port`\n"
    );
    assert!(
        !run.stderr.contains("ss@") && !run.stderr.contains("w@rd"),
        "{run}"
    );
}
