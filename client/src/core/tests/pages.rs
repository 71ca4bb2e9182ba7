//! Lists that come a page at a time reach the front end as one event: by hand (each page's
//! cursor asked for in turn, the gathering bounded) and against a real hub.
use lanchat_net::protocol::{
    Event as Push, FileOffer, MemberInfo, OfferEntry, RoomInfo, MAX_LIST_PAGE, MAX_SEARCH_PAGE,
};

use super::hub::{explicit_to, register, Office, NOW_MS};
use super::*;
use crate::api::Command;
use crate::core::MAX_GATHERED;
use lanchat_coordinator::hub::{MAX_OFFERS_PER_RECIPIENT, MAX_OFFERS_PER_SENDER};

fn logged_in() -> Harness {
    alice_logged_in().0
}

fn rooms(names: &[&str]) -> Vec<RoomInfo> {
    names
        .iter()
        .map(|n| RoomInfo {
            name: n.to_string(),
            topic: String::new(),
            members: 1,
            private: false,
            archived: false,
        })
        .collect()
}

fn only(frames: Vec<ClientFrame>) -> ClientFrame {
    assert_eq!(frames.len(), 1, "{frames:?}");
    frames.into_iter().next().unwrap()
}

#[test]
fn rooms_are_asked_for_page_after_page_and_told_once() {
    let mut h = logged_in();
    h.command(Command::ListRooms);
    let first = only(h.sent());
    assert_eq!(first.request, Request::ListRooms { after: None });
    h.reply(
        first.id,
        Ok(Reply::Rooms {
            rooms: rooms(&["a", "b"]),
            next: Some("b".into()),
        }),
    );
    assert_eq!(h.events(), [], "nothing until the list is whole");
    let second = only(h.sent());
    assert_eq!(
        second.request,
        Request::ListRooms {
            after: Some("b".into())
        }
    );
    h.reply(
        second.id,
        Ok(Reply::Rooms {
            rooms: rooms(&["c"]),
            next: None,
        }),
    );
    assert_eq!(h.events(), [Event::Rooms(rooms(&["a", "b", "c"]))]);
    assert_eq!(h.sent(), []);
}

#[test]
fn members_pages_carry_the_room_and_the_cursor() {
    let mut h = logged_in();
    h.command(Command::Members("Dev".into()));
    let first = only(h.sent());
    let member = |name: &str| MemberInfo {
        username: name.into(),
        display: name.into(),
        role: Role::Member,
        status: PresenceStatus::Offline,
    };
    h.reply(
        first.id,
        Ok(Reply::Members {
            name: "dev".into(),
            members: vec![member("a")],
            next: Some(41),
        }),
    );
    let second = only(h.sent());
    assert_eq!(
        second.request,
        Request::Members {
            name: "dev".into(),
            after: 41
        }
    );
    h.reply(
        second.id,
        Ok(Reply::Members {
            name: "dev".into(),
            members: vec![member("b")],
            next: None,
        }),
    );
    assert_eq!(
        h.events(),
        [Event::Members {
            room: "dev".into(),
            members: vec![member("a"), member("b")]
        }]
    );
}

#[test]
fn a_search_pages_until_it_has_enough() {
    let mut h = logged_in();
    h.command(Command::Search("report".into()));
    let first = only(h.sent());
    assert!(matches!(
        first.request,
        Request::Search { limit, before: None, .. } if limit == MAX_SEARCH_PAGE
    ));
    // The coordinator found fewer than a page in what it looked at, and says where to go on.
    let hits = |from: u64, n: u64| -> Vec<ChatMessage> {
        (from..from + n)
            .map(|s| message(room("general"), s))
            .collect()
    };
    h.reply(
        first.id,
        Ok(Reply::SearchResults {
            messages: hits(100, 30),
            next: Some(7),
        }),
    );
    let second = only(h.sent());
    assert!(matches!(
        second.request,
        Request::Search {
            limit: 20,
            before: Some(7),
            ..
        }
    ));
    h.reply(
        second.id,
        Ok(Reply::SearchResults {
            messages: hits(1, 20),
            next: Some(1),
        }),
    );
    assert_eq!(h.sent(), [], "50 found: no more pages");
    let found = h.events().into_iter().find_map(|e| match e {
        Event::SearchResults { query, messages } => Some((query, messages.len())),
        _ => None,
    });
    assert_eq!(found, Some(("report".into(), 50)));
}

#[test]
fn gathering_stops_at_its_bound_and_says_so() {
    let mut h = logged_in();
    h.command(Command::Users);
    let page = |i: usize| -> Vec<UserInfo> {
        (0..MAX_LIST_PAGE as usize)
            .map(|j| UserInfo {
                username: format!("u{i}-{j}"),
                display: "x".into(),
                status: PresenceStatus::Offline,
            })
            .collect()
    };
    let mut asked = 0;
    loop {
        let frames = h.sent();
        let Some(frame) = frames.into_iter().next() else {
            break;
        };
        asked += 1;
        assert!(
            asked <= MAX_GATHERED / MAX_LIST_PAGE as usize,
            "never stops"
        );
        h.reply(
            frame.id,
            Ok(Reply::Users {
                users: page(asked),
                next: Some(format!("u{asked}")),
            }),
        );
    }
    let events = h.events();
    let told = events.iter().find_map(|e| match e {
        Event::Users(users) => Some(users.len()),
        _ => None,
    });
    assert_eq!(told, Some(MAX_GATHERED));
    assert!(events.iter().any(|e| matches!(e,
        Event::Error { message, command: Some(c), .. }
            if c == "who" && message.contains("longer than"))));
}

#[test]
fn offers_that_waited_for_the_login_are_read_page_by_page() {
    let (mut h, after_login) = alice_logged_in();
    let asked = only(after_login);
    assert_eq!(asked.request, Request::PendingOffers { after: 0 });
    let offer = |id: u64| FileOffer {
        id,
        from: "bob".into(),
        to: "alice".into(),
        files: vec![OfferEntry {
            path: vec![format!("f{id}")],
            size: 1,
        }],
        size: 1,
    };
    h.reply(
        asked.id,
        Ok(Reply::Offers {
            offers: vec![offer(3), offer(9)],
            next: Some(9),
        }),
    );
    let again = only(h.sent());
    assert_eq!(again.request, Request::PendingOffers { after: 9 });
    // A live offer that comes meanwhile, then the same one in the next page: told once.
    h.push(Push::FileOffer(offer(12)));
    h.reply(
        again.id,
        Ok(Reply::Offers {
            offers: vec![offer(12)],
            next: None,
        }),
    );
    let offered: Vec<u64> = h
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::FileOffered(o) => Some(o.id),
            _ => None,
        })
        .collect();
    assert_eq!(offered, [3, 9, 12]);
    assert_eq!(h.sent(), []);
}

/// A real hub with more rooms than fit in one page (and more offers waiting than one page
/// holds): the client gathers them all.
#[test]
fn against_a_real_hub_every_room_and_every_waiting_offer_arrives() {
    let offices = [Office::new("office", "10.0.0.1:7117")];
    let mut alice = explicit_to(&offices[0]);
    register(&mut alice, &offices, "alice");
    let total = MAX_LIST_PAGE as usize * 2 + 7;
    for i in 0..total {
        alice.h.command(Command::CreateRoom(format!("room-{i:03}")));
    }
    alice.step(&offices, NOW_MS);
    alice.h.events();
    alice.h.command(Command::ListRooms);
    alice.step(&offices, NOW_MS);
    let listed = alice.h.events().into_iter().find_map(|e| match e {
        Event::Rooms(rooms) => Some(rooms.len()),
        _ => None,
    });
    assert_eq!(listed, Some(total + 1), "every room and #general");

    // Five senders try to bury bob in offers while he is away: each may have 50 waiting, bob
    // 200 in all, and the rest are refused with the reason.
    let mut bob = explicit_to(&offices[0]);
    register(&mut bob, &offices, "bob");
    bob.h.command(Command::Shutdown);
    bob.step(&offices, NOW_MS);
    let mut refusals = Vec::new();
    for s in 0..5 {
        let mut sender = explicit_to(&offices[0]);
        register(&mut sender, &offices, &format!("sender{s}"));
        for i in 0..MAX_OFFERS_PER_SENDER + 1 {
            let job = crate::core::ScanJob {
                to: "bob".into(),
                paths: vec![format!("/tmp/f{s}-{i}").into()],
                name: None,
            };
            let scanned = crate::core::Scanned {
                files: vec![OfferEntry {
                    path: vec![format!("f{s}-{i}")],
                    size: 10,
                }],
                sources: job.paths.clone(),
                skipped: vec![],
            };
            sender.h.core.handle_scanned(job, Ok(scanned));
        }
        sender.step(&offices, NOW_MS);
        refusals.extend(sender.h.events().into_iter().filter_map(|e| match e {
            Event::Error {
                code: Some(ErrorCode::QuotaExceeded),
                message,
                ..
            } => Some(message),
            _ => None,
        }));
    }
    let sender_cap = refusals.iter().filter(|m| m.contains("you have")).count();
    let recipient_cap = refusals.iter().filter(|m| m.contains("bob has")).count();
    assert_eq!((sender_cap, recipient_cap), (4, 51), "{refusals:?}");
    let mut bob = explicit_to(&offices[0]);
    bob.h.command(Command::Login {
        username: "bob".into(),
        password: super::hub::PASSWORD.into(),
    });
    bob.step(&offices, NOW_MS);
    let offered = bob
        .h
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::FileOffered(_)))
        .count();
    assert_eq!(offered, MAX_OFFERS_PER_RECIPIENT);
    assert!(bob.h.core.is_logged_in());
}
