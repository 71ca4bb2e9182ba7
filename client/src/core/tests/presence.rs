//! Presence shown to the user comes only from the coordinator over QUIC: a multicast beacon
//! (which anyone with the realm passphrase can send, account or not) changes nothing.
use super::session::logged_in;
use super::*;

fn user(name: &str, display: &str, status: PresenceStatus) -> UserInfo {
    UserInfo {
        username: name.into(),
        display: display.into(),
        status,
    }
}

fn presence_beacon(counter: u64, username: &str) -> Beacon {
    Beacon {
        sender_id: 666,
        counter,
        sent_ms: 0,
        kind: BeaconKind::Presence {
            username: username.into(),
            display: username.into(),
            status: PresenceStatus::Online,
        },
    }
}

/// Issue 12: forged presence beacons from a machine with no account showed a nonexistent
/// "CEO" online. Not an event, not a request, not a byte of remembered state, logged in or not.
#[test]
fn a_presence_beacon_is_never_an_event() {
    let mut locating = Harness::discovering(Pins::default());
    locating.actions();
    locating.events();
    locating.beacon(presence_beacon(1, "CEO"));
    assert_eq!(locating.events(), []);

    let mut h = logged_in(vec![]);
    h.events();
    h.sent();
    let known = h.core.presence.len();
    for n in 0..10_000 {
        h.beacon(presence_beacon(n + 1, &format!("CEO{n}")));
    }
    h.beacon(presence_beacon(20_000, "alice"));
    assert_eq!(h.events(), []);
    assert_eq!(h.sent(), [], "a beacon makes the coordinator do nothing");
    assert_eq!(h.core.presence.len(), known);
}

#[test]
fn presence_from_the_coordinator_is_reported_once_per_change() {
    let mut h = logged_in(vec![]);
    h.events();
    let bob = user("bob", "Bob", PresenceStatus::Online);
    h.push(lanchat_net::protocol::Event::Presence(bob.clone()));
    assert_eq!(h.events(), [Event::Presence(bob.clone())]);
    // A second session of bob logging in is not news.
    h.push(lanchat_net::protocol::Event::Presence(bob.clone()));
    assert_eq!(h.events(), []);

    // A user list is shown as a list; what it says is remembered, not repeated as changes.
    h.command(crate::api::Command::Users);
    let asked: Vec<_> = h
        .sent()
        .into_iter()
        .filter(|f| matches!(f.request, Request::Users { .. }))
        .collect();
    let away = user("bob", "Bob", PresenceStatus::Away);
    let carol = user("carol", "Carol", PresenceStatus::Offline);
    h.reply(
        asked[0].id,
        Ok(Reply::Users {
            users: vec![away.clone(), carol],
            next: None,
        }),
    );
    let events = h.events();
    assert!(
        matches!(events.as_slice(), [Event::Users(list)] if list.len() == 2),
        "only the list: {events:?}"
    );
    h.push(lanchat_net::protocol::Event::Presence(away));
    assert_eq!(h.events(), []);
    let renamed = user("bob", "Bob Smith", PresenceStatus::Away);
    h.push(lanchat_net::protocol::Event::Presence(renamed.clone()));
    assert_eq!(h.events(), [Event::Presence(renamed)]);
}
