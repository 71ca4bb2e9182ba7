//! File offers (consent, tokens, authorization) and shared-file uploads.
use super::*;

fn offer(hub: &mut Hub, from: &Client, to: &str) -> u64 {
    let request = Request::OfferFile {
        to: to.into(),
        name: "plan.pdf".into(),
        size: 10,
        hash: [7; 32],
    };
    match hub.handle(from.sid, request, now_ms()).unwrap() {
        Reply::Offered(o) => o.id,
        other => panic!("{other:?}"),
    }
}

#[test]
fn offer_tokens_work_once_and_only_for_their_offer_and_party() {
    let mut hub = hub();
    let (a, b, c) = (
        user(&mut hub, "alice"),
        user(&mut hub, "bob"),
        user(&mut hub, "carol"),
    );
    let (alice, mut bob, carol) = (
        connect(&mut hub, a),
        connect(&mut hub, b),
        connect(&mut hub, c),
    );
    let id = offer(&mut hub, &alice, "bob");
    assert!(events(&mut bob)
        .iter()
        .any(|e| matches!(e, Event::FileOffer(o) if o.id == id)));

    // Nobody but the recipient may answer; an unaccepted offer opens no relay.
    let err = hub
        .handle(
            carol.sid,
            Request::AnswerOffer { id, accept: true },
            now_ms(),
        )
        .unwrap_err();
    assert_eq!(err.0.code, ErrorCode::NoSuchFile);
    assert!(hub.relay_allowed(a, id, &[0; 32], true).is_err());

    let token = match hub
        .handle(bob.sid, Request::AnswerOffer { id, accept: true }, now_ms())
        .unwrap()
    {
        Reply::Accepted { token, .. } => token,
        other => panic!("{other:?}"),
    };
    assert!(hub.relay_allowed(a, id, &token, true).is_ok());
    assert!(hub.relay_allowed(b, id, &token, false).is_ok());
    assert!(
        hub.relay_allowed(c, id, &token, true).is_err(),
        "only the parties"
    );
    assert!(
        hub.relay_allowed(b, id, &token, true).is_err(),
        "the recipient is not the sender"
    );
    assert!(
        hub.relay_allowed(a, id, &[1; 32], true).is_err(),
        "only with the token"
    );
    let other = offer(&mut hub, &alice, "bob");
    assert!(
        hub.relay_allowed(a, other, &token, true).is_err(),
        "only for its own offer"
    );

    // Only the recipient completes it; after that the token opens nothing and the offer is
    // not shown again at the next login.
    assert!(hub
        .handle(alice.sid, Request::OfferDone { id }, now_ms())
        .is_err());
    hub.handle(bob.sid, Request::OfferDone { id }, now_ms())
        .unwrap();
    assert!(hub.relay_allowed(a, id, &token, true).is_err());
    hub.close_session(bob.sid);
    let mut bob = connect_with(&mut hub, b, OUTBOX_CAPACITY).0;
    let offers: Vec<u64> = events(&mut bob)
        .into_iter()
        .filter_map(|e| match e {
            Event::FileOffer(o) => Some(o.id),
            _ => None,
        })
        .collect();
    assert_eq!(offers, [other], "only the pending offer is shown again");
}

#[test]
fn sender_logout_withdraws_offers_and_uploads_need_their_ticket() {
    let mut hub = hub();
    let (a, b) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let (alice, mut bob) = (connect(&mut hub, a), connect(&mut hub, b));
    let id = offer(&mut hub, &alice, "bob");
    drain(&mut bob.rx);
    hub.withdraw_offers_of(a);
    assert!(events(&mut bob)
        .iter()
        .any(|e| matches!(e, Event::OfferCancelled { id: i, by } if *i == id && by == "alice")));
    assert!(hub.upload(a, 1, &[0; 32]).is_err());
}

/// Names shown beside the sender's: nothing that fakes an extension or a line.
#[test]
fn file_names_that_reorder_or_control_the_display_are_refused() {
    let mut hub = hub();
    let (a, _) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let alice = connect(&mut hub, a);
    for name in [
        "invoice\u{202E}fdp.exe",
        "a\rb.txt",
        "\u{1b}]52;c;eA==\u{7}.txt",
    ] {
        let request = Request::OfferFile {
            to: "bob".into(),
            name: name.into(),
            size: 10,
            hash: [7; 32],
        };
        refused(
            hub.handle(alice.sid, request, now_ms()),
            ErrorCode::BadRequest,
            "direction-changing",
        );
    }
}
