//! TLS for the PostgreSQL source, with libpq's `sslmode` semantics, on rustls.
//!
//! Takes the connection string; gives it back without the `sslmode` and `sslrootcert` options (which
//! the driver does not understand beyond `require`), the driver-level SSL mode, and a rustls
//! connector that checks what the mode asks for:
//!
//! | sslmode | encryption | certificate chain | host name |
//! |---|---|---|---|
//! | `disable` | no | – | – |
//! | `prefer` (libpq's default) | if the server offers it | not checked | not checked |
//! | `require` | yes | checked only if `sslrootcert` is given (as libpq does) | not checked |
//! | `verify-ca` | yes | checked against `sslrootcert`, else the public web roots | not checked |
//! | `verify-full` | yes | checked against `sslrootcert`, else the public web roots | checked |
//!
//! Hosted databases with publicly trusted certificates therefore work with `verify-full` and no
//! extra files; a private CA is named with `sslrootcert=/path/ca.pem`.
//!
//! Long because rustls asks for each certificate policy as a full verifier (three here), and libpq's
//! string syntax (tokenizer, redaction) lives beside them with its hostile-input tests.

use std::path::PathBuf;
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use postgres::config::SslMode as DriverSslMode;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// The connection string split into what the driver parses and what TLS needs.
#[derive(Debug)]
pub struct TlsOptions {
    /// The connection string without `sslmode` / `sslrootcert`. Holds the password: never print it.
    pub driver_string: String,
    pub mode: SslMode,
    pub root_cert: Option<PathBuf>,
}

/// Take `sslmode` and `sslrootcert` out of a libpq URL or key=value string. Errors never quote
/// the string (it may hold a password).
pub fn split_options(conn: &str) -> Result<TlsOptions, String> {
    let mut mode = None;
    let mut root_cert = None;
    let mut take = |key: &str, value: &str| -> Result<bool, String> {
        match key {
            "sslmode" => {
                mode = Some(match value {
                    "disable" => SslMode::Disable,
                    "allow" | "prefer" => SslMode::Prefer,
                    "require" => SslMode::Require,
                    "verify-ca" => SslMode::VerifyCa,
                    "verify-full" => SslMode::VerifyFull,
                    other => return Err(format!("unknown sslmode {other:?} (expected disable, prefer, require, verify-ca or verify-full)")),
                });
                Ok(true)
            }
            "sslrootcert" => {
                root_cert = Some(PathBuf::from(value));
                Ok(true)
            }
            _ => Ok(false),
        }
    };
    let driver_string = if is_url(conn) {
        match conn.split_once('?') {
            None => conn.to_string(),
            Some((base, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&').filter(|p| !p.is_empty()) {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    let value = percent_decode_str(value)
                        .decode_utf8()
                        .map_err(|_| "connection string option is not UTF-8".to_string())?;
                    if !take(key, &value)? {
                        kept.push(pair);
                    }
                }
                if kept.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
        }
    } else {
        let mut kept = Vec::new();
        for (key, value) in keyword_pairs(conn)? {
            if !take(&key, &value)? {
                kept.push(format!("{key}={}", quote(&value)));
            }
        }
        kept.join(" ")
    };
    Ok(TlsOptions {
        driver_string,
        mode: mode.unwrap_or(SslMode::Prefer),
        root_cert,
    })
}

/// Whether `conn` is a URL (`postgres://` or `postgresql://`) rather than `key=value` pairs.
pub fn is_url(conn: &str) -> bool {
    conn.starts_with("postgres://") || conn.starts_with("postgresql://")
}

/// libpq's `key=value` connection string, tokenized as libpq does: spaces around `=` are allowed,
/// a value may be single-quoted (and then hold spaces), and `\` escapes the next character inside
/// or outside quotes. Errors never quote the string (it may hold a password).
pub fn keyword_pairs(conn: &str) -> Result<Vec<(String, String)>, String> {
    let mut chars = conn.chars().peekable();
    let mut pairs = Vec::new();
    let skip_ws = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
    };
    loop {
        skip_ws(&mut chars);
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        skip_ws(&mut chars);
        if chars.next() != Some('=') {
            return Err(format!("expected \"=\" after {key:?}"));
        }
        skip_ws(&mut chars);
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(format!("unterminated quoted value for {key:?}")),
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

/// A value quoted for a `key=value` string (what [`keyword_pairs`] reads back).
fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// `postgres://user@host:port/dbname` for messages: never the password, whatever the string holds.
/// For a URL everything between `//` and the last `@` is credentials (so a password with an
/// unencoded `@` cannot leak as the host), and only the user name before the first `:` is kept; for
/// `key=value` pairs only user, host, port and dbname are read.
pub fn safe_target(conn: &str) -> String {
    if is_url(conn) {
        let rest = conn.split_once("//").map_or("", |(_, r)| r);
        let (user, server) = match rest.rfind('@') {
            Some(at) => {
                let credentials = &rest[..at];
                let user = credentials.split(':').next().unwrap_or("");
                (Some(user), &rest[at + 1..])
            }
            None => (None, rest),
        };
        let server = server.split(['?', '#']).next().unwrap_or("");
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        return match user.filter(|u| !u.is_empty()) {
            Some(user) => format!("postgres://{}@{}", decode(user), decode(server)),
            None => format!("postgres://{}", decode(server)),
        };
    }
    let pairs = keyword_pairs(conn).unwrap_or_default();
    let get = |key: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let user = get("user").map(|u| format!("{u}@")).unwrap_or_default();
    let host = get("host").unwrap_or("localhost");
    let port = get("port").unwrap_or("5432");
    let db = get("dbname").or(get("user")).unwrap_or("");
    format!("postgres://{user}{host}:{port}/{db}")
}

impl SslMode {
    /// What the driver is told: it knows only whether TLS is off, optional or required.
    pub fn driver_mode(self) -> DriverSslMode {
        match self {
            SslMode::Disable => DriverSslMode::Disable,
            SslMode::Prefer => DriverSslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => DriverSslMode::Require,
        }
    }
}

/// The rustls connector for `options`.
pub fn connector(options: &TlsOptions) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    let verify_chain = matches!(options.mode, SslMode::VerifyCa | SslMode::VerifyFull)
        || (options.mode == SslMode::Require && options.root_cert.is_some());
    let config = if verify_chain {
        let roots = Arc::new(root_store(options.root_cert.as_ref())?);
        let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
            .build()
            .map_err(|e| format!("TLS setup: {e}"))?;
        if options.mode == SslMode::VerifyFull {
            builder.with_webpki_verifier(webpki).with_no_client_auth()
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
                .with_no_client_auth()
        }
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth()
    };
    Ok(MakeRustlsConnect::new(config))
}

fn root_store(root_cert: Option<&PathBuf>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            for cert in certs {
                let cert = cert.map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            }
            if roots.is_empty() {
                return Err(format!(
                    "sslrootcert {}: no certificates in the file",
                    path.display()
                ));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(roots)
}

/// `prefer` / `require`: encrypt, check the handshake signatures, trust any certificate.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the host name is not compared.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod keyword_tests {
    use super::*;

    #[test]
    fn libpq_key_value_strings_tokenize_like_libpq() {
        let pairs = keyword_pairs(
            "host=db.example.com  sslmode = require password='a b\\'c\\\\d' dbname=x\\ y",
        )
        .unwrap();
        assert_eq!(
            pairs,
            [
                ("host".to_string(), "db.example.com".to_string()),
                ("sslmode".to_string(), "require".to_string()),
                ("password".to_string(), "a b'c\\d".to_string()),
                ("dbname".to_string(), "x y".to_string()),
            ]
        );
        assert!(keyword_pairs("host").is_err());
        assert!(keyword_pairs("password='open")
            .unwrap_err()
            .contains("unterminated"));
        let options = split_options("host=h sslmode = verify-full password='p w'").unwrap();
        assert_eq!(options.mode, SslMode::VerifyFull);
        assert_eq!(options.driver_string, "host='h' password='p w'");
    }

    #[test]
    fn no_password_survives_into_the_target_whatever_the_url() {
        let hostile = [
            (
                "postgresql://reader:p@ss@db.example.com:5432/app",
                "postgres://reader@db.example.com:5432/app",
            ),
            (
                "postgres://reader:p@ss:w@rd@h/db?sslmode=require",
                "postgres://reader@h/db",
            ),
            ("postgresql://:s3cr3t@h:1/db", "postgres://h:1/db"),
            ("postgresql://u:pa%40ss@h/db", "postgres://u@h/db"),
            ("postgresql://h/db?password=s3cr3t", "postgres://h/db"),
            ("user=u password=s3cr3t host=h", "postgres://u@h:5432/u"),
            (
                "user=u password='s3 cr3t' host = h dbname=d",
                "postgres://u@h:5432/d",
            ),
        ];
        for (conn, target) in hostile {
            let got = safe_target(conn);
            assert_eq!(got, target, "{conn}");
            for secret in ["ss", "s3cr3t", "w@rd", "pa%40ss", "cr3t"] {
                if conn.contains(secret) && !target.contains(secret) {
                    assert!(!got.contains(secret), "{conn} leaks {secret} in {got}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_options_are_taken_out_and_decoded() {
        let o = split_options("postgresql://u:p@h:5432/db?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&application_name=x").unwrap();
        assert_eq!(
            o.driver_string,
            "postgresql://u:p@h:5432/db?application_name=x"
        );
        assert_eq!(o.mode, SslMode::VerifyFull);
        assert_eq!(o.root_cert, Some(PathBuf::from("/tmp/ca.pem")));
        let o = split_options("postgres://h/db?sslmode=require").unwrap();
        assert_eq!(o.driver_string, "postgres://h/db");
        assert_eq!(o.mode, SslMode::Require);
    }

    #[test]
    fn key_value_strings_work_and_prefer_is_the_default() {
        let o = split_options("host=h dbname=d sslmode=disable user=u").unwrap();
        assert_eq!(o.driver_string, "host='h' dbname='d' user='u'");
        assert_eq!(o.mode, SslMode::Disable);
        assert_eq!(split_options("host=h").unwrap().mode, SslMode::Prefer);
    }

    #[test]
    fn errors_do_not_quote_the_connection_string() {
        let err = split_options("postgresql://u:hunter2@h/db?sslmode=sometimes").unwrap_err();
        assert!(!err.contains("hunter2"));
        assert!(err.contains("unknown sslmode \"sometimes\""));
    }
}
