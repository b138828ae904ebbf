//! The PostgreSQL server's certificate, for `doctor`: subject, issuer and
//! expiry. This connection only reads the certificate (PostgreSQL's
//! SSLRequest, then a TLS handshake) and sends nothing else; whether the
//! certificate is trusted is the store's own connection's decision
//! (`sslmode`, `sslrootcert`), not this one's.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// What the server's certificate says.
#[derive(Debug, Clone)]
pub struct ServerCertificate {
    pub subject: String,
    pub issuer: String,
    pub not_after: chrono::DateTime<chrono::Utc>,
}

/// Warn this many days before the certificate expires.
pub const WARN_DAYS: i64 = 30;

/// Accepts any certificate: it is only read here (see the module's note).
#[derive(Debug)]
struct ReadOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for ReadOnly {
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
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// PostgreSQL's SSLRequest: length 8, code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// The certificate of the server at `host:port`; `None` when it offers no
/// TLS. Blocking: call it from `spawn_blocking`.
pub fn fetch(host: &str, port: u16, timeout: Duration) -> Result<Option<ServerCertificate>, String> {
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("{host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host}: no address"))?;
    let mut sock = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    sock.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    sock.write_all(&SSL_REQUEST).map_err(|e| e.to_string())?;
    let mut answer = [0u8; 1];
    sock.read_exact(&mut answer).map_err(|e| e.to_string())?;
    if answer[0] != b'S' {
        return Ok(None);
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ReadOnly(provider)))
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_owned()).map_err(|e| e.to_string())?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    while conn.is_handshaking() {
        conn.complete_io(&mut sock).map_err(|e| e.to_string())?;
    }
    let der = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .ok_or("the server sent no certificate")?;
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| e.to_string())?;
    let not_after = chrono::DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)
        .ok_or("the certificate's expiry is out of range")?;
    Ok(Some(ServerCertificate {
        subject: crate::sanitize::clean(&cert.subject().to_string()),
        issuer: crate::sanitize::clean(&cert.issuer().to_string()),
        not_after,
    }))
}

/// `1 day`, `12 days`.
pub fn days(n: i64) -> String {
    if n.abs() == 1 {
        format!("{n} day")
    } else {
        format!("{n} days")
    }
}

impl ServerCertificate {
    /// Days until it expires (negative once expired).
    pub fn days_left(&self, now: chrono::DateTime<chrono::Utc>) -> i64 {
        (self.not_after - now).num_days()
    }

    /// `subject CN=…; issuer CN=…; expires YYYY-MM-DD (N days)`.
    pub fn describe(&self, now: chrono::DateTime<chrono::Utc>) -> String {
        format!(
            "subject {}; issuer {}; expires {} ({})",
            self.subject,
            self.issuer,
            self.not_after.format("%Y-%m-%d"),
            days(self.days_left(now))
        )
    }
}
