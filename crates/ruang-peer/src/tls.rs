//! TLS for `wss://` rooms: the system's trusted roots, or one pinned certificate (`--insecure-fingerprint`,
//! the SHA-256 a server with a self-signed certificate prints at start), checked by its SHA-256 alone.
//! rustls with ring, as the server uses.

use std::sync::Arc;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use tokio_rustls::rustls::crypto::{CryptoProvider, ring, verify_tls12_signature, verify_tls13_signature};
use tokio_rustls::rustls::{ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

use crate::PeerError;

/// Which server certificates we accept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Trust {
    /// Certificates the system trusts, for the host's name.
    #[default]
    System,
    /// Exactly the certificate with this SHA-256 (upper-case hex with colons, as the server prints it).
    Fingerprint(String),
}

impl Trust {
    /// A pinned fingerprint from what a person typed: 64 hex digits, any case, colons optional.
    pub fn fingerprint(text: &str) -> Result<Trust, PeerError> {
        let hex: String = text.chars().filter(|c| *c != ':').collect();
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(PeerError::Url(format!("{text}: not a SHA-256 fingerprint (64 hex digits, colons optional)")));
        }
        let upper = hex.to_ascii_uppercase();
        let pairs: Vec<&str> = (0..32).filter_map(|i| upper.get(2 * i..2 * i + 2)).collect();
        Ok(Trust::Fingerprint(pairs.join(":")))
    }
}

/// The TLS handshake on a connected socket, for `host` (a name or an IP address).
pub async fn connect(tcp: TcpStream, host: &str, trust: &Trust) -> Result<TlsStream<TcpStream>, PeerError> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| PeerError::Signaling(format!("TLS: {e}")))?;
    let config = match trust {
        Trust::System => {
            let mut roots = RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(PeerError::Signaling(
                    "TLS: no trusted certificates on this system (or pin the server's with --insecure-fingerprint)"
                        .into(),
                ));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        Trust::Fingerprint(pinned) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned { fingerprint: pinned.clone(), provider }))
            .with_no_client_auth(),
    };
    let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_owned())
        .map_err(|e| PeerError::Url(format!("{host}: {e}")))?;
    TlsConnector::from(Arc::new(config)).connect(name, tcp).await.map_err(|e| {
        let hint = match trust {
            Trust::System => " (a self-signed server? pass --insecure-fingerprint with the fingerprint it printed)",
            Trust::Fingerprint(_) => "",
        };
        PeerError::Signaling(format!("TLS with {host}: {}{hint}", handshake_error(&e)))
    })
}

/// What went wrong in a handshake, in words: our own verifier's reason as it wrote it (rustls would put
/// "unexpected error: " before it), anything else as rustls or the socket says it.
fn handshake_error(err: &std::io::Error) -> String {
    match err.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) {
        Some(Error::General(reason)) => reason.clone(),
        Some(other) => other.to_string(),
        None => err.to_string(),
    }
}

/// Accepts the one certificate whose SHA-256 is pinned (whatever its names and dates, as a person who
/// compared the fingerprint would); the handshake's signatures are still checked.
#[derive(Debug)]
struct Pinned {
    fingerprint: String,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let seen: Vec<String> = Sha256::digest(end_entity.as_ref()).iter().map(|b| format!("{b:02X}")).collect();
        let seen = seen.join(":");
        if seen == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(Error::General(format!("the server's certificate is {seen}, not the pinned {}", self.fingerprint)))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_as_people_type_them() {
        let colons = "AB:".repeat(31) + "CD";
        assert_eq!(Trust::fingerprint(&colons).unwrap(), Trust::Fingerprint(colons.clone()));
        assert_eq!(Trust::fingerprint(&colons.to_lowercase().replace(':', "")).unwrap(), Trust::Fingerprint(colons));
        for bad in ["", "AB:CD", &"G".repeat(64), &"A".repeat(66)] {
            assert!(Trust::fingerprint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_refused_pin_reads_as_our_verifier_wrote_it() {
        let general = std::io::Error::new(std::io::ErrorKind::InvalidData, Error::General("not the pinned one".into()));
        assert_eq!(handshake_error(&general), "not the pinned one");
        let other = std::io::Error::new(std::io::ErrorKind::InvalidData, Error::DecryptError);
        assert_eq!(handshake_error(&other), Error::DecryptError.to_string());
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        assert_eq!(handshake_error(&plain), "reset by peer");
    }
}
