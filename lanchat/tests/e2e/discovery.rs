//! Discovery between separate processes on loopback.
use std::time::Instant;

use lanchat_client::Event;

use crate::support::*;

fn found(c: &mut Client) -> (String, std::net::SocketAddr) {
    c.wait("coordinator found", |e| match e {
        Event::CoordinatorFound { name, addr, .. } => Some((name.clone(), *addr)),
        _ => None,
    })
}

#[test]
fn several_clients_on_one_host_all_find_the_coordinator() {
    let (lan, coord, _dir) = office();
    let mut clients: Vec<Client> = (0..4)
        .map(|i| Client::start(&lan, &format!("c{i}")))
        .collect();
    for c in &mut clients {
        let started = Instant::now();
        let (name, addr) = found(c);
        assert_eq!(name, "test-office");
        assert_eq!(addr, coord.addr);
        eprintln!(
            "{} found the coordinator after {:?}",
            c.name,
            started.elapsed()
        );
    }
}

#[test]
fn every_client_picks_the_earliest_coordinator() {
    let lan = Lan::new();
    let dir = tempfile::tempdir().unwrap();
    let first = CoordinatorProcess::start(&lan, &dir.path().join("a"), "first");
    let _second = CoordinatorProcess::start(&lan, &dir.path().join("b"), "second");
    for i in 0..3 {
        let mut c = Client::start(&lan, &format!("c{i}"));
        let (name, addr) = found(&mut c);
        assert_eq!((name.as_str(), addr), ("first", first.addr));
    }
}

#[test]
fn a_coordinator_in_another_realm_is_not_heard() {
    let lan = Lan::new();
    let other = Lan {
        port: lan.port,
        realm: format!("{}-other", lan.realm),
    };
    let dir = tempfile::tempdir().unwrap();
    let _foreign = CoordinatorProcess::start(&other, &dir.path().join("foreign"), "foreign");
    let mut c = Client::start(&lan, "c");
    // Starting our own coordinator afterwards: the client must pick it, never the foreign one
    // it could have heard first.
    let ours = CoordinatorProcess::start(&lan, &dir.path().join("ours"), "ours");
    let (name, addr) = found(&mut c);
    assert_eq!((name.as_str(), addr), ("ours", ours.addr));
}
