//! File offers (consent, tokens, authorization, bounds, pages) and shared-file uploads
//! (tickets with a nonce whatever is stored, quotas, expiry).
use super::*;
use lanchat_net::protocol::{OfferEntry, UploadTicket};
use lanchat_net::transfer::manifest::MAX_OFFER_FILES;

fn entry(path: &[&str], size: u64) -> OfferEntry {
    OfferEntry {
        path: path.iter().map(|s| s.to_string()).collect(),
        size,
    }
}

fn offer(hub: &mut Hub, from: &Client, to: &str) -> u64 {
    let request = Request::OfferFile {
        to: to.into(),
        files: vec![entry(&["plan.pdf"], 10)],
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
    assert!(hub.relay_allowed(a, id, &[0; 32], true, now_ms()).is_err());

    let token = match hub
        .handle(bob.sid, Request::AnswerOffer { id, accept: true }, now_ms())
        .unwrap()
    {
        Reply::Accepted { token, .. } => token,
        other => panic!("{other:?}"),
    };
    assert!(hub.relay_allowed(a, id, &token, true, now_ms()).is_ok());
    assert!(hub.relay_allowed(b, id, &token, false, now_ms()).is_ok());
    assert!(
        hub.relay_allowed(c, id, &token, true, now_ms()).is_err(),
        "only the parties"
    );
    assert!(
        hub.relay_allowed(b, id, &token, true, now_ms()).is_err(),
        "the recipient is not the sender"
    );
    assert!(
        hub.relay_allowed(a, id, &[1; 32], true, now_ms()).is_err(),
        "only with the token"
    );
    let other = offer(&mut hub, &alice, "bob");
    assert!(
        hub.relay_allowed(a, other, &token, true, now_ms()).is_err(),
        "only for its own offer"
    );

    // Only the recipient completes it; after that the token opens nothing and the offer is
    // not shown again at the next login.
    assert!(hub
        .handle(alice.sid, Request::OfferDone { id }, now_ms())
        .is_err());
    hub.handle(bob.sid, Request::OfferDone { id }, now_ms())
        .unwrap();
    assert!(hub.relay_allowed(a, id, &token, true, now_ms()).is_err());
    hub.close_session(bob.sid);
    let bob = connect_with(&mut hub, b, OUTBOX_CAPACITY).0;
    assert_eq!(
        pending(&mut hub, &bob, 0).0,
        [other],
        "only the pending offer is shown again"
    );
}

/// The offers waiting for `c` after offer `after`: their ids, and where the next page starts.
fn pending(hub: &mut Hub, c: &Client, after: u64) -> (Vec<u64>, Option<u64>) {
    match hub.handle(c.sid, Request::PendingOffers { after }, now_ms()) {
        Ok(Reply::Offers { offers, next }) => (offers.iter().map(|o| o.id).collect(), next),
        other => panic!("{other:?}"),
    }
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
    assert!(hub.upload(a, 1, &[0; 32], now_ms()).is_err());
}

/// The attack of the issue: thousands of offers to an offline user dropped every login of
/// theirs. Now one sender may have 50 waiting, a recipient 200 from everyone, offers expire,
/// and the recipient reads them a page at a time.
#[test]
fn offers_are_bounded_per_sender_and_recipient_and_expire() {
    let mut hub = hub();
    let b = user(&mut hub, "bob");
    let senders: Vec<Client> = (0..5)
        .map(|i| {
            let u = user(&mut hub, &format!("sender{i}"));
            connect(&mut hub, u)
        })
        .collect();
    let t0 = now_ms();
    let offer_at = |hub: &mut Hub, from: &Client, at: i64| {
        let request = Request::OfferFile {
            to: "bob".into(),
            files: vec![entry(&["spam.bin"], 1)],
        };
        hub.handle(from.sid, request, at)
    };
    for _ in 0..MAX_OFFERS_PER_SENDER {
        offer_at(&mut hub, &senders[0], t0).unwrap();
    }
    refused(
        offer_at(&mut hub, &senders[0], t0),
        ErrorCode::QuotaExceeded,
        "you have 50 file offers waiting",
    );
    for s in &senders[1..4] {
        for _ in 0..MAX_OFFERS_PER_SENDER {
            offer_at(&mut hub, s, t0).unwrap();
        }
    }
    refused(
        offer_at(&mut hub, &senders[4], t0),
        ErrorCode::QuotaExceeded,
        "bob has 200 file offers waiting",
    );

    // bob logs in: nothing is pushed at him; he reads one page, then learns it was the last.
    let (mut bob, _) = connect_with(&mut hub, b, 8);
    assert!(
        !events(&mut bob)
            .iter()
            .any(|e| matches!(e, Event::FileOffer(_))),
        "a small outbox survives the login"
    );
    let (first, next) = pending(&mut hub, &bob, 0);
    assert_eq!(first.len(), MAX_OFFERS_PER_RECIPIENT);
    let (rest, end) = pending(
        &mut hub,
        &bob,
        next.expect("a full page says where to go on"),
    );
    assert_eq!((rest.len(), end), (0, None));

    // A day later they have expired: the senders may offer again.
    let later = t0 + OFFER_TTL_MS;
    offer_at(&mut hub, &senders[4], later).unwrap();
    match hub.handle(bob.sid, Request::PendingOffers { after: 0 }, later) {
        Ok(Reply::Offers { offers, next }) => assert_eq!((offers.len(), next), (1, None)),
        other => panic!("{other:?}"),
    }
}

/// A hub that keeps shared files in a temporary folder, with these quotas.
fn sharing_hub(user_quota: u64, total_quota: u64) -> (Hub, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = hub();
    let limits = ShareLimits {
        max_file: 1000,
        user_quota,
        total_quota,
    };
    hub.enable_sharing(crate::blobs::Blobs::new(dir.path().join("blobs")), limits);
    (hub, dir)
}

fn share(hub: &mut Hub, c: &Client, size: u64, hash: [u8; 32], at: i64) -> Result<Reply, Refusal> {
    let request = Request::ShareFile {
        conv: room("general"),
        id: MsgId::random(),
        name: "notes.txt".into(),
        size,
        hash,
    };
    hub.handle(c.sid, request, at)
}

fn ticket(reply: Result<Reply, Refusal>) -> UploadTicket {
    match reply {
        Ok(Reply::ShareReady { ticket }) => ticket,
        other => panic!("expected a ticket, got {other:?}"),
    }
}

/// Knowing a hash is not possessing the content: a share of content the coordinator holds is
/// answered exactly as one of content it does not (a ticket with a fresh nonce), and nothing
/// is posted until an upload stream proves possession or brings the bytes.
#[test]
fn a_share_gets_a_ticket_with_a_fresh_nonce_whatever_is_stored() {
    let (mut hub, _dir) = sharing_hub(10_000, 10_000);
    let a = user(&mut hub, "alice");
    let m = user(&mut hub, "mallory");
    let (alice, mut mallory) = (connect(&mut hub, a), connect(&mut hub, m));
    let content = b"the quarterly numbers";
    let hash = *blake3::hash(content).as_bytes();
    let blobs = hub.blobs().unwrap();
    let partial = blobs.partial(a, &hash).unwrap();
    std::fs::write(&partial, content).unwrap();
    blobs.commit(&partial, &hash).unwrap();
    let now = now_ms();
    let t = ticket(share(&mut hub, &alice, content.len() as u64, hash, now));
    let upload = hub.upload(a, t.id, &t.token, now).unwrap();
    hub.finish_upload(t.id, &upload, now).unwrap();
    drain(&mut mallory.rx);

    // mallory knows the hash and the size, and holds nothing.
    let stored = ticket(share(&mut hub, &mallory, content.len() as u64, hash, now));
    let unknown = ticket(share(
        &mut hub,
        &mallory,
        content.len() as u64,
        [9; 32],
        now,
    ));
    assert_ne!(stored.nonce, t.nonce, "a fresh nonce for every ticket");
    assert_ne!(stored.nonce, unknown.nonce);
    assert!(
        messages(&mut mallory).is_empty(),
        "nothing posted on a claim"
    );
    assert!(
        hub.upload(a, stored.id, &stored.token, now).is_err(),
        "nobody else's ticket"
    );
}

#[test]
fn storage_quotas_count_uploads_in_progress_and_refuse_with_the_numbers() {
    let (mut hub, _dir) = sharing_hub(500, 800);
    let a = user(&mut hub, "alice");
    let b = user(&mut hub, "bob");
    let (alice, bob) = (connect(&mut hub, a), connect(&mut hub, b));
    let now = now_ms();
    ticket(share(&mut hub, &alice, 400, [1; 32], now));
    let e = refused(
        share(&mut hub, &alice, 200, [2; 32], now),
        ErrorCode::QuotaExceeded,
        "your quota is 500 bytes",
    );
    assert!(e.message.contains("600 bytes"), "{}", e.message);
    // The same content again replaces its ticket instead of counting twice.
    ticket(share(&mut hub, &alice, 400, [1; 32], now));
    ticket(share(&mut hub, &bob, 400, [3; 32], now));
    refused(
        share(&mut hub, &bob, 50, [4; 32], now),
        ErrorCode::QuotaExceeded,
        "space for shared files is full (800 of 800 bytes used)",
    );
    // An abandoned partial counts against its uploader until it is swept.
    let later = now + UPLOAD_TTL_MS;
    let partial = hub.blobs().unwrap().partial(b, &[3; 32]).unwrap();
    std::fs::write(&partial, vec![0; 300]).unwrap();
    ticket(share(&mut hub, &alice, 450, [5; 32], later));
    refused(
        share(&mut hub, &bob, 250, [6; 32], later),
        ErrorCode::QuotaExceeded,
        "550 bytes",
    );
}

#[test]
fn uploads_waiting_are_bounded_per_user_and_tickets_expire() {
    let (mut hub, _dir) = sharing_hub(u64::MAX, u64::MAX);
    let a = user(&mut hub, "alice");
    let alice = connect(&mut hub, a);
    let now = now_ms();
    let tickets: Vec<UploadTicket> = (0..MAX_UPLOADS_PER_USER)
        .map(|i| ticket(share(&mut hub, &alice, 10, [i as u8; 32], now)))
        .collect();
    refused(
        share(&mut hub, &alice, 10, [99; 32], now),
        ErrorCode::QuotaExceeded,
        "8 uploads that have not finished",
    );
    let later = now + UPLOAD_TTL_MS;
    let e = hub
        .upload(a, tickets[0].id, &tickets[0].token, later)
        .unwrap_err();
    assert!(e.0.message.contains("expired"), "{}", e.0.message);
    ticket(share(&mut hub, &alice, 10, [99; 32], later));
}

/// A modified client offering what no honest one would: every list out of bounds is refused
/// with the reason, and the lists waiting for one person are bounded in bytes, not only in
/// number, so a page of them still fits in a frame.
#[test]
fn offer_lists_are_bounded_and_pages_of_large_offers_still_fit() {
    let mut hub = hub();
    let (a, b) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let alice = connect(&mut hub, a);
    let offer = |hub: &mut Hub, files: Vec<OfferEntry>| {
        let request = Request::OfferFile {
            to: "bob".into(),
            files,
        };
        hub.handle(alice.sid, request, now_ms())
    };
    let million = vec![entry(&["x"], 1); 1_000_000];
    for (files, why) in [
        (vec![], "at least one file"),
        (vec![entry(&["..", "x"], 1)], ". or .."),
        (vec![entry(&["/etc/passwd"], 1)], "/ or \\"),
        (vec![entry(&["C:", "x"], 1), entry(&["a\\b"], 1)], "/ or \\"),
        (million, "at most 10000 files"),
        (vec![entry(&["a"], u64::MAX), entry(&["b"], 1)], "2^64"),
    ] {
        refused(offer(&mut hub, files), ErrorCode::BadRequest, why);
    }
    // Offers of the largest lists: 10,000 files of 50-byte names each (about 0.6 MB).
    let big = |i: usize| {
        (0..MAX_OFFER_FILES)
            .map(|n| entry(&[&format!("{i}-{n:045}")], 1))
            .collect::<Vec<_>>()
    };
    let mut made = 0;
    while offer(&mut hub, big(made)).is_ok() {
        made += 1;
    }
    assert!((4..10).contains(&made), "{made}");
    refused(
        offer(&mut hub, big(made)),
        ErrorCode::QuotaExceeded,
        "list too many files",
    );
    let (bob, _) = connect_with(&mut hub, b, 64);
    let mut after = 0;
    let mut seen = 0;
    loop {
        let reply = req(&mut hub, &bob, Request::PendingOffers { after }).unwrap();
        let frame = ServerFrame::Reply {
            id: 1,
            result: Ok(reply.clone()),
        };
        lanchat_net::codec::encode(&frame).expect("every page fits in a frame");
        let Reply::Offers { offers, next } = reply else {
            panic!()
        };
        seen += offers.len();
        match next {
            Some(n) => after = n,
            None => break,
        }
    }
    assert_eq!(seen, made);
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
            files: vec![entry(&["photos", name], 10)],
        };
        refused(
            hub.handle(alice.sid, request, now_ms()),
            ErrorCode::BadRequest,
            "direction-changing",
        );
    }
}

/// A file shared in a private room before someone joined is not theirs to fetch (the same
/// refusal as for a room they are not in), and a file whose message is deleted leaves the
/// disk once no other share refers to it.
#[test]
fn files_follow_the_boundaries_of_their_room_and_go_with_their_message() {
    let (mut hub, _dir) = sharing_hub(10_000, 10_000);
    let (a, b) = (user(&mut hub, "alice"), user(&mut hub, "bob"));
    let (alice, bob) = (connect(&mut hub, a), connect(&mut hub, b));
    req(
        &mut hub,
        &alice,
        Request::CreateRoom {
            name: "board".into(),
            private: true,
            full_history: false,
        },
    )
    .unwrap();
    let content = b"minutes of the board";
    let hash = *blake3::hash(content).as_bytes();
    let blobs = hub.blobs().unwrap();
    let partial = blobs.partial(a, &hash).unwrap();
    std::fs::write(&partial, content).unwrap();
    blobs.commit(&partial, &hash).unwrap();
    let now = now_ms();
    let request = Request::ShareFile {
        conv: room("board"),
        id: MsgId::random(),
        name: "minutes.pdf".into(),
        size: content.len() as u64,
        hash,
    };
    let t = ticket(hub.handle(alice.sid, request, now));
    let upload = hub.upload(a, t.id, &t.token, now).unwrap();
    hub.finish_upload(t.id, &upload, now).unwrap();
    let file = before(&mut hub, &alice, room("board"), u64::MAX, 50)
        .into_iter()
        .find_map(|m| m.file.map(|f| (m.seq, f.id)))
        .unwrap();
    let refusal = hub.download(b, file.1).unwrap_err().0;
    assert_eq!(refusal.code, ErrorCode::PermissionDenied);
    req(
        &mut hub,
        &alice,
        Request::Invite {
            name: "board".into(),
            user: "bob".into(),
        },
    )
    .unwrap();
    req(
        &mut hub,
        &bob,
        Request::JoinRoom {
            name: "board".into(),
        },
    )
    .unwrap();
    assert_eq!(hub.download(b, file.1).unwrap_err().0, refusal);
    assert!(hub.download(a, file.1).is_ok());
    req(
        &mut hub,
        &alice,
        Request::Change {
            conv: room("board"),
            id: MsgId::random(),
            target: Some(file.0),
            change: lanchat_net::protocol::ChangeRequest::Delete,
        },
    )
    .unwrap();
    assert_eq!(
        blobs.stored_size(&hash),
        None,
        "no share refers to it any more"
    );
    assert_eq!(
        hub.download(a, file.1).unwrap_err().0.code,
        ErrorCode::NoSuchFile
    );
}
