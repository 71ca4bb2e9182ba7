//! Why a coordinator could not start (or its key could not be rolled over).
use std::net::SocketAddr;

use lanchat_net::tls;

/// Why the coordinator could not start.
#[derive(Debug, thiserror::Error)]
pub enum CoordinatorError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error("cannot open the database: {0}")]
    Store(#[from] lanchat_store::StoreError),
    /// The identity could not be loaded or made.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The QUIC socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The OPAQUE setup could not be loaded or made.
    #[error("cannot load or create the OPAQUE setup {path}: {source}")]
    OpaqueSetup {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A thread (the commit thread, a password worker) could not be started.
    #[error("cannot start a thread: {0}")]
    Thread(std::io::Error),
    /// The multicast socket could not be set up.
    #[error("cannot join the multicast group: {0}")]
    Discovery(#[from] lanchat_net::discovery::DiscoveryError),
    /// Another coordinator (or a key rotation) is using the data directory.
    #[error(
        "a coordinator is already running on {path} (stop it first; one data directory serves \
         one coordinator)"
    )]
    InUse {
        /// The data directory.
        path: String,
    },
    /// The key rollover statements could not be read, made or kept.
    #[error("key rollover in {path}: {reason}")]
    Keys {
        /// The file or directory.
        path: String,
        /// What went wrong.
        reason: String,
    },
}
