//! TLS 1.3 for every connection: the coordinator's self-signed identity, and clients that
//! accept exactly one certificate — the one whose BLAKE3 fingerprint they pinned.
//!
//! There is no certificate authority on an office LAN, so names in certificates mean nothing;
//! what is checked is the fingerprint (compared in [`PinnedServerVerifier`]) and, as always,
//! the handshake signature made with the certificate's key (delegated to rustls).
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::fingerprint::{Fingerprint, Pin};
use crate::protocol::ALPN;

/// Why TLS material could not be made, read or used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Reading or writing the key files failed.
    #[error("cannot access identity file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Certificate generation failed.
    #[error("cannot generate a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("TLS configuration refused: {0}")]
    Rustls(#[from] rustls::Error),
    /// quinn refused the rustls configuration.
    #[error("QUIC crypto configuration refused: {0}")]
    Quic(String),
}

/// A certificate and its private key.
#[derive(Debug)]
pub struct Identity {
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

const CERT_FILE: &str = "identity-cert.der";
const KEY_FILE: &str = "identity-key.der";

impl Identity {
    /// A fresh self-signed certificate.
    pub fn generate() -> Result<Self, TlsError> {
        let made = rcgen::generate_simple_self_signed(vec!["lanchat".to_string()])?;
        Ok(Identity {
            cert: made.cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()),
        })
    }

    /// Loads the identity kept in `dir`, or makes one and keeps it there (key readable by the
    /// owner only), so the fingerprint stays the same across restarts.
    pub fn load_or_create(dir: &Path) -> Result<Self, TlsError> {
        if let Some(identity) = Self::load(dir)? {
            return Ok(identity);
        }
        let identity = Self::generate()?;
        identity.save(dir)?;
        Ok(identity)
    }

    /// The identity kept in `dir`, if there is one.
    pub fn load(dir: &Path) -> Result<Option<Self>, TlsError> {
        let cert_path = dir.join(CERT_FILE);
        let key_path = dir.join(KEY_FILE);
        if !(cert_path.exists() && key_path.exists()) {
            return Ok(None);
        }
        let cert = std::fs::read(&cert_path).map_err(io_error(&cert_path))?;
        let key = std::fs::read(&key_path).map_err(io_error(&key_path))?;
        Ok(Some(Identity {
            cert: CertificateDer::from(cert),
            key: PrivatePkcs8KeyDer::from(key),
        }))
    }

    /// Keeps this identity in `dir`, replacing the one there: each file is written beside its
    /// place and renamed over it, so a crash leaves a whole file, old or new. The folder and
    /// the files are the owner's only (see [`crate::private`]).
    pub fn save(&self, dir: &Path) -> Result<(), TlsError> {
        crate::private::dir(dir).map_err(io_error(dir))?;
        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);
        replace(&key_path, self.key.secret_pkcs8_der()).map_err(io_error(&key_path))?;
        replace(&cert_path, self.cert.as_ref()).map_err(io_error(&cert_path))
    }

    /// BLAKE3 of the certificate.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_cert(&self.cert)
    }

    /// The certificate (DER).
    pub fn cert_der(&self) -> &[u8] {
        self.cert.as_ref()
    }

    /// The private key (PKCS#8 DER); for signing a key rollover.
    pub fn key_der(&self) -> &[u8] {
        self.key.secret_pkcs8_der()
    }
}

/// Keeps a secret file (readable by its owner only), written beside its place and renamed over
/// it, as the identity's key is: the coordinator's OPAQUE setup uses it too.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace(path, bytes)
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> TlsError {
    let path = path.display().to_string();
    move |source| TlsError::Io { path, source }
}

/// Writes `bytes` next to `path` (readable by the owner only, on disk before it returns) and
/// renames the result over it.
fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    crate::private::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

mod lazy_keys;

/// ring's provider with its suites' keys expanded only when first used (see [`lazy_keys`]).
fn provider() -> Arc<CryptoProvider> {
    static SUITES: OnceLock<Vec<rustls::SupportedCipherSuite>> = OnceLock::new();
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = SUITES
        .get_or_init(|| lazy_keys::wrap(&provider.cipher_suites))
        .clone();
    Arc::new(provider)
}

/// Environment variable capping the QUIC datagram (UDP payload) size, in bytes. Unset: up to
/// [`LAN_MAX_UDP_PAYLOAD`], found by MTU discovery. `1472` is what a standard 1500-byte
/// Ethernet MTU carries over IPv4 (1500 − 20 IP − 8 UDP); it is read when an endpoint or a
/// connection configuration is made, and must be the same on both ends of a connection to
/// hold in both directions (each end probes only up to what the other advertises).
pub const MAX_UDP_PAYLOAD_ENV: &str = "LANCHAT_MAX_UDP_PAYLOAD";

/// Largest QUIC datagram MTU discovery looks for when [`MAX_UDP_PAYLOAD_ENV`] is unset.
///
/// The datagram size is what sets QUIC's CPU cost per byte (each datagram is encrypted, sent,
/// received, decrypted and acknowledged on its own), so on a path that carries big datagrams
/// (loopback, jumbo-frame LANs) bigger is much cheaper. Discovery starts from 1200 and keeps
/// only sizes that got through, so on a 1500-byte LAN it settles at ~1472 and nothing breaks.
/// Not higher: quinn sends up to ~10 datagrams per GSO batch, which must fit in 64 KiB; above
/// ~6500 bytes throughput collapses on loopback.
pub const LAN_MAX_UDP_PAYLOAD: u16 = 6000;

/// Socket buffer asked for on every QUIC UDP socket (each way). Bursts of datagrams that
/// arrive while the receiving thread is busy wait here instead of being dropped; the kernel
/// caps it at `net.core.rmem_max`/`wmem_max` (often 208 KiB, raise to 4 MiB for full speed).
pub const SOCKET_BUFFER: usize = 4 * 1024 * 1024;

/// Receive window of one stream: how far a sender may run ahead of the reader of a file.
/// 8 ms at 4 Gbit/s — well over a LAN's bandwidth × round trip.
pub const STREAM_WINDOW: u32 = 4 * 1024 * 1024;
/// Receive window of a whole connection (all its streams together): the most a peer can make
/// us buffer for it.
pub const CONNECTION_WINDOW: u32 = 16 * 1024 * 1024;
/// Bidirectional streams a peer may have open at once (it may open no unidirectional ones).
pub const MAX_STREAMS: u32 = 8;
/// Unacknowledged bytes we keep per connection for retransmission.
pub const SEND_WINDOW: u64 = 16 * 1024 * 1024;

/// Largest QUIC datagram the coordinator sends when [`MAX_UDP_PAYLOAD_ENV`] is unset: what a
/// standard 1500-byte Ethernet frame carries. It still accepts datagrams up to
/// [`LAN_MAX_UDP_PAYLOAD`] from clients.
///
/// Why lower than [`LAN_MAX_UDP_PAYLOAD`]: quinn keeps, for every connection, a send buffer as
/// large as the biggest datagram it ever built, and MTU discovery builds probes up to the
/// limit even on a LAN where they are lost. For a coordinator holding thousands of mostly
/// idle clients that was 5 KB per client (measured at 10,000 idle clients). Its chat traffic
/// is small frames, and relayed transfers, which it forwards in smaller datagrams but still
/// receives in big ones, measured the same within noise on loopback (1 GiB: 186 MB/s with
/// the cap, 167 MB/s without, same session). Direct transfers between clients keep the bigger
/// limit both ways.
pub const COORDINATOR_MAX_UDP_PAYLOAD: u16 = 1472;

/// The datagram size limit in force: [`MAX_UDP_PAYLOAD_ENV`] if set and valid, else
/// [`LAN_MAX_UDP_PAYLOAD`]. Clamped to what QUIC allows (1200..=65527).
pub fn max_udp_payload() -> u16 {
    udp_payload_or(LAN_MAX_UDP_PAYLOAD)
}

/// The largest datagram the coordinator sends: [`MAX_UDP_PAYLOAD_ENV`] if set and valid, else
/// [`COORDINATOR_MAX_UDP_PAYLOAD`].
pub fn coordinator_max_udp_payload() -> u16 {
    udp_payload_or(COORDINATOR_MAX_UDP_PAYLOAD)
}

fn udp_payload_or(default: u16) -> u16 {
    std::env::var(MAX_UDP_PAYLOAD_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u16>().ok())
        .unwrap_or(default)
        .clamp(1200, 65527)
}

/// QUIC transport settings for a LAN: dead peers are noticed within seconds so clients
/// reconnect quickly, a peer cannot open streams without bound, MTU discovery looks for
/// datagrams up to `max_sent_payload`, and the flow-control windows are bounded (so is the
/// memory a connection may take: at most [`CONNECTION_WINDOW`] received and not yet read,
/// [`SEND_WINDOW`] sent and not yet acknowledged).
fn transport(max_sent_payload: u16) -> Arc<quinn::TransportConfig> {
    let mut t = quinn::TransportConfig::default();
    t.keep_alive_interval(Some(Duration::from_secs(3)));
    t.max_idle_timeout(Some(
        quinn::IdleTimeout::try_from(Duration::from_secs(10)).expect("10 s is a valid timeout"),
    ));
    // Eight at a time: more transfers than that wait for a free stream instead of failing.
    // Each allowed stream costs memory in every connection whether used or not (quinn
    // prepares its table entries up front): 16 each way cost 0.8 KB more per client. Nothing
    // in lanchat uses unidirectional streams, so a peer may open none (0.3 KB per client).
    t.max_concurrent_bidi_streams(MAX_STREAMS.into());
    t.max_concurrent_uni_streams(0u32.into());
    let mut mtud = quinn::MtuDiscoveryConfig::default();
    mtud.upper_bound(max_sent_payload);
    t.mtu_discovery_config(Some(mtud));
    t.stream_receive_window(STREAM_WINDOW.into());
    t.receive_window(CONNECTION_WINDOW.into());
    t.send_window(SEND_WINDOW);
    Arc::new(t)
}

/// Endpoint settings: advertise [`max_udp_payload`] to peers (they probe no higher than what
/// we advertise, so both ends must raise it).
pub fn endpoint_config() -> quinn::EndpointConfig {
    let mut config = quinn::EndpointConfig::default();
    config
        .max_udp_payload_size(max_udp_payload())
        .expect("max_udp_payload is clamped to the valid range");
    config
}

/// A QUIC endpoint on `addr` with [`endpoint_config`] and [`SOCKET_BUFFER`]-sized socket
/// buffers; a server too if `server` is given. Needs a tokio runtime.
pub fn endpoint(
    addr: std::net::SocketAddr,
    server: Option<quinn::ServerConfig>,
) -> std::io::Result<quinn::Endpoint> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // Best effort: the kernel may cap these, which costs speed, not correctness.
    let _ = socket.set_recv_buffer_size(SOCKET_BUFFER);
    let _ = socket.set_send_buffer_size(SOCKET_BUFFER);
    socket.bind(&addr.into())?;
    let runtime =
        quinn::default_runtime().ok_or_else(|| std::io::Error::other("no async runtime found"))?;
    quinn::Endpoint::new(endpoint_config(), server, socket.into(), runtime)
}

/// Server configuration presenting `identity`, TLS 1.3 only, ALPN `lanchat/1`.
pub fn server_config(identity: &Identity) -> Result<quinn::ServerConfig, TlsError> {
    server_config_for(identity, max_udp_payload())
}

/// The coordinator's server configuration: [`server_config`], sending datagrams of at most
/// [`coordinator_max_udp_payload`].
pub fn coordinator_server_config(identity: &Identity) -> Result<quinn::ServerConfig, TlsError> {
    server_config_for(identity, coordinator_max_udp_payload())
}

fn server_config_for(
    identity: &Identity,
    max_sent_payload: u16,
) -> Result<quinn::ServerConfig, TlsError> {
    let mut tls = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(
            vec![identity.cert.clone()],
            PrivateKeyDer::Pkcs8(identity.key.clone_key()),
        )?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls)
        .map_err(|e| TlsError::Quic(e.to_string()))?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    config.transport_config(transport(max_sent_payload));
    Ok(config)
}

/// Client configuration that accepts only a server whose certificate matches `pin`.
pub fn client_config(pin: Pin) -> Result<quinn::ClientConfig, TlsError> {
    let provider = provider();
    let verifier = PinnedServerVerifier {
        pin,
        provider: provider.clone(),
    };
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls)
        .map_err(|e| TlsError::Quic(e.to_string()))?;
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    config.transport_config(transport(max_udp_payload()));
    Ok(config)
}

/// Accepts the server certificate only if its fingerprint matches the pin.
#[derive(Debug)]
pub struct PinnedServerVerifier {
    pin: Pin,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = Fingerprint::of_cert(end_entity);
        if self.pin.matches(&got) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "coordinator certificate fingerprint {got} does not match the pinned {}",
                self.pin
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        // Only TLS 1.3 is offered; a TLS 1.2 signature here means something is wrong.
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::Tls12NotOffered,
        ))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real QUIC on loopback with this module's configurations: the pinned handshake, then
    /// traffic across key updates started from either end. The next generation of packet keys
    /// is built lazily (see [`lazy_keys`]), only when an update needs it.
    #[tokio::test]
    async fn traffic_survives_key_updates_from_either_end() {
        let identity = Identity::generate().unwrap();
        let loopback = "127.0.0.1:0".parse().unwrap();
        let server = endpoint(loopback, Some(server_config(&identity).unwrap())).unwrap();
        let addr = server.local_addr().unwrap();
        const ROUNDS: u8 = 4;
        let echo = tokio::spawn(async move {
            let conn = server.accept().await.unwrap().await.unwrap();
            let (mut send, mut recv) = conn.accept_bi().await.unwrap();
            for round in 0..ROUNDS {
                let mut buf = [0u8; 64];
                recv.read_exact(&mut buf).await.unwrap();
                if round % 2 == 1 {
                    conn.force_key_update();
                }
                send.write_all(&buf).await.unwrap();
            }
            send.finish().unwrap();
            conn.closed().await;
        });

        let client = endpoint(loopback, None).unwrap();
        let config = client_config(Pin::exact(identity.fingerprint())).unwrap();
        let conn = client
            .connect_with(config, addr, "lanchat")
            .unwrap()
            .await
            .unwrap();
        let (mut send, mut recv) = conn.open_bi().await.unwrap();
        for round in 0..ROUNDS {
            if round % 2 == 0 && round > 0 {
                conn.force_key_update();
            }
            send.write_all(&[round; 64]).await.unwrap();
            let mut buf = [0u8; 64];
            recv.read_exact(&mut buf).await.unwrap();
            assert_eq!(buf, [round; 64], "round {round}");
        }
        assert!(recv.read_to_end(16).await.unwrap().is_empty());
        conn.close(0u32.into(), b"done");
        echo.await.unwrap();
    }
}
