//! How to run a coordinator, and every default in one place: the binary's flags, the GUI's
//! "host a coordinator" and the benchmarks all start from [`CoordinatorConfig::new`].
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::time::Duration;

use lanchat_net::discovery::DiscoveryConfig;

use crate::admission;
use crate::hub::{self, ShareLimits};
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
    /// Bytes of shared files one user may have stored (distinct content, uploads included).
    pub user_quota_bytes: u64,
    /// Bytes of shared files the coordinator keeps for everyone together.
    pub total_quota_bytes: u64,
    /// Messages per second one user may post, all their sessions together; faster ones wait
    /// their turn (they are not refused).
    pub message_rate: u32,
    /// A connection must be logged in this long after it opened, or it is closed.
    pub login_timeout: Duration,
    /// Connections one IP address may have open without being logged in.
    pub max_unauthenticated_per_address: usize,
}

impl CoordinatorConfig {
    /// The fixed default QUIC port, so an office firewall can be opened for it.
    pub const DEFAULT_PORT: u16 = 7117;
    /// The default QUIC address: every interface, the default port.
    pub const DEFAULT_LISTEN: SocketAddr =
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, Self::DEFAULT_PORT));
    /// Messages per second one user may post, by default (bursts of three seconds' worth).
    pub const DEFAULT_MESSAGE_RATE: u32 = TokenBucket::MESSAGES_PER_SECOND;
    /// Largest shared file by default, in MiB (the unit of the `--max-share-mib` flag).
    pub const DEFAULT_MAX_SHARE_MIB: u64 = hub::DEFAULT_MAX_SHARE_MIB;
    /// One user's storage quota for shared files by default, in MiB.
    pub const DEFAULT_USER_QUOTA_MIB: u64 = hub::DEFAULT_USER_QUOTA_MIB;
    /// Storage for everyone's shared files by default, in MiB.
    pub const DEFAULT_TOTAL_QUOTA_MIB: u64 = hub::DEFAULT_TOTAL_QUOTA_MIB;
    /// How long a connection may stay without logging in, by default, in seconds. Enough
    /// for a person to type a password; a client reconnects by itself when it is closed.
    pub const DEFAULT_LOGIN_TIMEOUT_SECS: u64 = 30;
    /// Connections one address may have open without being logged in, by default.
    pub const DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS: usize = admission::DEFAULT_MAX_PER_ADDRESS;

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
            user_quota_bytes: mib(Self::DEFAULT_USER_QUOTA_MIB),
            total_quota_bytes: mib(Self::DEFAULT_TOTAL_QUOTA_MIB),
            message_rate: Self::DEFAULT_MESSAGE_RATE,
            login_timeout: Duration::from_secs(Self::DEFAULT_LOGIN_TIMEOUT_SECS),
            max_unauthenticated_per_address: Self::DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS,
        }
    }

    /// The limits of shared files.
    pub fn share_limits(&self) -> ShareLimits {
        ShareLimits {
            max_file: self.max_share_bytes,
            user_quota: self.user_quota_bytes,
            total_quota: self.total_quota_bytes,
        }
    }

    /// Sets the storage quotas for shared files, in MiB: one user's, and everyone's.
    pub fn with_quotas_mib(mut self, user_mib: u64, total_mib: u64) -> Self {
        self.user_quota_bytes = mib(user_mib);
        self.total_quota_bytes = mib(total_mib);
        self
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

/// This machine's name (from `/etc/hostname` on Unix, `COMPUTERNAME` on Windows), or
/// `lanchat` where there is none: what a coordinator announces unless told otherwise.
pub fn host_name() -> String {
    #[cfg(unix)]
    let name = std::fs::read_to_string("/etc/hostname").ok();
    #[cfg(windows)]
    let name = std::env::var("COMPUTERNAME").ok();
    #[cfg(not(any(unix, windows)))]
    let name: Option<String> = None;
    name.map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "lanchat".into())
}
