//! Whom the client believes on `https://`: [`Trust`] is a ready rustls client configuration, built once
//! (reading the system's roots costs a few milliseconds) and shared by every request that needs it.
//!
//! - [`Trust::system`]: the machine's certificate authorities (Debian's `ca-certificates`, read by
//!   `rustls-native-certs`), plus any extra roots from a PEM file (an organisation's own CA).
//! - [`Trust::pinned`]: exactly one certificate, by the SHA-256 fingerprint ruang prints for a self-signed
//!   certificate; name and dates are not checked (that is what pinning replaces), the handshake signature is.
//! - [`Trust::default`]: plain `http://` only; an `https://` URL is refused before connecting.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};
use tokio_rustls::rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use tokio_rustls::rustls::crypto::{WebPkiSupportedAlgorithms, ring};
use tokio_rustls::rustls::{self, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::ClientError;

/// The TLS side of the client. Cheap to clone.
#[derive(Clone, Default)]
pub struct Trust {
    config: Option<Arc<ClientConfig>>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.config.is_some() { "Trust(https)" } else { "Trust(http only)" })
    }
}

impl Trust {
    /// The system's roots and those of `extra_pem` (a PEM file of CA certificates), if given. Roots the
    /// system store holds but rustls cannot use are skipped; an unreadable `extra_pem` is an error.
    pub fn system(extra_pem: Option<&Path>) -> Result<Trust, ClientError> {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for error in &native.errors {
            tracing::debug!(%error, "a system certificate could not be read");
        }
        let (added, skipped) = roots.add_parsable_certificates(native.certs);
        tracing::debug!(added, skipped, "system certificate authorities loaded");
        if let Some(path) = extra_pem {
            for cert in read_pem(path)? {
                roots.add(cert).map_err(|e| ClientError::Tls(format!("{}: {e}", path.display())))?;
            }
        }
        let config = builder()?.with_root_certificates(roots).with_no_client_auth();
        Ok(Trust::from(config))
    }

    /// Exactly the certificate whose SHA-256 is `fingerprint` (64 hex digits, colons allowed).
    pub fn pinned(fingerprint: &str) -> Result<Trust, ClientError> {
        let hex: String = fingerprint.chars().filter(|c| *c != ':').collect::<String>().to_ascii_lowercase();
        let bad = || ClientError::Tls(format!("{fingerprint:?} is not a SHA-256 fingerprint (64 hex digits)"));
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let mut pin = [0u8; 32];
        for (i, byte) in pin.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16).map_err(|_| bad())?;
        }
        let algorithms = ring::default_provider().signature_verification_algorithms;
        let verifier = Arc::new(Pinned { pin, algorithms });
        let config = builder()?.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth();
        Ok(Trust::from(config))
    }

    /// The rustls configuration for `https://` (or `wss://`), if this trust has one.
    pub fn client_config(&self) -> Option<Arc<ClientConfig>> {
        self.config.clone()
    }
}

impl From<ClientConfig> for Trust {
    fn from(mut config: ClientConfig) -> Self {
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Trust { config: Some(Arc::new(config)) }
    }
}

/// Reads every certificate of a PEM file.
pub fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| ClientError::Tls(format!("{}: {e}", path.display())))?
        .collect();
    let certs = certs.map_err(|e| ClientError::Tls(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(ClientError::Tls(format!("{}: no certificate in it", path.display())));
    }
    Ok(certs)
}

fn builder() -> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>, ClientError> {
    ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))
}

/// Accepts the one certificate with the pinned SHA-256, and checks the handshake was signed by its key.
#[derive(Debug)]
struct Pinned {
    pin: [u8; 32],
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        match seen == self.pin {
            true => Ok(ServerCertVerified::assertion()),
            false => Err(rustls::Error::General("the certificate is not the pinned one".into())),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_64_hex_digits_with_or_without_colons() {
        let hex = "ab".repeat(32);
        let colons = vec!["AB"; 32].join(":");
        assert!(Trust::pinned(&hex).is_ok());
        assert!(Trust::pinned(&colons).is_ok());
        for bad in ["", "ab", &"zz".repeat(32), &"ab".repeat(33)] {
            assert!(Trust::pinned(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_trust_has_no_tls() {
        assert!(Trust::default().client_config().is_none());
        assert!(Trust::pinned(&"00".repeat(32)).is_ok_and(|t| t.client_config().is_some()));
    }
}
