//! HTTPS and WSS: TLS with rustls, from certificate and key files or from a self-signed certificate made at
//! start for LAN use (its SHA-256 fingerprint is shown so users can check what their browser warns about).

use std::path::PathBuf;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// How the server does TLS. The default is plain HTTP (for `localhost`, or behind a TLS reverse proxy).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain file.
    pub cert: Option<PathBuf>,
    /// PEM private key file.
    pub key: Option<PathBuf>,
    /// Make a self-signed certificate at start (for LAN use) when no files are given.
    pub self_signed: bool,
    /// Extra host names or IP addresses the self-signed certificate is valid for (besides localhost,
    /// 127.0.0.1 and ::1).
    pub hostnames: Vec<String>,
}

impl TlsConfig {
    /// Whether TLS is on.
    pub fn enabled(&self) -> bool {
        self.self_signed || self.cert.is_some() || self.key.is_some()
    }
}

/// A ready TLS setup: the acceptor and the certificate's fingerprint.
#[derive(Clone)]
pub struct Tls {
    /// Accepts TLS connections.
    pub acceptor: TlsAcceptor,
    /// SHA-256 of the leaf certificate, as colon-separated hex.
    pub fingerprint: String,
    /// Whether the certificate was made at start.
    pub self_signed: bool,
    /// The DNS names the certificate is valid for (IP addresses are left out: the `Host` check accepts any).
    pub names: Vec<String>,
}

/// TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Only one of `cert` and `key` was given.
    #[error("TLS needs both a certificate file and a key file")]
    Incomplete,
    /// A file could not be read or parsed.
    #[error("cannot load {path}: {reason}")]
    Load {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The self-signed certificate could not be made.
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(String),
    /// rustls refused the certificate and key.
    #[error("invalid certificate or key: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Sets up TLS as configured; `None` when TLS is off.
pub fn prepare(config: &TlsConfig) -> Result<Option<Tls>, TlsError> {
    let (chain, key, self_signed) = match (&config.cert, &config.key) {
        (Some(cert), Some(key)) => (load_chain(cert)?, load_key(key)?, false),
        (None, None) if config.self_signed => {
            let (chain, key) = generate(&config.hostnames)?;
            (chain, key, true)
        }
        (None, None) => return Ok(None),
        _ => return Err(TlsError::Incomplete),
    };
    let fingerprint = chain.first().map(|leaf| fingerprint(leaf)).unwrap_or_default();
    let names = chain.first().map(dns_names).unwrap_or_default();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Tls { acceptor: TlsAcceptor::from(Arc::new(server)), fingerprint, self_signed, names }))
}

fn load_chain(path: &PathBuf) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path).map_err(|e| load_error(path, e))?.collect();
    let chain = chain.map_err(|e| load_error(path, e))?;
    if chain.is_empty() {
        return Err(load_error(path, "no certificate in the file"));
    }
    Ok(chain)
}

fn load_key(path: &PathBuf) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| load_error(path, e))
}

fn load_error(path: &std::path::Path, reason: impl std::fmt::Display) -> TlsError {
    TlsError::Load { path: path.display().to_string(), reason: reason.to_string() }
}

fn generate(extra: &[String]) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    names.extend(extra.iter().cloned());
    let certified = rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::Generate(e.to_string()))?;
    let key =
        PrivateKeyDer::try_from(certified.signing_key.serialize_der()).map_err(|e| TlsError::Generate(e.to_owned()))?;
    Ok((vec![certified.cert.der().clone()], key))
}

/// The DNS names of a certificate's subject alternative names (none if it cannot be parsed; rustls has
/// already accepted it, and a server without names still answers to IP addresses and localhost).
fn dns_names(der: &CertificateDer<'_>) -> Vec<String> {
    match webpki::EndEntityCert::try_from(der) {
        Ok(cert) => cert.valid_dns_names().map(str::to_owned).collect(),
        Err(_) => Vec::new(),
    }
}

/// SHA-256 of a DER certificate as colon-separated upper-case hex, as browsers show it.
fn fingerprint(der: &CertificateDer<'_>) -> String {
    let digest = Sha256::digest(der.as_ref());
    digest.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}
