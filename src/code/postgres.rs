//! Code from PostgreSQL: one READ ONLY transaction, parameterized batched queries, rows streamed.
//!
//! Takes `[code.postgres]` and the connection string from the environment variable it names; gives a
//! [`CodeStore`] keyed by the catalog's `dbId`. Schema, table and column names are quoted as
//! identifiers, so a hostile name in the config is a missing relation, never SQL. The password is
//! never shown: messages name the server as `postgres://user@host:port/dbname`.

use std::collections::HashMap;
use std::time::Duration;

use postgres::config::Host;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::postgres_tls::{connector, split_options, TlsOptions};
use super::{CodeStore, Stored};
use crate::catalog::Template;
use crate::config::PostgresConfig;
use crate::diagnostic::Diagnostics;
use crate::error::{Error, Result};

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
        let conn = std::env::var(&settings.url_env).map_err(|_| {
            Error::Usage(format!(
                "environment variable {} is not set; code.source = \"postgres\" reads the connection string from it",
                settings.url_env
            ))
        })?;
        PostgresStore::new(settings, &conn)
    }

    pub fn new(settings: &PostgresConfig, conn: &str) -> Result<Self> {
        let invalid = |why: String| {
            Error::Usage(format!(
                "{}: invalid connection string: {why}",
                settings.url_env
            ))
        };
        let tls = split_options(conn).map_err(invalid)?;
        let mut driver: postgres::Config = tls
            .driver_string
            .parse()
            .map_err(|e: postgres::Error| invalid(error_text(&e)))?;
        driver
            .ssl_mode(tls.mode.driver_mode())
            .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
            .application_name("template-sft");
        let target = describe(&driver);
        Ok(PostgresStore {
            settings: settings.clone(),
            tls,
            driver,
            target,
        })
    }

    fn fail(&self, e: &postgres::Error) -> Error {
        Error::Database {
            target: self.target.clone(),
            message: error_text(e),
        }
    }

    /// `SELECT "id"::text, "code" FROM "schema"."table" WHERE "id"::text = ANY($1)`.
    pub fn query(&self) -> String {
        let s = &self.settings;
        let id = quote_ident(&s.id_column);
        format!(
            "SELECT {id}::text, {} FROM {}.{} WHERE {id}::text = ANY($1)",
            quote_ident(&s.code_column),
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
        &mut self,
        keys: &[&str],
        max_bytes: u64,
        _diagnostics: &mut Diagnostics,
    ) -> Result<HashMap<String, Stored>> {
        let tls = connector(&self.tls).map_err(|message| Error::Database {
            target: self.target.clone(),
            message,
        })?;
        let mut client = self.driver.connect(tls).map_err(|e| self.fail(&e))?;
        let mut tx = client
            .build_transaction()
            .read_only(true)
            .start()
            .map_err(|e| self.fail(&e))?;
        // SET LOCAL ends with the transaction; a pooler never carries it to another client.
        tx.batch_execute(&format!(
            "SET LOCAL statement_timeout = {}",
            self.settings.statement_timeout_secs.saturating_mul(1000)
        ))
        .map_err(|e| self.fail(&e))?;
        let statement = tx.prepare(&self.query()).map_err(|e| self.fail(&e))?;
        let mut out = HashMap::with_capacity(keys.len());
        for batch in keys.chunks(self.settings.batch_size) {
            let ids: Vec<&str> = batch.to_vec();
            let mut rows = tx
                .query_raw(&statement, [&ids as &(dyn ToSql + Sync)])
                .map_err(|e| self.fail(&e))?;
            while let Some(row) = rows.next().map_err(|e| self.fail(&e))? {
                let id: String = row.try_get(0).map_err(|e| self.fail(&e))?;
                let code: Option<String> = row.try_get(1).map_err(|_| Error::Database {
                    target: self.target.clone(),
                    message: format!(
                        "column {} is not a text column",
                        quote_ident(&self.settings.code_column)
                    ),
                })?;
                // NULL stays absent, so the override rules apply; a duplicate id keeps its first code.
                if let Some(code) = code {
                    let stored = if code.len() as u64 > max_bytes {
                        Stored::TooLarge(code.len() as u64)
                    } else {
                        Stored::Bytes(code.into_bytes())
                    };
                    out.entry(id).or_insert(stored);
                }
            }
        }
        tx.commit().map_err(|e| self.fail(&e))?;
        Ok(out)
    }
}

/// `"name"` with embedded quotes doubled: an identifier, whatever it contains.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `postgres://user@host:port/dbname`, never the password.
fn describe(config: &postgres::Config) -> String {
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().or(config.get_user()).unwrap_or("");
    format!("postgres://{user}{host}:{port}/{db}")
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
            "SELECT \"id\"::text, \"tsx_code\" FROM \"public\".\"t\"\"; DROP TABLE x; --\" WHERE \"id\"::text = ANY($1)"
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
