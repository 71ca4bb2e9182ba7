//! How to run a coordinator, and every default in one place: the binary's flags, the GUI's
//! "host a coordinator" and the benchmarks all start from [`CoordinatorConfig::new`].
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;

use lanchat_net::discovery::DiscoveryConfig;

use crate::hub;
use crate::throttle::TokenBucket;

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "lanchat.db";

/// How to run a coordinator.
#[derive(Debug, Clone)]
pub struct CoordinatorConfig {
    /// Where the database and the identity live.
    pub data_dir: PathBuf,
    /// QUIC address to listen on.
    pub listen: SocketAddr,
    /// Name shown to clients.
    pub name: String,
    /// Multicast discovery; `None` runs without announcing (clients need the address).
    pub discovery: Option<DiscoveryConfig>,
    /// Largest file that may be shared into a conversation.
    pub max_share_bytes: u64,
    /// Messages per second one session may post.
    pub message_rate: u32,
}

impl CoordinatorConfig {
    /// The fixed default QUIC port, so an office firewall can be opened for it.
    pub const DEFAULT_PORT: u16 = 7117;
    /// The default QUIC address: every interface, the default port.
    pub const DEFAULT_LISTEN: SocketAddr =
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, Self::DEFAULT_PORT));
    /// Messages per second one session may post, by default (bursts of three seconds' worth).
    pub const DEFAULT_MESSAGE_RATE: u32 = TokenBucket::MESSAGES_PER_SECOND;
    /// Largest shared file by default, in MiB (the unit of the `--max-share-mib` flag).
    pub const DEFAULT_MAX_SHARE_MIB: u64 = hub::DEFAULT_MAX_SHARE_MIB;

    /// The defaults, with the data in `data_dir`: the default address and port, the host's
    /// name, the default limits, and no multicast discovery (a caller that wants to be found
    /// sets [`CoordinatorConfig::discovery`]; tests and benches never announce by accident).
    pub fn new(data_dir: PathBuf) -> Self {
        CoordinatorConfig {
            data_dir,
            listen: Self::DEFAULT_LISTEN,
            name: host_name(),
            discovery: None,
            max_share_bytes: mib(Self::DEFAULT_MAX_SHARE_MIB),
            message_rate: Self::DEFAULT_MESSAGE_RATE,
        }
    }

    /// Sets the largest shared file, in MiB.
    pub fn with_max_share_mib(mut self, max_share_mib: u64) -> Self {
        self.max_share_bytes = mib(max_share_mib);
        self
    }
}

fn mib(n: u64) -> u64 {
    n.saturating_mul(1024 * 1024)
}

/// This machine's name (from `/etc/hostname`), or `lanchat` where there is none: what a
/// coordinator announces unless told otherwise.
pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "lanchat".into())
}
