//! Code from PostgreSQL: one READ ONLY transaction, parameterized batched queries, rows streamed.
//!
//! Takes `[code.postgres]` and the connection string from the environment variable it names; gives a
//! [`CodeStore`] keyed by the catalog's `dbId`. Schema, table and column names are quoted as
//! identifiers, so a hostile name in the config is a missing relation, never SQL. The password is
//! never shown: messages name the server as `postgres://user@host:port/dbname`, read from the
//! string without trusting its parse ([`safe_target`]).
//!
//! The code column is fetched as the bytes stored (`convert_to` the server's own encoding), so one row that is not UTF-8 (a
//! `SQL_ASCII` database) becomes that template's `utf8` rejection instead of failing the fetch. Two
//! rows with one id are a warning, and the one whose code has the smaller SHA-256 is used, whatever
//! the physical order. The fetch runs on a worker thread the caller watches with client-side
//! deadlines (connecting; and any wait for the server, which `statement_timeout` bounds on its
//! side), so a server that accepts a connection and never answers, or stops mid-stream, is an error
//! instead of a hang.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::postgres_tls::{connector, safe_target, split_options, TlsOptions};
use super::{CodeStore, Stored};
use crate::catalog::Template;
use crate::config::PostgresConfig;
use crate::diagnostic::{warning, Diagnostics};
use crate::error::{wording, Error, Result};

pub struct PostgresStore {
    settings: PostgresConfig,
    tls: TlsOptions,
    driver: postgres::Config,
    /// `postgres://user@host:port/dbname`: safe to print.
    target: String,
}

impl PostgresStore {
    /// Read the connection string from the configured environment variable.
    pub fn from_env(settings: &PostgresConfig) -> Result<Self> {
        let conn = std::env::var(&settings.url_env)
            .map_err(|_| wording::no_store_variable(&settings.url_env))?;
        PostgresStore::new(settings, &conn)
    }

    pub fn new(settings: &PostgresConfig, conn: &str) -> Result<Self> {
        let invalid = |why: String| wording::bad_connection_string(&settings.url_env, why);
        let tls = split_options(conn).map_err(invalid)?;
        let mut driver: postgres::Config =
            tls.driver_string.parse().map_err(|e: postgres::Error| {
                let text = error_text(&e);
                let why = text
                    .strip_prefix("invalid connection string: ")
                    .unwrap_or(&text);
                invalid(why.to_string())
            })?;
        driver
            .ssl_mode(tls.mode.driver_mode())
            .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
            .application_name("template-sft");
        let target = safe_target(conn);
        Ok(PostgresStore {
            settings: settings.clone(),
            tls,
            driver,
            target,
        })
    }

    /// `SELECT convert_to("id"::text, <server encoding>), convert_to("code"::text, …) FROM
    /// "schema"."table" WHERE "id"::text = ANY($1)`: both as the bytes stored (a conversion to the
    /// server's own encoding is none), decoded (or rejected) here rather than by the driver.
    pub fn query(&self) -> String {
        let s = &self.settings;
        let id = quote_ident(&s.id_column);
        let raw = |column: &str| {
            format!("convert_to({column}::text, current_setting('server_encoding'))")
        };
        format!(
            "SELECT {}, {} FROM {}.{} WHERE {id}::text = ANY($1)",
            raw(&id),
            raw(&quote_ident(&s.code_column)),
            quote_ident(&s.schema),
            quote_ident(&s.table)
        )
    }
}

impl CodeStore for PostgresStore {
    fn describe(&self) -> String {
        format!(
            "postgres {} table {}.{}",
            self.target,
            quote_ident(&self.settings.schema),
            quote_ident(&self.settings.table)
        )
    }

    fn key<'t>(&self, template: &'t Template) -> Option<&'t str> {
        template.db_id()
    }

    fn looked(&self, template: &Template) -> String {
        let table = format!(
            "{}.{}",
            quote_ident(&self.settings.schema),
            quote_ident(&self.settings.table)
        );
        match template.db_id() {
            Some(db_id) => format!(
                "no row of {table} has {} = {db_id:?}, or its {} is NULL or blank",
                quote_ident(&self.settings.id_column),
                quote_ident(&self.settings.code_column)
            ),
            None => format!("its catalog entry has no dbId, so {table} cannot hold its code"),
        }
    }

    fn fetch(
        &self,
        keys: &[&str],
        max_bytes: u64,
        diagnostics: &mut Diagnostics,
        each: &mut dyn FnMut(usize, HashMap<String, Stored>) -> Result<()>,
    ) -> Result<()> {
        let database = |message: String| Error::Database {
            target: self.target.clone(),
            message,
        };
        let worker = Worker {
            driver: self.driver.clone(),
            tls: connector(&self.tls).map_err(database)?,
            query: self.query(),
            statement_timeout_ms: self.settings.statement_timeout_secs.saturating_mul(1000),
            batch_size: self.settings.batch_size,
            keys: keys.iter().map(|k| k.to_string()).collect(),
            max_bytes,
            activity: Arc::new(Activity::default()),
        };
        let activity = Arc::clone(&worker.activity);
        // A rendezvous: the worker reads the next batch from the server while this thread hands
        // the last one on, and never runs further ahead (a catalog's code is not held at once).
        let (send, batches) = mpsc::sync_channel(0);
        std::thread::spawn(move || worker.run(&send));
        // The driver's own timeouts do not cover a server that accepts and then never answers:
        // watch the worker. Connecting gets the connect timeout; after that, every wait for the
        // server gets the statement timeout (which the server enforces too), plus a margin.
        let connect = Duration::from_secs(self.settings.connect_timeout_secs) + GRACE;
        let wait = Duration::from_secs(self.settings.statement_timeout_secs) + GRACE;
        let started = Instant::now();
        // Time spent handing a batch on is not the server's: the clock restarts after it.
        let mut waiting_since = Instant::now();
        loop {
            let message = match batches.recv_timeout(Duration::from_millis(50)) {
                Ok(message) => message,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(database("the fetch stopped without an answer".into()))
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let (connected, idle) = activity.idle(started);
                    let idle = idle.min(waiting_since.elapsed());
                    let (limit, what) = if connected {
                        (wait, "waiting for the server")
                    } else {
                        (connect, "connecting")
                    };
                    if idle > limit {
                        return Err(database(format!(
                            "no answer after {} s {what} (client-side deadline from code.postgres.{}_timeout_secs); is the server up, reachable and not stopped?",
                            limit.as_secs(),
                            if connected { "statement" } else { "connect" }
                        )));
                    }
                    continue;
                }
            };
            let (answered, rows) = match message {
                Fetched::Rows { answered, rows } => (answered, rows),
                Fetched::Done(result) => return result.map_err(database),
            };
            let found = self.one_row_per_id(rows, diagnostics);
            each(answered, found)?;
            waiting_since = Instant::now();
        }
    }
}

impl PostgresStore {
    /// The rows of one batch by id: of several rows with one id (a warning), the one whose code
    /// has the smallest SHA-256, whatever the order they came in.
    fn one_row_per_id(
        &self,
        rows: Vec<(String, Stored)>,
        diagnostics: &mut Diagnostics,
    ) -> HashMap<String, Stored> {
        let mut out: HashMap<String, (Stored, String)> = HashMap::with_capacity(rows.len());
        let mut duplicates: HashMap<String, usize> = HashMap::new();
        for (id, stored) in rows {
            let digest = match &stored {
                Stored::Bytes(bytes) => crate::digest::sha256_hex(bytes),
                Stored::TooLarge(size) => format!("~{size:020}"),
            };
            match out.get(&id) {
                Some((_, kept)) => {
                    *duplicates.entry(id.clone()).or_insert(1) += 1;
                    if digest < *kept {
                        out.insert(id, (stored, digest));
                    }
                }
                None => {
                    out.insert(id, (stored, digest));
                }
            }
        }
        let mut duplicates: Vec<(String, usize)> = duplicates.into_iter().collect();
        duplicates.sort();
        for (id, rows) in duplicates {
            diagnostics.add(warning::duplicate_store_rows(
                self.describe(),
                rows,
                quote_ident(&self.settings.id_column),
                &id,
            ));
        }
        out.into_iter()
            .map(|(id, (stored, _))| (id, stored))
            .collect()
    }
}

/// What the worker hands over: the rows of the keys answered so far (all rows of an id come in
/// the same batch, since ids are queried batch by batch), then how the fetch ended.
enum Fetched {
    Rows {
        answered: usize,
        rows: Vec<(String, Stored)>,
    },
    Done(std::result::Result<(), String>),
}

/// What is allowed on top of a timeout before the client gives up on the server.
const GRACE: Duration = Duration::from_secs(5);

/// When the worker last heard from the server (milliseconds since the fetch started), and whether
/// it has connected.
#[derive(Default)]
struct Activity {
    last_ms: AtomicU64,
    connected: AtomicBool,
}

impl Activity {
    fn touch(&self, started: Instant) {
        self.last_ms
            .store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Connected yet, and how long since the server was last heard from.
    fn idle(&self, started: Instant) -> (bool, Duration) {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        (
            self.connected.load(Ordering::Relaxed),
            started.elapsed().saturating_sub(last),
        )
    }
}

/// Everything the fetch needs, owned, so it can run on its own thread.
struct Worker {
    driver: postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    query: String,
    statement_timeout_ms: u64,
    batch_size: usize,
    keys: Vec<String>,
    max_bytes: u64,
    activity: Arc<Activity>,
}

impl Worker {
    /// Send every row of the batched query, batch by batch: the id (rows whose id is not UTF-8
    /// cannot match a catalog dbId and are left out) and the code, bytes as stored or its size when
    /// over the cap; then how it ended. Stops when the receiver is gone.
    fn run(self, send: &mpsc::SyncSender<Fetched>) {
        let result = self.fetch(send);
        let _ = send.send(Fetched::Done(result));
    }

    fn fetch(&self, send: &mpsc::SyncSender<Fetched>) -> std::result::Result<(), String> {
        let started = Instant::now();
        let fail = |e: postgres::Error| error_text(&e);
        let mut client = self.driver.connect(self.tls.clone()).map_err(fail)?;
        self.activity.connected.store(true, Ordering::Relaxed);
        self.activity.touch(started);
        let mut tx = client
            .build_transaction()
            .read_only(true)
            .start()
            .map_err(fail)?;
        // SET LOCAL ends with the transaction; a pooler never carries it to another client.
        tx.batch_execute(&format!(
            "SET LOCAL statement_timeout = {}",
            self.statement_timeout_ms
        ))
        .map_err(fail)?;
        let statement = tx.prepare(&self.query).map_err(fail)?;
        self.activity.touch(started);
        let mut answered = 0;
        for batch in self.keys.chunks(self.batch_size.max(1)) {
            let ids: Vec<&str> = batch.iter().map(String::as_str).collect();
            let mut rows = tx
                .query_raw(&statement, [&ids as &(dyn ToSql + Sync)])
                .map_err(fail)?;
            self.activity.touch(started);
            let mut out = Vec::with_capacity(batch.len());
            while let Some(row) = rows.next().map_err(fail)? {
                self.activity.touch(started);
                let id: Vec<u8> = row.try_get(0).map_err(fail)?;
                let Ok(id) = String::from_utf8(id) else {
                    continue;
                };
                // NULL stays absent, so the override rules apply.
                let code: Option<Vec<u8>> = row.try_get(1).map_err(fail)?;
                if let Some(code) = code {
                    out.push((id, Stored::capped(code, self.max_bytes)));
                }
            }
            answered += batch.len();
            if send
                .send(Fetched::Rows {
                    answered,
                    rows: out,
                })
                .is_err()
            {
                return Ok(()); // the build stopped; nobody is listening
            }
            // The wait was for the build, not the server.
            self.activity.touch(started);
        }
        tx.commit().map_err(fail)?;
        Ok(())
    }
}

/// `"name"` with embedded quotes doubled: an identifier, whatever it contains.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// One line: the server's own message for database errors, else the driver's words and cause.
fn error_text(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_so_names_cannot_inject_sql() {
        let settings = PostgresConfig {
            table: "t\"; DROP TABLE x; --".into(),
            ..PostgresConfig::default()
        };
        let source = PostgresStore::new(&settings, "postgresql://u:secret@localhost/db").unwrap();
        assert_eq!(
            source.query(),
            "SELECT convert_to(\"id\"::text, current_setting('server_encoding')), convert_to(\"tsx_code\"::text, current_setting('server_encoding')) FROM \"public\".\"t\"\"; DROP TABLE x; --\" WHERE \"id\"::text = ANY($1)"
        );
    }

    #[test]
    fn the_target_never_holds_the_password() {
        let source = PostgresStore::new(
            &PostgresConfig::default(),
            "postgresql://me:secret@db.example.com:6543/prod?sslmode=require",
        )
        .unwrap();
        assert_eq!(source.target, "postgres://me@db.example.com:6543/prod");
        assert!(!source.describe().contains("secret"));
        let err = PostgresStore::new(
            &PostgresConfig::default(),
            "postgresql://me:secret@h:notaport/db",
        )
        .err()
        .unwrap();
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}
