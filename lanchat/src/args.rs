//! Command-line flags shared by the subcommands.
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use lanchat_coordinator::CoordinatorConfig;
use lanchat_net::beacon::{RealmKey, DEFAULT_REALM};
use lanchat_net::discovery::{DiscoveryConfig, DEFAULT_GROUP, DEFAULT_PORT, DEFAULT_TTL};
use lanchat_net::fingerprint::Pin;
use lanchat_net::invite::Invite;

/// lanchat: an office LAN messenger.
#[derive(Debug, Parser)]
#[command(name = "lanchat", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to run; without one, the desktop GUI opens (with the flags of `lanchat gui`).
    #[command(subcommand)]
    pub command: Option<Mode>,
    /// The GUI's flags, for `lanchat` without a subcommand.
    #[command(flatten)]
    pub gui: GuiArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Mode {
    /// Run a coordinator (accounts, history, presence) for the office, headless.
    Coordinator(CoordinatorArgs),
    /// Terminal client: commands on stdin, events on stdout (also the bot interface).
    Cli(CliArgs),
    /// Desktop GUI (what `lanchat` without a subcommand opens), with network settings.
    Gui(GuiArgs),
}

/// Multicast discovery flags, common to every network command.
#[derive(Debug, Clone, Args)]
pub struct NetArgs {
    /// IPv4 address of an interface to use for multicast (repeatable). Default: every IPv4
    /// interface that is up.
    #[arg(long = "iface", value_name = "ADDR")]
    pub ifaces: Vec<Ipv4Addr>,
    /// Multicast group.
    #[arg(long, value_name = "ADDR", default_value_t = DEFAULT_GROUP)]
    pub group: Ipv4Addr,
    /// Multicast UDP port.
    #[arg(long = "mcast-port", value_name = "PORT", default_value_t = DEFAULT_PORT)]
    pub mcast_port: u16,
    /// Multicast TTL (1 = this subnet only; 0 = this host only).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TTL)]
    pub ttl: u32,
    /// Realm passphrase: only machines with the same realm can read and send announcements.
    #[arg(long, value_name = "PASSPHRASE", env = "LANCHAT_REALM", default_value = DEFAULT_REALM, hide_env_values = true)]
    pub realm: String,
}

impl NetArgs {
    /// The discovery configuration these flags describe.
    pub fn discovery(&self) -> DiscoveryConfig {
        let mut cfg = DiscoveryConfig::new(RealmKey::from_passphrase(&self.realm));
        cfg.group = self.group;
        cfg.port = self.mcast_port;
        cfg.ifaces = self.ifaces.clone();
        cfg.ttl = self.ttl;
        cfg
    }
}

/// `lanchat coordinator`.
#[derive(Debug, Args)]
pub struct CoordinatorArgs {
    /// Data directory (database and identity). Default: the platform data dir.
    #[arg(long, value_name = "DIR", global = true)]
    pub data: Option<PathBuf>,
    /// QUIC address to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value_t = CoordinatorConfig::DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Name announced to clients (shown to people; clients trust the key, not the name). Keep it
    /// when rolling the key over. Default: host name.
    #[arg(long)]
    pub name: Option<String>,
    /// Do not announce on multicast (clients then need --coordinator and --fingerprint).
    #[arg(long)]
    pub no_discovery: bool,
    /// Messages per second one user may post, all their sessions together (bursts of three
    /// seconds' worth); faster ones wait their turn, none is refused.
    #[arg(long, value_name = "N", default_value_t = CoordinatorConfig::DEFAULT_MESSAGE_RATE)]
    pub max_messages_per_second: u32,
    /// Largest file members may share into a conversation, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = CoordinatorConfig::DEFAULT_MAX_SHARE_MIB)]
    pub max_share_mib: u64,
    /// Shared files one user may keep on the coordinator, in MiB (uploads in progress count).
    #[arg(long, value_name = "MIB", default_value_t = CoordinatorConfig::DEFAULT_USER_QUOTA_MIB)]
    pub user_quota_mib: u64,
    /// Shared files the coordinator keeps for everyone together, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = CoordinatorConfig::DEFAULT_TOTAL_QUOTA_MIB)]
    pub total_quota_mib: u64,
    /// Seconds a connection may stay open without logging in.
    #[arg(long, value_name = "SECS", default_value_t = CoordinatorConfig::DEFAULT_LOGIN_TIMEOUT_SECS)]
    pub login_timeout_secs: u64,
    /// Connections one IP address may have open without logging in.
    #[arg(
        long,
        value_name = "N",
        default_value_t = CoordinatorConfig::DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS
    )]
    pub max_unauthenticated_per_address: usize,
    /// Run as the Windows service `lanchat-coordinator` (the service manager starts this; see
    /// the README). The startup lines go to `coordinator.txt` in the data directory.
    #[cfg(windows)]
    #[arg(long)]
    pub service: bool,
    #[command(flatten)]
    pub net: NetArgs,
    /// Something to do instead of running.
    #[command(subcommand)]
    pub action: Option<CoordinatorAction>,
}

/// What `lanchat coordinator` can do besides running.
#[derive(Debug, Subcommand)]
pub enum CoordinatorAction {
    /// Roll the coordinator's key over to a new one that the old key vouches for (stop the
    /// coordinator first). Clients that pinned the old key accept the new one by themselves.
    RotateKey,
}

/// How a client is told which coordinator to trust, besides finding it: flags shared by the
/// terminal client and the GUI.
#[derive(Debug, Clone, Args)]
pub struct TrustArgs {
    /// Coordinator address, instead of discovery (needs --fingerprint).
    #[arg(long, value_name = "ADDR:PORT", requires = "fingerprint")]
    pub coordinator: Option<SocketAddr>,
    /// The coordinator's fingerprint (as it prints at start): with --coordinator, the one at
    /// that address; alone, trust the coordinator discovery finds with this fingerprint.
    #[arg(long, value_name = "FINGERPRINT")]
    pub fingerprint: Option<Pin>,
    /// An invite the coordinator printed (lanchat://FINGERPRINT, or with @ADDRESS:PORT): trust that
    /// coordinator from the first contact, and try its address first.
    #[arg(long, value_name = "LINK")]
    pub invite: Option<Invite>,
}

impl TrustArgs {
    /// The explicit coordinator (address and fingerprint), if given.
    pub fn target(&self) -> Option<lanchat_client::Target> {
        self.coordinator
            .zip(self.fingerprint.clone())
            .map(|(addr, pin)| lanchat_client::Target { addr, pin })
    }

    /// Fingerprints vouched for without an address to go with them (for discovery).
    pub fn trusted(&self) -> Vec<Pin> {
        let alone = self
            .fingerprint
            .clone()
            .filter(|_| self.coordinator.is_none());
        let invited = self.invite.map(|i| Pin::exact(i.fingerprint));
        alone.into_iter().chain(invited).collect()
    }

    /// Addresses an invite gave.
    pub fn hints(&self) -> Vec<lanchat_client::Target> {
        self.invite
            .and_then(|i| {
                Some(lanchat_client::Target {
                    addr: i.addr?,
                    pin: Pin::exact(i.fingerprint),
                })
            })
            .into_iter()
            .collect()
    }
}

/// `lanchat cli`.
#[derive(Debug, Args)]
pub struct CliArgs {
    /// Username (or LANCHAT_USER; asked for when neither is given).
    #[arg(long, short, env = "LANCHAT_USER")]
    pub user: Option<String>,
    /// Create the account first.
    #[arg(long)]
    pub register: bool,
    /// One JSON object per line for every event (the automation interface).
    #[arg(long)]
    pub json: bool,
    /// Data directory (known coordinators). Default: the platform data dir.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// When no coordinator is pinned yet, use the first one found without asking (check its
    /// fingerprint afterwards).
    #[arg(long)]
    pub trust_first_contact: bool,
    /// Use any coordinator that answers, pinned or not (a coordinator reinstalled without its
    /// old key); dangerous on a LAN you do not control.
    #[arg(long)]
    pub accept_new_fingerprint: bool,
    /// Folder for received files. Default: the platform's download folder.
    #[arg(long, value_name = "DIR")]
    pub downloads: Option<PathBuf>,
    /// UDP address for direct file transfers from other clients.
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:0")]
    pub peer_listen: SocketAddr,
    /// Never accept direct file connections (files come through the coordinator).
    #[arg(long)]
    pub no_direct: bool,
    #[command(flatten)]
    pub net: NetArgs,
}

/// `lanchat gui` (and `lanchat` alone, with the defaults).
#[derive(Debug, Args)]
pub struct GuiArgs {
    /// Data directory (known coordinators). Default: the platform data dir.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Folder for received files. Default: the platform's download folder.
    #[arg(long, value_name = "DIR")]
    pub downloads: Option<PathBuf>,
    /// UDP address for direct file transfers from other clients.
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:0")]
    pub peer_listen: SocketAddr,
    /// Start in the tray without a window (what starting with the desktop session uses).
    #[arg(long)]
    pub hidden: bool,
    #[command(flatten)]
    pub net: NetArgs,
}

/// The platform's local data directory for `what`, or `./lanchat-data/what` where there is
/// none: `~/.local/share/lanchat/WHAT` on Linux, `%LOCALAPPDATA%\lanchat\WHAT` on Windows.
///
/// Local, not roaming, on purpose: a coordinator's database must not travel with a domain
/// profile, and neither should a client's key. On Windows this folder is private to the user
/// (and to SYSTEM and administrators) by the profile's own permissions, which is what protects
/// the identity keys there (see `lanchat_net::tls`); a coordinator run as a service
/// keeps its data in the service account's profile.
pub fn default_data_dir(what: &str) -> PathBuf {
    dirs::data_local_dir()
        .map(|d| d.join("lanchat").join(what))
        .unwrap_or_else(|| PathBuf::from("lanchat-data").join(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lanchat_takes_the_gui_flags() {
        let cli = Cli::try_parse_from(["lanchat", "--iface", "127.0.0.1", "--hidden"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.gui.net.ifaces, [Ipv4Addr::LOCALHOST]);
        assert!(cli.gui.hidden);
        let cli = Cli::try_parse_from(["lanchat", "gui", "--iface", "127.0.0.1"]).unwrap();
        assert!(matches!(cli.command, Some(Mode::Gui(g)) if g.net.ifaces == [Ipv4Addr::LOCALHOST]));
        let cli = Cli::try_parse_from(["lanchat", "cli", "--iface", "127.0.0.1"]).unwrap();
        assert!(matches!(cli.command, Some(Mode::Cli(_))));
        assert!(Cli::try_parse_from(["lanchat", "--iface", "127.0.0.1", "cli"]).is_err());
        assert!(Cli::try_parse_from(["lanchat"])
            .unwrap()
            .gui
            .net
            .ifaces
            .is_empty());
    }
}
