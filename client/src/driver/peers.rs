//! Direct connections to peers, kept for the next offer to the same peer.
//!
//! A handshake costs milliseconds and two round trips; a second offer to a colleague within
//! half a minute opens a stream on the connection the first one used. Kept connections are
//! keyed by the peer's address and the certificate fingerprint the coordinator vouched for
//! (a new key at the same address is a new connection, pinned anew), are closed after
//! [`IDLE`] without a transfer, and at most [`MAX_KEPT`] are kept (the least recently used
//! idle one goes first).
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use lanchat_net::fingerprint::{Fingerprint, Pin};
use lanchat_net::protocol::PeerEndpoint;
use lanchat_net::tls;

/// A kept connection with no transfer is closed after this long.
pub const IDLE: Duration = Duration::from_secs(30);
/// Most connections kept at once.
pub const MAX_KEPT: usize = 16;

type Key = (SocketAddr, [u8; 32]);

#[derive(Debug)]
struct Kept {
    conn: quinn::Connection,
    /// Transfers using it now.
    busy: usize,
    /// When the last transfer on it started or ended.
    last_used: Instant,
}

/// The kept connections.
#[derive(Debug)]
pub(super) struct Peers {
    kept: Mutex<HashMap<Key, Kept>>,
    /// [`IDLE`], shorter in tests.
    idle: Duration,
}

impl Default for Peers {
    fn default() -> Self {
        Peers {
            kept: Mutex::default(),
            idle: IDLE,
        }
    }
}

/// One transfer's use of a connection: the stream's connection stays open while it lives.
#[derive(Debug)]
pub(super) struct Lease {
    peers: Arc<Peers>,
    key: Key,
    conn: quinn::Connection,
    /// Whether it came from the pool (a reused connection).
    pub reused: bool,
}

impl Lease {
    /// The connection failed this transfer: do not offer it to the next one.
    pub fn invalidate(&self) {
        let mut kept = self.peers.lock();
        if kept
            .get(&self.key)
            .is_some_and(|k| k.conn.stable_id() == self.conn.stable_id())
        {
            kept.remove(&self.key);
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut kept = self.peers.lock();
        if let Some(k) = kept.get_mut(&self.key) {
            if k.conn.stable_id() == self.conn.stable_id() {
                k.busy = k.busy.saturating_sub(1);
                k.last_used = Instant::now();
            }
        }
    }
}

impl Peers {
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Kept>> {
        // A panic while holding this lock leaves nothing half-done worth refusing over.
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new stream to `peer`: on a kept live connection if there is one, else on a new
    /// connection (pinning the peer's certificate), which is then kept.
    pub(super) async fn open(
        self: &Arc<Self>,
        endpoint: &quinn::Endpoint,
        peer: PeerEndpoint,
    ) -> Result<(Lease, quinn::SendStream, quinn::RecvStream), String> {
        let key = (peer.addr, peer.fingerprint);
        let kept = {
            let mut kept = self.lock();
            match kept.get_mut(&key) {
                Some(k) if k.conn.close_reason().is_none() => {
                    k.busy += 1;
                    k.last_used = Instant::now();
                    Some(k.conn.clone())
                }
                Some(_) => {
                    kept.remove(&key);
                    None
                }
                None => None,
            }
        };
        if let Some(conn) = kept {
            let lease = Lease {
                peers: self.clone(),
                key,
                conn: conn.clone(),
                reused: true,
            };
            match conn.open_bi().await {
                Ok((send, recv)) => return Ok((lease, send, recv)),
                // Gone since: connect anew.
                Err(_) => lease.invalidate(),
            }
        }
        let config = tls::client_config(Pin::exact(Fingerprint(peer.fingerprint)))
            .map_err(|e| e.to_string())?;
        let conn = endpoint
            .connect_with(config, peer.addr, "lanchat-peer")
            .map_err(|e| e.to_string())?
            .await
            .map_err(|e| e.to_string())?;
        let (send, recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
        self.keep(key, conn.clone());
        let lease = Lease {
            peers: self.clone(),
            key,
            conn,
            reused: false,
        };
        Ok((lease, send, recv))
    }

    /// Keeps a new connection (busy with one transfer), making room if needed, and closes it
    /// once it has been idle for [`IDLE`].
    fn keep(self: &Arc<Self>, key: Key, conn: quinn::Connection) {
        {
            let mut kept = self.lock();
            if kept.len() >= MAX_KEPT && !kept.contains_key(&key) {
                let idlest = kept
                    .iter()
                    .filter(|(_, k)| k.busy == 0)
                    .min_by_key(|(_, k)| k.last_used)
                    .map(|(key, _)| *key);
                match idlest {
                    Some(old) => {
                        if let Some(k) = kept.remove(&old) {
                            k.conn.close(0u32.into(), b"too many kept connections");
                        }
                    }
                    // All busy: this one is used, not kept (it closes with its last stream).
                    None => return,
                }
            }
            let replaced = kept.insert(
                key,
                Kept {
                    conn: conn.clone(),
                    busy: 1,
                    last_used: Instant::now(),
                },
            );
            // A connection replaced while busy closes when its transfer drops it.
            drop(replaced);
        }
        let peers = Arc::downgrade(self);
        let idle_after = self.idle;
        tokio::spawn(async move {
            let mut wait = idle_after;
            loop {
                tokio::time::sleep(wait).await;
                let Some(peers) = peers.upgrade() else { return };
                let mut kept = peers.lock();
                let Some(k) = kept.get(&key) else { return };
                if k.conn.stable_id() != conn.stable_id() {
                    return; // replaced; the new one has its own timer
                }
                let idle = k.last_used.elapsed();
                if k.busy == 0 && idle >= idle_after {
                    kept.remove(&key);
                    conn.close(0u32.into(), b"idle");
                    return;
                }
                wait = if k.busy > 0 {
                    idle_after
                } else {
                    idle_after
                        .saturating_sub(idle)
                        .max(Duration::from_millis(10))
                };
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanchat_net::tls::Identity;

    /// A peer that accepts connections and streams (and counts the connections).
    fn peer() -> (
        PeerEndpoint,
        quinn::Endpoint,
        Arc<std::sync::atomic::AtomicUsize>,
    ) {
        let id = Identity::generate().unwrap();
        let server = tls::endpoint(
            "127.0.0.1:0".parse().unwrap(),
            Some(tls::server_config(&id).unwrap()),
        )
        .unwrap();
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (s, n) = (server.clone(), connections.clone());
        tokio::spawn(async move {
            while let Some(incoming) = s.accept().await {
                n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(async move {
                    let Ok(conn) = incoming.await else { return };
                    while let Ok((_send, mut recv)) = conn.accept_bi().await {
                        let _ = recv.read_to_end(64).await;
                    }
                });
            }
        });
        let endpoint = PeerEndpoint {
            addr: server.local_addr().unwrap(),
            fingerprint: id.fingerprint().0,
        };
        (endpoint, server, connections)
    }

    async fn used(peers: &Arc<Peers>, client: &quinn::Endpoint, to: PeerEndpoint) -> Lease {
        let (lease, mut send, _recv) = peers.open(client, to).await.unwrap();
        send.write_all(b"x").await.unwrap();
        send.finish().unwrap();
        lease
    }

    #[tokio::test]
    async fn a_second_transfer_to_the_same_peer_reuses_the_connection() {
        let client = tls::endpoint("127.0.0.1:0".parse().unwrap(), None).unwrap();
        let peers = Arc::new(Peers::default());
        let (to, _server, connections) = peer();
        let first = used(&peers, &client, to).await;
        assert!(!first.reused);
        drop(first);
        let second = used(&peers, &client, to).await;
        assert!(second.reused, "the kept connection carries the next offer");
        // Two at once share it too.
        let third = used(&peers, &client, to).await;
        assert!(third.reused);
        // A broken transfer's connection is not offered again.
        third.invalidate();
        drop((second, third));
        let fourth = used(&peers, &client, to).await;
        assert!(!fourth.reused);
        // Another key at the same address is another connection, pinned anew.
        let (other, _server2, _) = peer();
        let fifth = used(&peers, &client, other).await;
        assert!(!fifth.reused);
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_idle_connection_is_closed_and_forgotten() {
        let client = tls::endpoint("127.0.0.1:0".parse().unwrap(), None).unwrap();
        let peers = Arc::new(Peers {
            kept: Mutex::default(),
            idle: Duration::from_millis(300),
        });
        let (to, _server, _) = peer();
        let lease = used(&peers, &client, to).await;
        let conn = lease.conn.clone();
        drop(lease);
        // Failure guard only: the close is what is waited for.
        tokio::time::timeout(Duration::from_secs(60), conn.closed())
            .await
            .expect("closed once idle");
        assert!(peers.lock().is_empty());
    }
}
