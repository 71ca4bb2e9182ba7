//! The core against a real coordinator hub, in memory: every frame the core asks to send goes
//! through the coordinator's own connection gate and hub (and, for messages, a group commit of
//! one), every reply and push comes back as the coordinator encoded it. No sockets, no
//! threads, no sleeps: the test steps both sides and decides what is lost.
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use lanchat_coordinator::auth::Accounts;
use lanchat_coordinator::gate::{Context, Gate, Route};
use lanchat_coordinator::hub::{Hub, OUTBOX_CAPACITY};
use lanchat_coordinator::outbox::{outbox, Outbox, OutboxReader};
use lanchat_coordinator::reads::Reads;
use lanchat_net::codec::decode_frame;
use lanchat_store::Store;

use super::*;
use crate::api::Command;
use crate::core::locate::COLLECT_PINNED;

pub(super) const PASSWORD: &str = "correct horse battery";

/// A coordinator: its hub and authentication, its name, key and address.
pub(super) struct Office {
    name: String,
    fingerprint: Fingerprint,
    addr: SocketAddr,
    hub: Mutex<Hub>,
    reads: Arc<Reads>,
    accounts: Accounts,
    rollover: Vec<lanchat_net::rollover::Rollover>,
}

impl Office {
    pub(super) fn new(name: &str, addr: &str) -> Office {
        let hub = Hub::new(Store::open_in_memory().unwrap());
        Office {
            name: name.into(),
            fingerprint: fp(name),
            addr: addr.parse().unwrap(),
            reads: hub.reads(),
            hub: Mutex::new(hub),
            accounts: Accounts::ephemeral(),
            rollover: Vec::new(),
        }
    }

    fn cx(&self) -> Context<'_> {
        Context {
            hub: &self.hub,
            reads: &self.reads,
            accounts: &self.accounts,
            name: &self.name,
            rollover: &self.rollover,
        }
    }

    /// Its announcement (as the coordinator would multicast it, from its own address).
    fn announce(&self, id: u64, started_ms: u64) -> (Beacon, SocketAddr) {
        let beacon = Beacon {
            sender_id: id,
            counter: 1,
            sent_ms: 0,
            kind: BeaconKind::Announce(Announce {
                coordinator_id: id,
                name: self.name.clone(),
                quic_port: self.addr.port(),
                quic_ip: None,
                fingerprint: self.fingerprint.0,
                started_ms,
                protocol_version: PROTOCOL_VERSION,
            }),
        };
        (beacon, self.addr)
    }
}

/// One client connection as the coordinator holds it.
struct Wire {
    office: usize,
    gate: Gate,
    to_client: Outbox,
    frames: OutboxReader,
}

/// A client core wired to the offices of a test, with its clock.
pub(super) struct Peer {
    pub(super) h: Harness,
    wire: Option<Wire>,
    /// Replies to drop instead of delivering (a lost acknowledgement).
    drop_replies: usize,
    /// Every request that reached a coordinator.
    delivered: Vec<Request>,
    /// Every frame that reached a coordinator, as the bytes on the wire.
    bytes: Vec<Vec<u8>>,
}

impl Peer {
    fn new(config: CoreConfig, pins: Pins) -> Peer {
        Peer {
            h: Harness::with(config, pins),
            wire: None,
            drop_replies: 0,
            delivered: Vec::new(),
            bytes: Vec::new(),
        }
    }

    /// Runs both sides until neither has anything more to do.
    pub(super) fn step(&mut self, offices: &[Office], now_ms: i64) {
        loop {
            let actions = self.h.actions();
            if actions.is_empty() && !self.drain_pushes(offices) {
                return;
            }
            for action in actions {
                self.act(action, offices, now_ms);
            }
        }
    }

    fn act(&mut self, action: Action, offices: &[Office], now_ms: i64) {
        match action {
            Action::Connect(targets) => {
                let found = targets.iter().find_map(|t| {
                    let i = offices
                        .iter()
                        .position(|o| o.addr == t.addr && t.pin.matches(&o.fingerprint))?;
                    Some(i)
                });
                match found {
                    Some(i) => {
                        let (to_client, frames) = outbox(OUTBOX_CAPACITY);
                        self.wire = Some(Wire {
                            office: i,
                            gate: Gate::new(),
                            to_client,
                            frames,
                        });
                        let office = &offices[i];
                        self.h
                            .core
                            .handle_connected(office.addr, office.fingerprint, self.h.now);
                    }
                    None => self
                        .h
                        .core
                        .handle_connect_failed("nobody there".into(), self.h.now),
                }
            }
            Action::Transmit(frame) => {
                let Some(wire) = &mut self.wire else { return };
                let office = &offices[wire.office];
                let remote: SocketAddr = "127.0.0.1:40000".parse().unwrap();
                self.delivered.push(frame.request.clone());
                self.bytes
                    .push(lanchat_net::codec::encode(&frame).expect("frames encode"));
                let result = match wire.gate.route(frame.request) {
                    Route::Commit(pending) => office
                        .hub
                        .lock()
                        .unwrap()
                        .send_batch(vec![pending], now_ms)
                        .pop()
                        .expect("one answer per message")
                        .map_err(Into::into),
                    Route::Handle(request) => {
                        wire.gate
                            .handle(office.cx(), remote, &wire.to_client, request, now_ms)
                    }
                };
                if self.drop_replies > 0 {
                    self.drop_replies -= 1;
                } else {
                    let reply = ServerFrame::Reply {
                        id: frame.id,
                        result,
                    };
                    self.h.core.handle_frame(reply, self.h.now);
                }
            }
            Action::Close => self.cut(offices),
            _ => {}
        }
    }

    /// Feeds the core what the hub queued for this connection; false if there was nothing.
    fn drain_pushes(&mut self, _offices: &[Office]) -> bool {
        let Some(wire) = &mut self.wire else {
            return false;
        };
        let mut queued: Vec<Bytes> = Vec::new();
        wire.frames.try_take(&mut queued);
        let frames: Vec<ServerFrame> = queued
            .iter()
            .map(|bytes| {
                decode_frame::<ServerFrame>(bytes)
                    .expect("the hub encodes valid frames")
                    .expect("whole frames")
                    .0
            })
            .collect();
        for frame in &frames {
            self.h.core.handle_frame(frame.clone(), self.h.now);
        }
        !frames.is_empty()
    }

    /// The connection goes away (the coordinator closes the session as the server would).
    fn cut(&mut self, offices: &[Office]) {
        if let Some(mut wire) = self.wire.take() {
            wire.gate.disconnected(offices[wire.office].cx());
        }
    }

    /// The network drops the connection under the client.
    pub(super) fn lose_connection(&mut self, offices: &[Office], now_ms: i64) {
        self.cut(offices);
        self.h
            .core
            .handle_connection_lost("network down".into(), self.h.now);
        self.step(offices, now_ms);
    }

    /// Waits out the core's next deadline (a backoff, a collection window).
    pub(super) fn wait(&mut self, offices: &[Office], now_ms: i64) {
        self.h.wait_for_deadline();
        self.step(offices, now_ms);
    }

    pub(super) fn messages(events: &[Event]) -> Vec<(String, u64)> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Message { message, .. } => Some((message.text.clone(), message.seq)),
                _ => None,
            })
            .collect()
    }
}

/// How many of the frames sent so far carry `secret`, anywhere in their bytes.
fn frames_carrying(peer: &Peer, secret: &str) -> usize {
    peer.bytes
        .iter()
        .filter(|bytes| bytes.windows(secret.len()).any(|w| w == secret.as_bytes()))
        .count()
}

/// `peer` logs in as `user` with `password` (and is, or is not, logged in after).
fn logs_in(mut peer: Peer, offices: &[Office], user: &str, password: &str) -> Peer {
    peer.h.command(Command::Login {
        username: user.into(),
        password: password.into(),
    });
    peer.step(offices, NOW_MS);
    peer
}

/// The errors the core reported, as (command, message).
fn errors(events: &[Event]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Error {
                command, message, ..
            } => Some((command.clone().unwrap_or_default(), message.clone())),
            _ => None,
        })
        .collect()
}

pub(super) fn register(peer: &mut Peer, offices: &[Office], user: &str) {
    peer.h.command(Command::Register {
        username: user.into(),
        password: PASSWORD.into(),
    });
    peer.step(offices, NOW_MS);
    assert!(peer.h.core.is_logged_in(), "{:?}", peer.h.events());
}

pub(super) const NOW_MS: i64 = 1_700_000_000_000;

pub(super) fn explicit_to(office: &Office) -> Peer {
    let mut config = config(Some(Target {
        addr: office.addr,
        pin: Pin::exact(office.fingerprint),
    }));
    config.client_name = "harness".into();
    Peer::new(config, Pins::default())
}

#[test]
fn a_message_is_acknowledged_after_its_commit_and_delivered_to_the_other_member() {
    let offices = [Office::new("office", "10.0.0.1:7117")];
    let mut alice = explicit_to(&offices[0]);
    let mut bob = explicit_to(&offices[0]);
    register(&mut alice, &offices, "alice");
    register(&mut bob, &offices, "bob");
    alice.h.events();
    bob.h.events();
    let id = MsgId::random();
    alice.h.command(Command::Send {
        conv: room("general"),
        text: "hello bob".into(),
        id,
    });
    alice.step(&offices, NOW_MS);
    let acked: Vec<u64> = alice
        .h
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Sent { id: i, seq, .. } if i == id => Some(seq),
            _ => None,
        })
        .collect();
    assert_eq!(acked.len(), 1);
    bob.step(&offices, NOW_MS);
    assert_eq!(
        Peer::messages(&bob.h.events()),
        [("hello bob".to_string(), acked[0])]
    );
}

#[test]
fn a_reconnecting_client_catches_up_without_gaps_or_duplicates() {
    let offices = [Office::new("office", "10.0.0.1:7117")];
    let mut alice = explicit_to(&offices[0]);
    let mut bob = explicit_to(&offices[0]);
    register(&mut alice, &offices, "alice");
    register(&mut bob, &offices, "bob");
    let say = |alice: &mut Peer, text: &str| {
        alice.h.command(Command::Send {
            conv: room("general"),
            text: text.into(),
            id: MsgId::random(),
        });
        alice.step(&offices, NOW_MS);
    };
    say(&mut alice, "one");
    bob.step(&offices, NOW_MS);
    bob.lose_connection(&offices, NOW_MS);
    say(&mut alice, "two");
    say(&mut alice, "three");
    bob.h.events();
    // Bob's backoff ends: he resumes his session and catches up.
    bob.wait(&offices, NOW_MS);
    let events = bob.h.events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::LoggedIn { resumed: true, .. })),
        "{events:?}"
    );
    say(&mut alice, "four");
    bob.step(&offices, NOW_MS);
    let mut all = Peer::messages(&events);
    all.extend(Peer::messages(&bob.h.events()));
    let texts: Vec<&str> = all.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(texts, ["two", "three", "four"]);
    let seqs: Vec<u64> = all.iter().map(|(_, s)| *s).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
}

#[test]
fn a_message_whose_acknowledgement_was_lost_is_stored_once() {
    let offices = [Office::new("office", "10.0.0.1:7117")];
    let mut alice = explicit_to(&offices[0]);
    register(&mut alice, &offices, "alice");
    alice.h.events();
    // The coordinator commits the message, but its answer never arrives.
    alice.drop_replies = 1;
    let id = MsgId::random();
    alice.h.command(Command::Send {
        conv: room("general"),
        text: "exactly once".into(),
        id,
    });
    alice.step(&offices, NOW_MS);
    assert!(!alice
        .h
        .events()
        .iter()
        .any(|e| matches!(e, Event::Sent { .. })));
    alice.lose_connection(&offices, NOW_MS);
    alice.wait(&offices, NOW_MS);
    let events = alice.h.events();
    let acks = events
        .iter()
        .filter(|e| matches!(e, Event::Sent { id: i, .. } if *i == id))
        .count();
    assert_eq!(acks, 1, "{events:?}");
    // History holds it once.
    alice.h.command(Command::History {
        conv: room("general"),
        before: None,
        limit: 50,
    });
    alice.step(&offices, NOW_MS);
    let history = alice.h.events().into_iter().find_map(|e| match e {
        Event::History { messages, .. } => Some(messages),
        _ => None,
    });
    let stored = history
        .expect("history")
        .iter()
        .filter(|m| m.text == "exactly once")
        .count();
    assert_eq!(stored, 1);
}

#[test]
fn among_several_coordinators_the_pinned_one_is_chosen_and_an_impostor_refused() {
    let offices = [
        Office::new("office", "10.0.0.1:7117"),
        Office::new("office-2", "10.0.0.2:7117"),
    ];
    // Alice pinned "office" earlier.
    let mut alice = Peer::new(config(None), pinned("office", offices[0].fingerprint, None));
    alice.h.actions();
    let (beacon, from) = offices[1].announce(2, 1);
    alice.h.core.handle_beacon(beacon, from, alice.h.now);
    let (beacon, from) = offices[0].announce(1, 500);
    alice.h.core.handle_beacon(beacon, from, alice.h.now);
    alice.h.command(Command::Register {
        username: "alice".into(),
        password: PASSWORD.into(),
    });
    alice.h.advance(COLLECT_PINNED);
    alice.step(&offices, NOW_MS);
    assert!(alice.h.core.is_logged_in());
    assert_eq!(alice.wire.as_ref().map(|w| w.office), Some(0));
    assert_eq!(
        offices[1].hub.lock().unwrap().session_count(),
        0,
        "the other coordinator never had a session"
    );
}

#[test]
fn a_changed_key_under_the_pinned_name_gets_no_login() {
    // The impostor is a real hub under the pinned name with its own key.
    let mut impostor = Office::new("office", "10.0.0.9:7117");
    impostor.fingerprint = fp("impostor");
    let offices = [impostor];
    let mut alice = Peer::new(config(None), pinned("office", fp("office"), None));
    alice.h.actions();
    alice.h.command(Command::Login {
        username: "alice".into(),
        password: PASSWORD.into(),
    });
    let (beacon, from) = offices[0].announce(7, 1);
    alice.h.core.handle_beacon(beacon, from, alice.h.now);
    alice.h.advance(crate::core::COLLECT);
    alice.step(&offices, NOW_MS);
    assert!(!alice.h.core.is_logged_in());
    let events = alice.h.events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::FingerprintChanged { .. })),
        "{events:?}"
    );
    // It greeted (to read rollover statements) and went: no login attempt, no session.
    assert!(
        matches!(alice.delivered[..], [Request::Hello { .. }]),
        "{:?}",
        alice.delivered
    );
    assert_eq!(offices[0].hub.lock().unwrap().session_count(), 0);
    assert!(alice.wire.is_none());
}

/// A client that pinned `office` in an earlier run, so nothing about it is a first contact.
fn returning_to(office: &Office) -> Peer {
    let mut config = config(Some(Target {
        addr: office.addr,
        pin: Pin::exact(office.fingerprint),
    }));
    config.client_name = "harness".into();
    Peer::new(config, pinned(&office.name, office.fingerprint, None))
}

/// An account as it was kept before OPAQUE: only an Argon2 hash.
fn legacy_account(office: &Office, user: &str) {
    let hash = lanchat_coordinator::auth::hash_password(PASSWORD).unwrap();
    office
        .hub
        .lock()
        .unwrap()
        .store()
        .create_user(user, user, &hash, NOW_MS)
        .unwrap();
}

#[test]
fn register_and_log_in_with_opaque_and_no_frame_ever_carries_the_password() {
    let offices = [Office::new("office", "10.0.0.1:7117")];
    let mut alice = explicit_to(&offices[0]);
    register(&mut alice, &offices, "alice");
    assert!(matches!(
        alice.delivered[1..],
        [
            Request::RegisterStart { .. },
            Request::RegisterFinish { .. },
            ..
        ]
    ));
    // Another client logs in with the password; a third one with a wrong one is refused.
    let mut again = logs_in(explicit_to(&offices[0]), &offices, "alice", PASSWORD);
    assert!(again.h.core.is_logged_in(), "{:?}", again.h.events());
    assert!(
        again
            .h
            .core
            .opaque_logins()
            .contains(&offices[0].fingerprint, "alice"),
        "the OPAQUE login is remembered"
    );
    let mut wrong = logs_in(
        explicit_to(&offices[0]),
        &offices,
        "alice",
        "wrong horse battery",
    );
    assert!(!wrong.h.core.is_logged_in());
    let refused = errors(&wrong.h.events());
    assert_eq!(
        refused,
        [(
            "login".to_string(),
            "invalid username or password".to_string()
        )]
    );
    assert!(
        matches!(
            wrong.delivered[..],
            [Request::Hello { .. }, Request::LoginStart { .. }]
        ),
        "a wrong password stops on the client: {:?}",
        wrong.delivered
    );
    for peer in [&alice, &again, &wrong] {
        assert!(!peer.bytes.is_empty());
        assert_eq!(frames_carrying(peer, PASSWORD), 0);
        assert_eq!(frames_carrying(peer, "wrong horse battery"), 0);
    }
}

#[test]
fn a_legacy_account_is_upgraded_at_its_next_login_without_the_user_noticing() {
    let offices = [Office::new("office", "10.0.0.1:7117")];
    legacy_account(&offices[0], "carol");
    let mut carol = logs_in(returning_to(&offices[0]), &offices, "carol", PASSWORD);
    assert!(carol.h.core.is_logged_in());
    let events = carol.h.events();
    assert_eq!(errors(&events), [], "the user notices nothing");
    // The password was shown once, in the upgrade; the account is OPAQUE from now on.
    assert_eq!(frames_carrying(&carol, PASSWORD), 1);
    assert!(carol
        .delivered
        .iter()
        .any(|r| matches!(r, Request::LegacyLogin { .. })));
    let stored = offices[0].hub.lock().unwrap().store().credential("carol");
    assert!(matches!(
        stored,
        Ok(Some((_, lanchat_store::Credential::Opaque(_))))
    ));
    let next = logs_in(returning_to(&offices[0]), &offices, "carol", PASSWORD);
    assert!(next.h.core.is_logged_in());
    assert_eq!(frames_carrying(&next, PASSWORD), 0);
}

#[test]
fn a_legacy_answer_after_an_opaque_login_is_refused_as_a_downgrade() {
    let offices = [Office::new("office", "10.0.0.1:7117")];
    let mut alice = returning_to(&offices[0]);
    register(&mut alice, &offices, "alice");
    let remembered = alice.h.core.opaque_logins().clone();
    // The same coordinator (its key) now claims alice is a legacy account: its database was
    // swapped for an old one, or someone holds its key.
    let mut rogue = Office::new("office", "10.0.0.1:7117");
    rogue.fingerprint = offices[0].fingerprint;
    let rogue = [rogue];
    legacy_account(&rogue[0], "alice");
    let mut later = returning_to(&rogue[0]);
    later.h.core.set_opaque_logins(remembered);
    let mut later = logs_in(later, &rogue, "alice", PASSWORD);
    assert!(!later.h.core.is_logged_in());
    let refused = errors(&later.h.events());
    assert!(
        refused
            .iter()
            .any(|(c, m)| c == "login" && m.contains("downgrade")),
        "{refused:?}"
    );
    assert_eq!(frames_carrying(&later, PASSWORD), 0);
}

#[test]
fn a_first_contact_never_sees_a_legacy_password() {
    let offices = [Office::new("office", "10.0.0.1:7117")];
    legacy_account(&offices[0], "carol");
    // Nothing pinned before this run: the coordinator was chosen now (as a rogue one would be).
    let mut carol = logs_in(explicit_to(&offices[0]), &offices, "carol", PASSWORD);
    assert!(!carol.h.core.is_logged_in());
    let refused = errors(&carol.h.events());
    assert!(
        refused
            .iter()
            .any(|(c, m)| c == "login" && m.contains("restart and log in again")),
        "{refused:?}"
    );
    assert_eq!(frames_carrying(&carol, PASSWORD), 0);
}

#[test]
fn a_password_change_proves_the_old_password_and_sends_neither() {
    let offices = [Office::new("office", "10.0.0.1:7117")];
    let mut alice = explicit_to(&offices[0]);
    register(&mut alice, &offices, "alice");
    let new = "a brand new secret";
    alice.h.command(Command::ChangePassword {
        old: "not the password".into(),
        new: new.into(),
    });
    alice.step(&offices, NOW_MS);
    assert_eq!(
        errors(&alice.h.events()),
        [(
            "passwd".to_string(),
            "the current password is wrong".to_string()
        )]
    );
    alice.h.command(Command::ChangePassword {
        old: PASSWORD.into(),
        new: new.into(),
    });
    alice.step(&offices, NOW_MS);
    assert!(alice.h.events().contains(&Event::Done {
        command: "passwd".into()
    }));
    for secret in [PASSWORD, new, "not the password"] {
        assert_eq!(frames_carrying(&alice, secret), 0, "{secret}");
    }
    let old = logs_in(explicit_to(&offices[0]), &offices, "alice", PASSWORD);
    assert!(!old.h.core.is_logged_in());
    let fresh = logs_in(explicit_to(&offices[0]), &offices, "alice", new);
    assert!(fresh.h.core.is_logged_in());
}
