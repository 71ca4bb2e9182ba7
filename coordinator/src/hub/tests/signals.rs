//! Typing indicators, read receipts and the settings that turn them off.
use super::*;
use lanchat_net::protocol::{Setting, Settings};

fn typing(hub: &mut Hub, c: &Client, conv: ConvRef, now: i64) -> Result<Reply, Refusal> {
    hub.handle(c.sid, Request::Typing { conv }, now)
}

fn set(hub: &mut Hub, c: &Client, setting: Setting, on: bool) {
    req(hub, c, Request::SetSetting { setting, on }).unwrap();
}

fn typing_events(c: &mut Client) -> Vec<(ConvRef, String)> {
    events(c)
        .into_iter()
        .filter_map(|e| match e {
            Event::Typing { conv, user } => Some((conv, user)),
            _ => None,
        })
        .collect()
}

#[test]
fn typing_reaches_the_others_a_few_times_however_often_it_is_sent() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let mut a = connect(&mut hub, alice);
    let mut b = connect(&mut hub, bob);
    send(&mut hub, &a, dm("bob"), "hi").unwrap();
    drain(&mut a.rx);
    drain(&mut b.rx);
    let now = now_ms();
    // A modified client: a thousand notices in one second, in a DM and in #general.
    for i in 0..1000 {
        typing(&mut hub, &a, dm("bob"), now + i).unwrap();
        typing(&mut hub, &a, room("general"), now + i).unwrap();
    }
    let got = typing_events(&mut b);
    assert_eq!(
        got,
        [
            (dm("alice"), "alice".to_string()),
            (room("general"), "alice".to_string())
        ],
        "one each"
    );
    assert!(typing_events(&mut a).is_empty(), "never to oneself");
    // Seconds later, again.
    typing(&mut hub, &a, dm("bob"), now + 4000).unwrap();
    assert_eq!(typing_events(&mut b).len(), 1);
    // Nobody to tell in a DM nobody wrote in, and nothing is created for it.
    let carol = user(&mut hub, "carol");
    let _c = connect(&mut hub, carol);
    typing(&mut hub, &a, dm("carol"), now + 9000).unwrap();
    assert!(!summaries(&mut hub, &a)
        .iter()
        .any(|s| s.conv == dm("carol")));
}

#[test]
fn typing_indicators_off_neither_tell_nor_are_told() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let mut a = connect(&mut hub, alice);
    let mut b = connect(&mut hub, bob);
    set(&mut hub, &b, Setting::Typing, false);
    assert_eq!(
        events(&mut b),
        [Event::Settings(Settings {
            typing: false,
            receipts: true
        })]
    );
    let now = now_ms();
    typing(&mut hub, &a, room("general"), now).unwrap();
    assert!(typing_events(&mut b).is_empty());
    typing(&mut hub, &b, room("general"), now).unwrap();
    assert!(typing_events(&mut a).is_empty());
    // Kept for the next login.
    hub.close_session(b.sid);
    let (_, login) = connect_with(&mut hub, bob, OUTBOX_CAPACITY);
    let Reply::LoggedIn { settings, .. } = login else {
        panic!("{login:?}")
    };
    assert!(!settings.typing && settings.receipts);
}

#[test]
fn read_receipts_in_a_direct_conversation_when_both_have_them_on() {
    let mut hub = hub();
    let (alice, bob) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let mut a = connect(&mut hub, alice);
    let b = connect(&mut hub, bob);
    let seq = sent_seq(send(&mut hub, &a, dm("bob"), "did you see it?"));
    drain(&mut a.rx);
    let read = |hub: &mut Hub, seq| {
        req(
            hub,
            &b,
            Request::MarkRead {
                conv: dm("alice"),
                seq,
            },
        )
        .unwrap()
    };
    read(&mut hub, seq);
    assert!(events(&mut a).contains(&Event::Seen {
        conv: dm("bob"),
        user: "bob".into(),
        seq
    }));
    assert_eq!(
        summary_of(&summaries(&mut hub, &a), &dm("bob")).peer_read,
        Some(seq)
    );
    // Reading the same again tells nothing new.
    read(&mut hub, seq);
    assert!(!events(&mut a)
        .iter()
        .any(|e| matches!(e, Event::Seen { .. })));
    // Off on either side: neither tells.
    set(&mut hub, &a, Setting::Receipts, false);
    drain(&mut a.rx);
    let next = sent_seq(send(&mut hub, &a, dm("bob"), "and this?"));
    read(&mut hub, next);
    assert!(!events(&mut a)
        .iter()
        .any(|e| matches!(e, Event::Seen { .. })));
    assert_eq!(
        summary_of(&summaries(&mut hub, &a), &dm("bob")).peer_read,
        None
    );
    assert_eq!(
        summary_of(&summaries(&mut hub, &b), &dm("alice")).peer_read,
        None
    );
    // Never in rooms.
    set(&mut hub, &a, Setting::Receipts, true);
    drain(&mut a.rx);
    let in_room = sent_seq(send(&mut hub, &a, room("general"), "all"));
    req(
        &mut hub,
        &b,
        Request::MarkRead {
            conv: room("general"),
            seq: in_room,
        },
    )
    .unwrap();
    assert!(!events(&mut a)
        .iter()
        .any(|e| matches!(e, Event::Seen { .. })));
}
