//! Reference: the same two-hop trip over plain TCP, relay in the middle.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::rounds::paced_rounds;

/// Size of each message.
const TCP_MESSAGE: usize = 64;

/// A → relay → B → relay → A with 64-byte messages, like alice → coordinator → bob →
/// coordinator → alice but without TLS, framing, a database or an engine thread hop.
pub fn measure() -> Vec<Duration> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind relay");
    let addr = listener.local_addr().expect("relay address");

    // Connect A first, then B, so the relay knows which accepted stream is which.
    let mut a = connect_nodelay(addr);
    let (relay_a, _) = listener.accept().expect("accept A");
    let b = connect_nodelay(addr);
    let (relay_b, _) = listener.accept().expect("accept B");
    let relays = [forward(&relay_a, &relay_b), forward(&relay_b, &relay_a)];
    let echo = thread::spawn(move || echo_until_eof(b));

    let times = paced_rounds(|i| {
        let out = [i as u8; TCP_MESSAGE];
        let mut back = [0u8; TCP_MESSAGE];
        let t0 = Instant::now();
        a.write_all(&out).expect("A writes");
        a.read_exact(&mut back).expect("A reads");
        let took = t0.elapsed();
        assert_eq!(back, out, "echo matches");
        took
    });

    // Closing A ends A→B, which closes B's side, which ends B's echo and B→A.
    drop(a);
    echo.join().expect("echo thread");
    for r in relays {
        r.join().expect("relay thread");
    }
    times
}

fn connect_nodelay(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect to relay");
    s.set_nodelay(true).expect("nodelay");
    s
}

/// One relay direction on its own thread; at end of input it closes the other side's write
/// half so the shutdown travels on.
fn forward(from: &TcpStream, to: &TcpStream) -> thread::JoinHandle<()> {
    let mut from = from.try_clone().expect("clone relay stream");
    let mut to = to.try_clone().expect("clone relay stream");
    from.set_nodelay(true).expect("nodelay");
    to.set_nodelay(true).expect("nodelay");
    thread::spawn(move || {
        // io::copy writes whatever each read returned, so a message is never held back.
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
    })
}

/// B: sends every message straight back (as bob replies to alice).
fn echo_until_eof(mut b: TcpStream) {
    let mut buf = [0u8; TCP_MESSAGE];
    while b.read_exact(&mut buf).is_ok() {
        b.write_all(&buf).expect("B writes");
    }
}
