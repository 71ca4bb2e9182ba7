//! Reference: the same two-hop trip as the DM round trip over bare quinn streams —
//! A → relay → B → relay → A with 64-byte messages, lanchat's TLS and transport settings
//! (`lanchat_net::tls`), but no framing, database, coordinator logic or engine. What QUIC
//! itself costs the round trip.
//!
//! The relay runs on a two-worker runtime (as the coordinator in this bench does), A and B
//! each on a thread and single-threaded runtime of their own (as each engine does).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use lanchat_net::fingerprint::Pin;
use lanchat_net::tls::{self, Identity};

use crate::rounds::{slot, MEASURED_ROUNDS, WARMUP_ROUNDS};

/// Size of each message.
const MESSAGE: usize = 64;

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Connects to the relay and opens a stream, saying which end this is (a stream shows up at
/// the relay only once something is written on it).
async fn connect(
    endpoint: &quinn::Endpoint,
    config: quinn::ClientConfig,
    relay: SocketAddr,
    which: u8,
) -> (quinn::Connection, quinn::SendStream, quinn::RecvStream) {
    let conn = endpoint
        .connect_with(config, relay, "lanchat")
        .expect("connect")
        .await
        .expect("handshake");
    let (mut send, recv) = conn.open_bi().await.expect("stream");
    send.write_all(&[which]).await.expect("say which");
    (conn, send, recv)
}

/// Copies chunk by chunk (nothing held back) until the input ends.
async fn forward(mut from: quinn::RecvStream, mut to: quinn::SendStream) {
    while let Ok(Some(chunk)) = from.read_chunk(usize::MAX, true).await {
        if to.write_all(&chunk.bytes).await.is_err() {
            return;
        }
    }
    let _ = to.finish();
}

/// The relay: accepts A and B, then forwards each one's stream to the other.
async fn relay(endpoint: quinn::Endpoint) {
    let mut ends: [Option<(quinn::Connection, quinn::SendStream, quinn::RecvStream)>; 2] =
        [None, None];
    while ends.iter().any(Option::is_none) {
        let conn = endpoint
            .accept()
            .await
            .expect("incoming")
            .await
            .expect("handshake");
        let (send, mut recv) = conn.accept_bi().await.expect("stream");
        let mut which = [0u8];
        recv.read_exact(&mut which).await.expect("which end");
        ends[usize::from(which[0] & 1)] = Some((conn, send, recv));
    }
    let [Some((a_conn, a_send, a_recv)), Some((b_conn, b_send, b_recv))] = ends else {
        unreachable!("both ends accepted");
    };
    let there = tokio::spawn(forward(a_recv, b_send));
    let back = tokio::spawn(forward(b_recv, a_send));
    let _ = there.await;
    let _ = back.await;
    a_conn.closed().await;
    b_conn.closed().await;
}

/// Measured round trips, on the same schedule as the others.
pub fn measure() -> Vec<Duration> {
    let local: SocketAddr = (Ipv4Addr::LOCALHOST, 0).into();
    let identity = Identity::generate().expect("certificate");
    let server_config = tls::server_config(&identity).expect("server config");
    let client_config = tls::client_config(Pin::exact(identity.fingerprint())).expect("client");

    let relay_runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("relay runtime"),
    );
    let endpoint = {
        let _inside = relay_runtime.enter();
        tls::endpoint(local, Some(server_config)).expect("relay endpoint")
    };
    let relay_addr = endpoint.local_addr().expect("relay address");
    let relay_task = relay_runtime.spawn(relay(endpoint));

    // B: echoes every message (as bob answers alice).
    let b_config = client_config.clone();
    let b = thread::spawn(move || {
        current_thread().block_on(async move {
            let endpoint = tls::endpoint(local, None).expect("B endpoint");
            let (conn, mut send, mut recv) = connect(&endpoint, b_config, relay_addr, 1).await;
            let mut buf = [0u8; MESSAGE];
            while recv.read_exact(&mut buf).await.is_ok() {
                send.write_all(&buf).await.expect("B writes");
            }
            let _ = send.finish();
            conn.close(0u32.into(), b"done");
            endpoint.wait_idle().await;
        });
    });

    let times = current_thread().block_on(async move {
        let endpoint = tls::endpoint(local, None).expect("A endpoint");
        let (conn, mut send, mut recv) = connect(&endpoint, client_config, relay_addr, 0).await;
        let start = tokio::time::Instant::now();
        let mut times = Vec::with_capacity(MEASURED_ROUNDS);
        for i in 0..WARMUP_ROUNDS + MEASURED_ROUNDS {
            tokio::time::sleep_until(slot(start, i)).await;
            let out = [i as u8; MESSAGE];
            let mut back = [0u8; MESSAGE];
            let t0 = Instant::now();
            send.write_all(&out).await.expect("A writes");
            recv.read_exact(&mut back).await.expect("A reads");
            let took = t0.elapsed();
            assert_eq!(back, out, "echo matches");
            if i >= WARMUP_ROUNDS {
                times.push(took);
            }
        }
        let _ = send.finish();
        // B's stream ends once the relay has forwarded the end; then everyone closes.
        let _ = recv.read_to_end(usize::MAX).await;
        conn.close(0u32.into(), b"done");
        endpoint.wait_idle().await;
        times
    });
    b.join().expect("B's thread");
    let _ = relay_runtime.block_on(relay_task);
    times
}
