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

use std::path::PathBuf;
use std::sync::Arc;

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
    let driver_string = if conn.starts_with("postgres://") || conn.starts_with("postgresql://") {
        match conn.split_once('?') {
            None => conn.to_string(),
            Some((base, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&').filter(|p| !p.is_empty()) {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    if !take(key, &percent_decode(value)?)? {
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
        for token in conn.split_whitespace() {
            let (key, value) = token.split_once('=').unwrap_or((token, ""));
            if !take(key.trim(), value.trim_matches('\''))? {
                kept.push(token);
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

fn percent_decode(value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value
                .get(i + 1..i + 3)
                .ok_or("bad percent-encoding in the connection string")?;
            out.push(
                u8::from_str_radix(hex, 16)
                    .map_err(|_| "bad percent-encoding in the connection string")?,
            );
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "connection string option is not UTF-8".to_string())
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
        assert_eq!(o.driver_string, "host=h dbname=d user=u");
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
