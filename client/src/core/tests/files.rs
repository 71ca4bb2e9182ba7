//! Offers both ways and shares: which tasks the core starts, and which streams may deliver.
use std::path::PathBuf;

use lanchat_net::protocol::{Event as Push, FileOffer, OfferEntry, UploadTicket};
use lanchat_net::transfer::staging_name;

use super::*;
use crate::api::{Command, TransferKey};
use crate::core::{Finished, HashJob, OfferPlan, ScanJob, Scanned, TransferJob};

const HASH: [u8; 32] = [0xab; 32];
const TOKEN: [u8; 32] = [0x11; 32];

fn offer(id: u64, from: &str, to: &str) -> FileOffer {
    FileOffer {
        id,
        from: from.into(),
        to: to.into(),
        files: vec![OfferEntry {
            path: vec!["report.pdf".into()],
            size: 1234,
        }],
        size: 1234,
    }
}

fn logged_in() -> Harness {
    alice_logged_in().0
}

fn scanned(path: &std::path::Path) -> Scanned {
    Scanned {
        files: offer(0, "", "").files,
        sources: vec![path.to_path_buf()],
        skipped: vec![],
    }
}

#[test]
fn an_offer_is_listed_then_offered_and_delivered_once_accepted() {
    let mut h = logged_in();
    let path = PathBuf::from("/tmp/report.pdf");
    h.command(Command::SendFile {
        to: "@bob".into(),
        path: path.clone(),
        name: None,
    });
    let job = ScanJob {
        to: "@bob".into(),
        paths: vec![path.clone()],
        name: None,
    };
    assert_eq!(h.actions(), [Action::Scan(job.clone())]);
    h.core.handle_scanned(job, Ok(scanned(&path)));
    let frames = h.sent();
    assert!(
        matches!(&frames[..], [ClientFrame { request: Request::OfferFile { to, files }, .. }]
        if to == "bob" && *files == offer(0, "", "").files),
        "{frames:?}"
    );
    h.reply(frames[0].id, Ok(Reply::Offered(offer(5, "alice", "bob"))));
    assert_eq!(h.events(), [Event::OfferSent(offer(5, "alice", "bob"))]);
    h.push(Push::OfferAnswered {
        id: 5,
        accepted: true,
        token: Some(TOKEN),
        peer: None,
    });
    assert_eq!(
        h.actions(),
        [Action::Transfer(TransferJob::Deliver {
            offer: offer(5, "alice", "bob"),
            paths: vec![path],
            token: TOKEN,
            peer: None,
        })]
    );
}

#[test]
fn an_answer_that_overtakes_the_offered_reply_is_kept_until_it_comes() {
    let mut h = logged_in();
    let path = PathBuf::from("/tmp/report.pdf");
    let job = ScanJob {
        to: "bob".into(),
        paths: vec![path.clone()],
        name: None,
    };
    h.core.handle_scanned(job, Ok(scanned(&path)));
    let frames = h.sent();
    h.push(Push::OfferAnswered {
        id: 5,
        accepted: true,
        token: Some(TOKEN),
        peer: None,
    });
    assert_eq!(h.actions(), [], "not known yet");
    h.reply(frames[0].id, Ok(Reply::Offered(offer(5, "alice", "bob"))));
    assert!(matches!(
        h.actions()[..],
        [Action::Transfer(TransferJob::Deliver { .. })]
    ));
}

#[test]
fn what_a_scan_left_out_is_said_and_a_list_out_of_bounds_is_not_offered() {
    let mut h = logged_in();
    let path = PathBuf::from("/tmp/photos");
    let job = ScanJob {
        to: "bob".into(),
        paths: vec![path.clone()],
        name: None,
    };
    let mut found = scanned(&path);
    found.skipped = vec!["photos/root: a symbolic link (not followed)".into()];
    h.core.handle_scanned(job.clone(), Ok(found));
    assert!(h.events().iter().any(|e| matches!(e,
        Event::Error { command: Some(c), message, .. }
        if c == "send" && message.contains("photos/root: a symbolic link"))));
    assert_eq!(h.sent().len(), 1, "the rest is offered");
    let mut hostile = scanned(&path);
    hostile.files[0].path = vec!["..".into(), "x".into()];
    h.core.handle_scanned(job, Ok(hostile));
    assert_eq!(h.sent(), []);
    assert!(h.events().iter().any(|e| matches!(e,
        Event::Error { command: Some(c), message, .. } if c == "send" && message.contains(". or .."))));
}

#[test]
fn an_unreadable_file_is_an_error_naming_the_command() {
    let mut h = logged_in();
    let job = HashJob::Share {
        conv: room("general"),
        path: "/nope".into(),
    };
    h.core.handle_hashed(job, Err("/nope: No such file".into()));
    assert_eq!(h.sent(), []);
    assert!(h.events().iter().any(|e| matches!(e,
        Event::Error { command: Some(c), message, .. } if c == "share" && message.contains("/nope"))));
}

#[test]
fn a_direct_stream_that_comes_before_our_acceptance_is_confirmed_waits_for_it() {
    let mut h = logged_in();
    h.push(Push::FileOffer(offer(8, "bob", "alice")));
    // Re-sent at the next login: announced once.
    h.push(Push::FileOffer(offer(8, "bob", "alice")));
    assert_eq!(h.events(), [Event::FileOffered(offer(8, "bob", "alice"))]);
    let dir = PathBuf::from("/downloads");
    h.command(Command::AcceptOffer {
        id: 8,
        dir: dir.clone(),
    });
    let frames = h.sent();
    assert!(matches!(
        frames[0].request,
        Request::AnswerOffer {
            id: 8,
            accept: true
        }
    ));
    // The sender connects before our reply is read: held.
    h.core.handle_peer_stream(41, 8, TOKEN);
    // A stream with a wrong token is held too, and refused once the token is known.
    h.core.handle_peer_stream(42, 8, [0; 32]);
    assert_eq!(h.actions(), []);
    h.reply(
        frames[0].id,
        Ok(Reply::Accepted {
            id: 8,
            token: TOKEN,
        }),
    );
    let plan = OfferPlan {
        dir: dir.clone(),
        offer: offer(8, "bob", "alice"),
    };
    assert_eq!(
        h.actions(),
        [
            Action::CreateDir {
                dir,
                command: "accept"
            },
            Action::AnswerPeer {
                ticket: 41,
                plan: Some(plan)
            },
            Action::AnswerPeer {
                ticket: 42,
                plan: None
            },
        ]
    );
}

#[test]
fn accepting_an_unknown_offer_is_refused_locally() {
    let mut h = logged_in();
    h.command(Command::AcceptOffer {
        id: 99,
        dir: "/d".into(),
    });
    assert_eq!(h.sent(), []);
    assert!(h.events().iter().any(|e| matches!(
        e,
        Event::Error {
            code: Some(ErrorCode::NoSuchFile),
            ..
        }
    )));
}

#[test]
fn a_cancelled_accepted_offer_stops_its_task_and_drops_its_partial() {
    let mut h = logged_in();
    h.push(Push::FileOffer(offer(8, "bob", "alice")));
    h.command(Command::AcceptOffer {
        id: 8,
        dir: "/downloads".into(),
    });
    let frames = h.sent();
    h.reply(
        frames[0].id,
        Ok(Reply::Accepted {
            id: 8,
            token: TOKEN,
        }),
    );
    h.push(Push::RelayRequested { id: 8 });
    assert!(h
        .actions()
        .iter()
        .any(|a| matches!(a, Action::Transfer(TransferJob::RelayReceive { id: 8, .. }))));
    h.push(Push::OfferCancelled {
        id: 8,
        by: "bob".into(),
    });
    assert_eq!(
        h.actions(),
        [
            Action::Abort(TransferKey::Offer(8)),
            Action::RemoveDir(
                PathBuf::from("/downloads").join(staging_name(&offer(8, "bob", "alice")))
            ),
        ]
    );
    assert!(h.events().contains(&Event::OfferCancelled {
        id: 8,
        by: "bob".into()
    }));
}

#[test]
fn a_verified_incoming_offer_is_reported_done_to_the_coordinator_even_after_a_reconnect() {
    let mut h = logged_in();
    h.push(Push::FileOffer(offer(8, "bob", "alice")));
    h.command(Command::AcceptOffer {
        id: 8,
        dir: "/downloads".into(),
    });
    let frames = h.sent();
    h.reply(
        frames[0].id,
        Ok(Reply::Accepted {
            id: 8,
            token: TOKEN,
        }),
    );
    h.actions();
    h.core.handle_connection_lost("gone".into(), h.now);
    let finished = Finished {
        path: Some("/downloads/report.pdf".into()),
        moved: 1234,
        direct: Some(true),
    };
    h.core.handle_transfer_finished(
        TransferKey::Offer(8),
        "report.pdf".into(),
        1234,
        Ok(finished),
    );
    assert!(h
        .events()
        .iter()
        .any(|e| matches!(e, Event::TransferDone { .. })));
    assert_eq!(h.sent(), [], "offline: deferred");
    h.wait_for_deadline();
    let frames = h.open();
    h.logged_in(&frames[0], [1; 32], vec![]);
    assert!(h
        .sent()
        .iter()
        .any(|f| matches!(f.request, Request::OfferDone { id: 8 })));
}

/// A share is always an upload with the coordinator's ticket: the transfer task proves we
/// hold the content (keyed with the ticket's nonce) and the coordinator then says whether it
/// needs the bytes. The core is told only how it ended.
#[test]
fn a_share_always_goes_through_an_upload_with_its_ticket() {
    let mut h = logged_in();
    let job = HashJob::Share {
        conv: room("general"),
        path: "/tmp/handbook.pdf".into(),
    };
    h.core.handle_hashed(job, Ok((HASH, 10)));
    let frames = h.sent();
    let Request::ShareFile { id, .. } = frames[0].request else {
        panic!("{frames:?}")
    };
    let ticket = UploadTicket {
        id: 3,
        token: [2; 32],
        nonce: [5; 32],
    };
    h.reply(frames[0].id, Ok(Reply::ShareReady { ticket }));
    assert!(
        matches!(&h.actions()[..], [Action::Transfer(TransferJob::Upload { ticket: t, .. })] if *t == ticket)
    );
    // The coordinator had the content and the proof matched: nothing moved.
    let done = Finished {
        path: None,
        moved: 0,
        direct: None,
    };
    h.core
        .handle_transfer_finished(TransferKey::Share(id), "handbook.pdf".into(), 10, Ok(done));
    assert!(h.events().iter().any(|e| matches!(e,
        Event::TransferDone { key: TransferKey::Share(k), moved: 0, .. } if *k == id)));
}
