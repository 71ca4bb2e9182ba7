//! Files: person-to-person offers (accept, deny, cancel, offline recipient, direct and
//! relayed, several at once), corruption, resume, hostile names, and room shares.
use std::path::{Path, PathBuf};

use lanchat_client::{Command, EngineConfig, Event, TransferKey};
use lanchat_net::protocol::{ErrorCode, FileOffer, MessageKind};

use crate::support::*;

/// A client that does not accept direct connections (files come through the relay).
fn relay_only(lan: &Lan, name: &str) -> Client {
    let mut c = Client::start_config(name, tempfile::tempdir().unwrap(), |dir| EngineConfig {
        data_dir: dir.to_path_buf(),
        discovery: Some(lan.discovery()),
        coordinator: None,
        accept_new_fingerprint: false,
        trust_first_contact: true,
        trusted: Vec::new(),
        hints: Vec::new(),
        client_name: format!("test-{name}"),
        peer_listen: None,
        remember_session: false,
    });
    c.send(Command::Register {
        username: name.into(),
        password: PASSWORD.into(),
    });
    c.ready();
    c
}

fn offer_to(
    sender: &mut Client,
    receiver: &mut Client,
    path: &Path,
    name: Option<&str>,
) -> FileOffer {
    sender.send(Command::SendFile {
        to: receiver.name.clone(),
        path: path.to_path_buf(),
        name: name.map(str::to_string),
    });
    let sent = sender.wait("offer sent", |e| match e {
        Event::OfferSent(o) => Some(o.clone()),
        _ => None,
    });
    let got = receiver.wait("offer", |e| match e {
        Event::FileOffered(o) if o.id == sent.id => Some(o.clone()),
        _ => None,
    });
    assert_eq!(got, sent);
    got
}

struct Done {
    path: Option<PathBuf>,
    moved: u64,
    direct: Option<bool>,
}

fn done(c: &mut Client, key: TransferKey) -> Done {
    // The transfer may have ended while the test waited for something else.
    c.seen_or_wait(&format!("{key} done"), |e| match e {
        Event::TransferDone {
            key: k,
            path,
            moved,
            direct,
            ..
        } if *k == key => Some(Done {
            path: path.clone(),
            moved: *moved,
            direct: *direct,
        }),
        Event::TransferFailed { key: k, reason, .. } if *k == key => {
            panic!("{key} failed: {reason}")
        }
        _ => None,
    })
}

fn failed(c: &mut Client, key: TransferKey) -> String {
    c.seen_or_wait(&format!("{key} failed"), |e| match e {
        Event::TransferFailed { key: k, reason, .. } if *k == key => Some(reason.clone()),
        Event::TransferDone { key: k, .. } if *k == key => panic!("{key} unexpectedly succeeded"),
        _ => None,
    })
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn accepted_offer_moves_directly_and_verifies() {
    let (lan, _coord, dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let src = make_file(dir.path(), "report.pdf", 3 * 1024 * 1024 + 17, 1);
    let offer = offer_to(&mut alice, &mut bob, &src, None);
    assert_eq!(
        (offer.label().as_str(), offer.size),
        ("report.pdf", 3 * 1024 * 1024 + 17)
    );
    let inbox = dir.path().join("bob-inbox");
    assert!(
        files_in(&inbox).is_empty(),
        "nothing is written before accepting"
    );
    bob.send(Command::AcceptOffer {
        id: offer.id,
        dir: inbox.clone(),
    });
    alice.wait("accepted", |e| {
        matches!(e, Event::OfferAnswered { accepted: true, .. }).then_some(())
    });
    let key = TransferKey::Offer(offer.id);
    let got = done(&mut bob, key);
    let sent = done(&mut alice, key);
    assert_eq!(got.direct, Some(true));
    assert_eq!(sent.direct, Some(true));
    let path = got.path.unwrap();
    assert_eq!(path, inbox.join("report.pdf"));
    assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(&src).unwrap());
    assert!(bob
        .seen
        .iter()
        .any(|e| matches!(e, Event::TransferProgress { .. })));
    assert_eq!(files_in(&inbox), ["report.pdf"], "no partial left behind");

    // The same file again: a numbered name, never an overwrite.
    let offer = offer_to(&mut alice, &mut bob, &src, None);
    bob.send(Command::AcceptOffer {
        id: offer.id,
        dir: inbox.clone(),
    });
    let again = done(&mut bob, TransferKey::Offer(offer.id));
    assert_eq!(again.path.unwrap(), inbox.join("report (1).pdf"));
}

#[test]
fn relayed_when_the_recipient_takes_no_direct_connections() {
    let (lan, _coord, dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = relay_only(&lan, "bob");
    let src = make_file(dir.path(), "data.bin", 2 * 1024 * 1024, 2);
    let offer = offer_to(&mut alice, &mut bob, &src, None);
    let inbox = dir.path().join("in");
    bob.send(Command::AcceptOffer {
        id: offer.id,
        dir: inbox.clone(),
    });
    let key = TransferKey::Offer(offer.id);
    let got = done(&mut bob, key);
    assert_eq!(done(&mut alice, key).direct, Some(false));
    assert_eq!(got.direct, Some(false));
    assert_eq!(
        std::fs::read(got.path.unwrap()).unwrap(),
        std::fs::read(&src).unwrap()
    );
}

#[test]
fn deny_and_cancel_by_either_side() {
    let (lan, _coord, dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let small = make_file(dir.path(), "small.txt", 1000, 3);
    let inbox = dir.path().join("in");

    let offer = offer_to(&mut alice, &mut bob, &small, None);
    bob.send(Command::DenyOffer(offer.id));
    let accepted = alice.wait("answer", |e| match e {
        Event::OfferAnswered { id, accepted } if *id == offer.id => Some(*accepted),
        _ => None,
    });
    assert!(!accepted);
    bob.send(Command::AcceptOffer {
        id: offer.id,
        dir: inbox.clone(),
    });
    let (code, _) = bob.wait_error("accept");
    assert_eq!(code, Some(ErrorCode::NoSuchFile), "a denied offer is gone");

    // The sender withdraws before an answer.
    let offer = offer_to(&mut alice, &mut bob, &small, None);
    alice.send(Command::CancelOffer(offer.id));
    let by = bob.wait("cancelled", |e| match e {
        Event::OfferCancelled { id, by } if *id == offer.id => Some(by.clone()),
        _ => None,
    });
    assert_eq!(by, "alice");

    // The recipient cancels in the middle of a big transfer.
    let big = make_file(dir.path(), "big.bin", 200 * 1024 * 1024, 4);
    let offer = offer_to(&mut alice, &mut bob, &big, None);
    bob.send(Command::AcceptOffer {
        id: offer.id,
        dir: inbox.clone(),
    });
    bob.wait("progress", |e| {
        matches!(e, Event::TransferProgress { done, .. } if *done > 0).then_some(())
    });
    bob.send(Command::CancelOffer(offer.id));
    alice.wait("cancelled", |e| {
        matches!(e, Event::OfferCancelled { id, .. } if *id == offer.id).then_some(())
    });
    bob.wait("cancelled", |e| {
        matches!(e, Event::OfferCancelled { id, .. } if *id == offer.id).then_some(())
    });
    // Chat still works, and nothing of the cancelled file is kept.
    alice.say_acked(&general(), "after cancel");
    bob.wait_message("after cancel");
    assert!(
        files_in(&inbox).iter().all(|f| !f.starts_with("big")),
        "{:?}",
        files_in(&inbox)
    );
    assert!(
        files_in(&inbox).iter().all(|f| !f.ends_with(".part")),
        "{:?}",
        files_in(&inbox)
    );
}

#[test]
fn offer_to_an_offline_user_waits_for_their_login() {
    let (lan, _coord, dir) = office();
    let bob = Client::register(&lan, "bob");
    drop(bob);
    let mut alice = Client::register(&lan, "alice");
    let src = make_file(dir.path(), "minutes.txt", 5000, 5);
    alice.send(Command::SendFile {
        to: "bob".into(),
        path: src.clone(),
        name: None,
    });
    let offer = alice.wait("offer sent", |e| match e {
        Event::OfferSent(o) => Some(o.clone()),
        _ => None,
    });
    let (mut bob, _) = Client::login(&lan, "bob");
    let got = bob.seen_or_wait("offer at login", |e| match e {
        Event::FileOffered(o) => Some(o.clone()),
        _ => None,
    });
    assert_eq!(got.id, offer.id);
    bob.send(Command::AcceptOffer {
        id: offer.id,
        dir: dir.path().join("in"),
    });
    let d = done(&mut bob, TransferKey::Offer(offer.id));
    assert_eq!(
        std::fs::read(d.path.unwrap()).unwrap(),
        std::fs::read(&src).unwrap()
    );
}

#[test]
fn two_transfers_both_ways_while_chat_flows() {
    let (lan, _coord, dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let a = make_file(dir.path(), "from-alice.bin", 48 * 1024 * 1024, 6);
    let b = make_file(dir.path(), "from-bob.bin", 48 * 1024 * 1024, 7);
    let to_bob = offer_to(&mut alice, &mut bob, &a, None);
    let to_alice = offer_to(&mut bob, &mut alice, &b, None);
    bob.send(Command::AcceptOffer {
        id: to_bob.id,
        dir: dir.path().join("bob-in"),
    });
    alice.send(Command::AcceptOffer {
        id: to_alice.id,
        dir: dir.path().join("alice-in"),
    });
    // Chat keeps moving while both files are in flight.
    bob.wait("progress", |e| {
        matches!(e, Event::TransferProgress { .. }).then_some(())
    });
    for i in 0..10 {
        alice.say_acked(&general(), &format!("chatting {i}"));
    }
    bob.wait_message("chatting 9");
    let got_b = done(&mut bob, TransferKey::Offer(to_bob.id));
    let got_a = done(&mut alice, TransferKey::Offer(to_alice.id));
    assert_eq!(
        std::fs::read(got_b.path.unwrap()).unwrap(),
        std::fs::read(&a).unwrap()
    );
    assert_eq!(
        std::fs::read(got_a.path.unwrap()).unwrap(),
        std::fs::read(&b).unwrap()
    );
}

/// The hash follows the data, computed while reading for the send: a file that changes
/// after it was offered still arrives verified (as it was when read), but one that became
/// shorter than offered cannot be sent, and says so; nothing appears in the folder.
#[test]
fn a_file_that_shrinks_after_it_was_offered_fails_with_the_reason() {
    let (lan, _coord, dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let src = make_file(dir.path(), "ledger.xlsx", 1024 * 1024, 8);
    let offer = offer_to(&mut alice, &mut bob, &src, None);
    let bytes = std::fs::read(&src).unwrap();
    std::fs::write(&src, &bytes[..500_000]).unwrap();
    let inbox = dir.path().join("in");
    bob.send(Command::AcceptOffer {
        id: offer.id,
        dir: inbox.clone(),
    });
    let key = TransferKey::Offer(offer.id);
    let reason = failed(&mut alice, key);
    assert!(
        reason.contains("ledger.xlsx") && reason.contains("shorter"),
        "{reason}"
    );
    assert!(
        files_in(&inbox)
            .iter()
            .all(|f| f.starts_with(".lanchat-offer-")),
        "nothing in place: {:?}",
        files_in(&inbox)
    );
}

#[test]
fn resume_sends_only_what_is_missing_and_a_bad_partial_starts_over() {
    let (lan, _coord, dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let size = 4 * 1024 * 1024 + 3;
    let src = make_file(dir.path(), "image.iso", size, 9);
    let inbox = dir.path().join("in");
    std::fs::create_dir_all(&inbox).unwrap();
    let content = std::fs::read(&src).unwrap();
    // Where the offer's first file gathers until it is verified.
    let partial = |offer: &FileOffer| {
        let staging = inbox.join(lanchat_net::transfer::staging_name(offer));
        std::fs::create_dir_all(&staging).unwrap();
        staging.join("0")
    };

    // What an interrupted transfer left: the first 1.5 MiB.
    let held = 3 * 512 * 1024;
    let offer = offer_to(&mut alice, &mut bob, &src, None);
    std::fs::write(partial(&offer), &content[..held]).unwrap();
    bob.send(Command::AcceptOffer {
        id: offer.id,
        dir: inbox.clone(),
    });
    let d = done(&mut bob, TransferKey::Offer(offer.id));
    assert_eq!(
        d.moved,
        (size - held) as u64,
        "only the missing part travelled"
    );
    assert_eq!(std::fs::read(d.path.unwrap()).unwrap(), content);

    // A partial whose bytes are wrong is detected by its hash and not trusted.
    let mut bad = content[..held].to_vec();
    bad[10] ^= 1;
    let offer = offer_to(&mut alice, &mut bob, &src, None);
    std::fs::write(partial(&offer), bad).unwrap();
    bob.send(Command::AcceptOffer {
        id: offer.id,
        dir: inbox.clone(),
    });
    let d = done(&mut bob, TransferKey::Offer(offer.id));
    assert_eq!(d.moved, size as u64, "started over");
    assert_eq!(std::fs::read(d.path.unwrap()).unwrap(), content);
}

#[test]
fn a_transfer_cut_by_the_sender_going_away_resumes_when_it_comes_back() {
    let (lan, _coord, dir) = office();
    let alice_data = tempfile::tempdir().unwrap();
    let mut alice = Client::start_in(&lan, "alice", alice_data);
    alice.send(Command::Register {
        username: "alice".into(),
        password: PASSWORD.into(),
    });
    alice.ready();
    let mut bob = Client::register(&lan, "bob");
    let size = 160 * 1024 * 1024;
    let src = make_file(dir.path(), "backup.tar", size, 10);
    let inbox = dir.path().join("in");
    let offer = offer_to(&mut alice, &mut bob, &src, None);
    bob.send(Command::AcceptOffer {
        id: offer.id,
        dir: inbox.clone(),
    });
    bob.wait("some bytes", |e| {
        matches!(e, Event::TransferProgress { done, .. } if *done >= 8 * 1024 * 1024).then_some(())
    });
    drop(alice); // the sender's machine goes away mid-transfer
    let (mut alice, _) = Client::login(&lan, "alice");
    let offer = offer_to(&mut alice, &mut bob, &src, None);
    bob.send(Command::AcceptOffer {
        id: offer.id,
        dir: inbox.clone(),
    });
    let d = done(&mut bob, TransferKey::Offer(offer.id));
    assert!(
        d.moved < size as u64,
        "resumed: moved {} of {size}",
        d.moved
    );
    assert_eq!(
        std::fs::read(d.path.unwrap()).unwrap(),
        std::fs::read(&src).unwrap()
    );
}

#[test]
fn hostile_names_stay_inside_the_download_directory() {
    let (lan, _coord, dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let src = make_file(dir.path(), "payload", 100, 11);
    let inbox = dir.path().join("in");
    // Shown beside the sender's name, a name with control or direction-changing characters
    // is refused by the coordinator, and so is a name that is a path (the receiver's
    // sanitizer and layout remove them too: unit-tested in `net::transfer::manifest` and
    // `names`, attacked with a modified sender in `net::transfer::offer`'s tests).
    for (refused, why) in [
        ("a\0b", "direction-changing"),
        ("two\nlines.txt", "direction-changing"),
        ("invoice\u{202E}fdp.exe", "direction-changing"),
        ("../../etc/passwd", "/ or \\"),
        ("/abs", "/ or \\"),
        ("C:\\x", "/ or \\"),
        ("..", ". or .."),
    ] {
        alice.send(Command::SendFile {
            to: "bob".into(),
            path: src.clone(),
            name: Some(refused.into()),
        });
        let (code, message) = alice.wait_error("send");
        assert_eq!(code, Some(ErrorCode::BadRequest), "{refused:?}");
        assert!(message.contains(why), "{refused:?}: {message}");
    }
    for hostile in ["CON", "trailing. . ", "C:x", "a<b>|c?.txt"] {
        let offer = offer_to(&mut alice, &mut bob, &src, Some(hostile));
        assert_eq!(
            offer.label(),
            hostile,
            "the name travels as given; the receiver cleans it"
        );
        bob.send(Command::AcceptOffer {
            id: offer.id,
            dir: inbox.clone(),
        });
        let path = done(&mut bob, TransferKey::Offer(offer.id)).path.unwrap();
        assert_eq!(
            path.parent(),
            Some(inbox.as_path()),
            "{hostile:?} → {}",
            path.display()
        );
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.contains(['/', '\\', '\0', '\n', ':', '<', '|'])
                && name != ".."
                && !name.ends_with(['.', ' ']),
            "{name:?}"
        );
    }
    assert!(!dir.path().join("etc").exists());
}

#[test]
fn room_share_is_kept_for_members_who_were_offline_and_stored_once() {
    let (lan, coord, dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let bob = Client::register(&lan, "bob");
    drop(bob);
    let src = make_file(dir.path(), "handbook.pdf", 2 * 1024 * 1024 + 1, 12);
    alice.send(Command::ShareFile {
        conv: general(),
        path: src.clone(),
    });
    let shared = alice.wait("file message", |e| match e {
        Event::Message { message, .. } if message.kind == MessageKind::File => message.file.clone(),
        _ => None,
    });
    assert_eq!(
        (shared.name.as_str(), shared.uploader.as_str()),
        ("handbook.pdf", "alice")
    );

    // bob was offline; he sees the file message in his catch-up and downloads it.
    let (mut bob, _) = Client::login(&lan, "bob");
    let seen = bob.wait("file message", |e| match e {
        Event::Message { message, .. } if message.kind == MessageKind::File => message.file.clone(),
        _ => None,
    });
    assert_eq!(seen, shared);
    let inbox = dir.path().join("bob-in");
    bob.send(Command::Download {
        file: shared.id,
        dir: inbox.clone(),
    });
    let d = done(&mut bob, TransferKey::Download(shared.id));
    assert_eq!(d.path.unwrap(), inbox.join("handbook.pdf"));
    assert_eq!(
        std::fs::read(inbox.join("handbook.pdf")).unwrap(),
        std::fs::read(&src).unwrap()
    );

    // Shared again (same content, another name): no upload, one blob on disk.
    let copy = dir.path().join("handbook-copy.pdf");
    std::fs::copy(&src, &copy).unwrap();
    alice.send(Command::ShareFile {
        conv: general(),
        path: copy,
    });
    let second = alice.wait("second file message", |e| match e {
        Event::Message { message, .. }
            if message.kind == MessageKind::File && message.text == "handbook-copy.pdf" =>
        {
            message.file.clone()
        }
        _ => None,
    });
    assert_ne!(second.id, shared.id);
    let blobs: Vec<_> = walk(&coord.data.join("blobs"))
        .into_iter()
        .filter(|p| p.is_file() && !p.to_string_lossy().contains("partial"))
        .collect();
    assert_eq!(blobs.len(), 1, "{blobs:?}");

    // Somebody not in the conversation cannot fetch it.
    alice.send(Command::CreateRoom("private".into()));
    alice.wait("joined", |e| matches!(e, Event::Joined(_)).then_some(()));
    alice.send(Command::ShareFile {
        conv: room("private"),
        path: src.clone(),
    });
    let private = alice.wait("private file", |e| match e {
        Event::Message { message, .. }
            if message.kind == MessageKind::File && message.conv == room("private") =>
        {
            message.file.clone()
        }
        _ => None,
    });
    bob.send(Command::Download {
        file: private.id,
        dir: inbox.clone(),
    });
    let reason = failed(&mut bob, TransferKey::Download(private.id));
    assert!(reason.contains("not in"), "{reason}");
}

#[test]
fn shares_over_the_limit_are_refused_before_upload() {
    let lan = Lan::new();
    let dir = tempfile::tempdir().unwrap();
    let _coord = CoordinatorProcess::start_with(
        &lan,
        &dir.path().join("c"),
        "small-office",
        &["--max-share-mib", "1"],
    );
    let mut alice = Client::register(&lan, "alice");
    let src = make_file(dir.path(), "too-big.bin", 2 * 1024 * 1024, 13);
    alice.send(Command::ShareFile {
        conv: general(),
        path: src,
    });
    let (code, message) = alice.wait_error("share");
    assert_eq!(code, Some(ErrorCode::TooLarge));
    assert!(
        message.contains("too-big.bin") && message.contains("1048576"),
        "{message}"
    );
    assert!(!alice
        .seen
        .iter()
        .any(|e| matches!(e, Event::TransferProgress { .. })));
}

/// Issue 13: a folder of 1,000 small files (and a loose file beside it) is one offer, moves on
/// one stream, and arrives complete and verified as a folder under the download folder — as
/// `name (1)` when that name is taken; a symbolic link inside is left out, and said so.
#[test]
fn a_folder_of_a_thousand_files_arrives_complete_and_verified_in_one_offer() {
    let (lan, _coord, dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let top = dir.path().join("album");
    let mut expected = Vec::new();
    for i in 0..1000u32 {
        let sub = top.join(format!("part{}", i % 10));
        std::fs::create_dir_all(&sub).unwrap();
        let body: Vec<u8> = (0..4096 + i).map(|b| (b ^ i) as u8).collect();
        std::fs::write(sub.join(format!("{i:04}.jpg")), &body).unwrap();
        expected.push((format!("part{}/{i:04}.jpg", i % 10), body));
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc", top.join("outside")).unwrap();
    let loose = make_file(dir.path(), "notes.txt", 1234, 12);
    let inbox = dir.path().join("in");
    std::fs::create_dir_all(inbox.join("album")).unwrap();
    std::fs::write(inbox.join("album/mine.txt"), b"mine").unwrap();

    alice.send(Command::SendFiles {
        to: "bob".into(),
        paths: vec![top.clone(), loose.clone()],
    });
    #[cfg(unix)]
    {
        let (_, message) = alice.wait_error("send");
        assert!(
            message.contains("album/outside: a symbolic link (not followed)"),
            "{message}"
        );
    }
    let sent = alice.wait("offer sent", |e| match e {
        Event::OfferSent(o) => Some(o.clone()),
        _ => None,
    });
    let offer = bob.wait("offer", |e| match e {
        Event::FileOffered(o) if o.id == sent.id => Some(o.clone()),
        _ => None,
    });
    assert_eq!(offer.files.len(), 1001);
    assert_eq!(offer.top_level(), ["album", "notes.txt"]);
    let total: u64 = expected.iter().map(|(_, b)| b.len() as u64).sum::<u64>() + 1234;
    assert_eq!(offer.size, total);
    bob.send(Command::AcceptOffer {
        id: offer.id,
        dir: inbox.clone(),
    });
    let d = done(&mut bob, TransferKey::Offer(offer.id));
    assert_eq!(
        d.path.as_deref(),
        Some(inbox.as_path()),
        "several: the folder"
    );
    assert_eq!(d.moved, total);
    done(&mut alice, TransferKey::Offer(offer.id));
    assert_eq!(
        std::fs::read(inbox.join("album/mine.txt")).unwrap(),
        b"mine",
        "an existing folder is not merged into"
    );
    for (rel, body) in &expected {
        let got = std::fs::read(inbox.join("album (1)").join(rel)).unwrap();
        assert!(got == *body, "{rel} differs");
    }
    assert_eq!(
        std::fs::read(inbox.join("notes.txt")).unwrap(),
        std::fs::read(&loose).unwrap()
    );
    assert_eq!(
        files_in(&inbox),
        ["album", "album (1)", "notes.txt"],
        "nothing else left behind"
    );
}
