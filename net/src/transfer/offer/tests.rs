//! The offer exchange over a real QUIC connection on 127.0.0.1: honest sends (several files,
//! a folder, resume per file) and a modified sender trying what an attacker would.
use std::path::Path;

use super::*;
use crate::fingerprint::Pin;
use crate::tls::{self, Identity};
use crate::transfer::wire::StreamOpen;

fn entry(path: &[&str], size: u64) -> OfferEntry {
    OfferEntry {
        path: path.iter().map(|s| s.to_string()).collect(),
        size,
    }
}

fn content(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

/// Both ends of one bidirectional stream: (sender's, receiver's). The connections are
/// returned too, so they stay open while the streams are used.
async fn streams() -> (
    (quinn::SendStream, quinn::RecvStream),
    (quinn::SendStream, quinn::RecvStream),
    (
        quinn::Endpoint,
        quinn::Endpoint,
        quinn::Connection,
        quinn::Connection,
    ),
) {
    let id = Identity::generate().unwrap();
    let localhost = "127.0.0.1:0".parse().unwrap();
    let server = tls::endpoint(localhost, Some(tls::server_config(&id).unwrap())).unwrap();
    let client = tls::endpoint(localhost, None).unwrap();
    let config = tls::client_config(Pin::exact(id.fingerprint())).unwrap();
    let connecting = client
        .connect_with(config, server.local_addr().unwrap(), "lanchat-peer")
        .unwrap();
    let accepting = async { server.accept().await.unwrap().await.unwrap() };
    let (server_conn, client_conn) = tokio::join!(accepting, connecting);
    let client_conn = client_conn.unwrap();
    let (mut send, recv) = client_conn.open_bi().await.unwrap();
    // A stream is seen by the other side once something is written on it.
    let open = StreamOpen::Peer {
        offer: 1,
        token: [0; 32],
    };
    write_frame(&mut send, &open).await.unwrap();
    let (r_send, mut r_recv) = server_conn.accept_bi().await.unwrap();
    let _: StreamOpen = read_frame(&mut r_recv).await.unwrap().unwrap();
    (
        (send, recv),
        (r_send, r_recv),
        (server, client, server_conn, client_conn),
    )
}

/// Everything under `dir`, relative, sorted (hidden staging folders included).
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_folder_and_a_file_arrive_verified_and_resume_per_file() {
    let src = tempfile::tempdir().unwrap();
    let bodies = [content(1, 3 * CHUNK + 5), content(2, 0), content(3, 70_000)];
    let names = ["a.bin", "empty", "c.txt"];
    let mut sources = Vec::new();
    for (name, body) in names.iter().zip(&bodies) {
        let path = src.path().join(name);
        std::fs::write(&path, body).unwrap();
        sources.push(Source {
            path,
            size: body.len() as u64,
        });
    }
    let files = vec![
        entry(&["photos", "a.bin"], bodies[0].len() as u64),
        entry(&["photos", "sub", "empty"], 0),
        entry(&["c.txt"], bodies[2].len() as u64),
    ];
    let out = tempfile::tempdir().unwrap();
    let staging = out.path().join(".stage");
    // What an interrupted attempt left: all of the third file, part of the first, and a
    // stray that is no file of the offer.
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("0"), &bodies[0][..CHUNK + 7]).unwrap();
    std::fs::write(staging.join("2"), &bodies[2]).unwrap();
    std::fs::write(staging.join("x"), b"stray").unwrap();

    let ((mut s_send, mut s_recv), (mut r_send, mut r_recv), _keep) = streams().await;
    let sending =
        tokio::spawn(async move { send_files(&mut s_send, &mut s_recv, &sources, |_| {}).await });
    let to = Destination {
        dir: out.path(),
        staging: &staging,
    };
    let mut seen = Vec::new();
    let got = receive_files(&mut r_send, &mut r_recv, &files, to, |d| seen.push(d))
        .await
        .unwrap();
    let sent = sending.await.unwrap().unwrap();
    let held = (CHUNK + 7 + bodies[2].len()) as u64;
    let total: u64 = bodies.iter().map(|b| b.len() as u64).sum();
    assert_eq!((got.from, got.bytes), (held, total - held));
    assert_eq!((sent.from, sent.bytes), (held, total - held));
    assert_eq!(seen.last(), Some(&total), "progress is for the whole offer");
    assert_eq!(
        got.placed,
        [out.path().join("photos"), out.path().join("c.txt")]
    );
    assert_eq!(
        std::fs::read(out.path().join("photos/a.bin")).unwrap(),
        bodies[0]
    );
    assert_eq!(
        std::fs::read(out.path().join("photos/sub/empty")).unwrap(),
        bodies[1]
    );
    assert_eq!(std::fs::read(out.path().join("c.txt")).unwrap(), bodies[2]);
}

#[tokio::test]
async fn a_held_prefix_that_differs_from_the_sender_s_file_is_sent_again_from_the_start() {
    let src = tempfile::tempdir().unwrap();
    let body = content(4, 200_000);
    let path = src.path().join("f");
    std::fs::write(&path, &body).unwrap();
    let out = tempfile::tempdir().unwrap();
    let staging = out.path().join(".stage");
    std::fs::create_dir_all(&staging).unwrap();
    let mut bad = body[..100_000].to_vec();
    bad[5] ^= 1;
    std::fs::write(staging.join("0"), bad).unwrap();
    let files = vec![entry(&["f"], body.len() as u64)];
    let ((mut s_send, mut s_recv), (mut r_send, mut r_recv), _keep) = streams().await;
    let sources = vec![Source {
        path,
        size: body.len() as u64,
    }];
    let sending =
        tokio::spawn(async move { send_files(&mut s_send, &mut s_recv, &sources, |_| {}).await });
    let to = Destination {
        dir: out.path(),
        staging: &staging,
    };
    let got = receive_files(&mut r_send, &mut r_recv, &files, to, |_| {})
        .await
        .unwrap();
    assert_eq!((got.from, got.bytes), (0, body.len() as u64));
    sending.await.unwrap().unwrap();
    assert_eq!(std::fs::read(out.path().join("f")).unwrap(), body);
}

/// What a modified sender does on the stream after the recipient's `OfferReady`.
enum Attack {
    /// More bytes than the file's announced size, then a hash.
    TooManyBytes,
    /// The right bytes, then a hash that is not theirs.
    WrongHash,
    /// Resuming from an offset the recipient does not hold.
    BadOffset,
}

/// Runs `attack` against an honest recipient of a one-file offer; returns the recipient's
/// error, the verdict the attacker read (if any) and everything under the download folder.
async fn attacked(attack: Attack) -> (TransferError, Option<OfferVerdict>, Vec<String>) {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let staging = dir.join(".stage");
    let body = content(5, 100_000);
    let files = vec![entry(&["report.pdf"], body.len() as u64)];
    let ((mut send, mut recv), (mut r_send, mut r_recv), _keep) = streams().await;
    let attacker = tokio::spawn(async move {
        let ready: OfferReady = read_frame(&mut recv).await.unwrap().unwrap();
        assert_eq!(ready, Ok(vec![]));
        let hash = *blake3::hash(&body).as_bytes();
        match attack {
            Attack::TooManyBytes => {
                write_frame(&mut send, &FileStart { offset: 0 })
                    .await
                    .unwrap();
                send.write_all(&body).await.unwrap();
                send.write_all(&[0xee; 4096]).await.unwrap();
                let _ = write_frame(&mut send, &FileEnd { hash }).await;
            }
            Attack::WrongHash => {
                write_frame(&mut send, &FileStart { offset: 0 })
                    .await
                    .unwrap();
                send.write_all(&body).await.unwrap();
                let hash = [7; 32];
                write_frame(&mut send, &FileEnd { hash }).await.unwrap();
            }
            Attack::BadOffset => {
                write_frame(&mut send, &FileStart { offset: 50 })
                    .await
                    .unwrap();
                let _ = send.write_all(&body[50..]).await;
            }
        }
        let _ = send.finish();
        read_frame::<OfferVerdict>(&mut recv).await.ok().flatten()
    });
    let to = Destination {
        dir: &dir,
        staging: &staging,
    };
    let e = receive_files(&mut r_send, &mut r_recv, &files, to, |_| {})
        .await
        .unwrap_err();
    drop((r_send, r_recv));
    let verdict = attacker.await.unwrap();
    (e, verdict, tree(out.path()))
}

#[tokio::test]
async fn a_sender_sending_more_bytes_than_announced_is_refused_and_nothing_is_placed() {
    let (e, _, left) = attacked(Attack::TooManyBytes).await;
    assert!(
        matches!(&e, TransferError::Protocol(m) if m.contains("its hash was expected")),
        "{e}"
    );
    assert!(left.iter().all(|p| p.starts_with("in/.stage/")), "{left:?}");
}

#[tokio::test]
async fn a_wrong_trailing_hash_discards_the_file_and_says_so_to_both_sides() {
    let (e, verdict, left) = attacked(Attack::WrongHash).await;
    assert!(
        matches!(&e, TransferError::Mismatch { name } if name == "report.pdf"),
        "{e}"
    );
    assert!(e.to_string().contains("does not match its BLAKE3"), "{e}");
    assert_eq!(verdict, Some(OfferVerdict::Mismatch { file: 0 }));
    assert_eq!(left, Vec::<String>::new(), "discarded");
}

#[tokio::test]
async fn a_sender_resuming_from_bytes_the_recipient_does_not_hold_is_refused() {
    let (e, _, left) = attacked(Attack::BadOffset).await;
    assert!(
        matches!(&e, TransferError::Protocol(m) if m.contains("does not hold")),
        "{e}"
    );
    assert_eq!(left, Vec::<String>::new());
}

/// A list that the coordinator would refuse, delivered anyway (a modified coordinator, or a
/// modified sender past an older one): the recipient refuses it before writing anything.
#[tokio::test]
async fn hostile_lists_are_refused_before_anything_is_written() {
    let million = vec![entry(&["x"], 1); 1_000_000];
    let cases: Vec<(Vec<OfferEntry>, &str)> = vec![
        (vec![entry(&["..", "x"], 1)], ". or .."),
        (vec![entry(&["/etc", "passwd"], 1)], "/ or \\"),
        (vec![entry(&["C:\\", "x"], 1)], "/ or \\"),
        (million, "at most 10000 files"),
        (vec![entry(&["a"], u64::MAX), entry(&["b"], 2)], "2^64"),
    ];
    for (files, why) in cases {
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join("in");
        std::fs::create_dir_all(&dir).unwrap();
        let staging = dir.join(".stage");
        let ((_send, mut recv), (mut r_send, mut r_recv), _keep) = streams().await;
        let to = Destination {
            dir: &dir,
            staging: &staging,
        };
        let e = receive_files(&mut r_send, &mut r_recv, &files, to, |_| {})
            .await
            .unwrap_err();
        assert!(e.to_string().contains(why), "{e} should say {why:?}");
        let ready: OfferReady = read_frame(&mut recv).await.unwrap().unwrap();
        let refusal = ready.unwrap_err();
        assert_eq!(refusal.code, ErrorCode::BadRequest);
        assert!(refusal.message.contains(why), "{refusal:?}");
        assert_eq!(tree(out.path()), Vec::<String>::new(), "nothing written");
    }
}

/// A symbolic link planted where the staging folder goes is not written through.
#[cfg(unix)]
#[tokio::test]
async fn a_link_planted_as_the_staging_folder_is_refused() {
    let out = tempfile::tempdir().unwrap();
    let elsewhere = out.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let dir = out.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let staging = dir.join(".stage");
    std::os::unix::fs::symlink(&elsewhere, &staging).unwrap();
    let files = vec![entry(&["f"], 10)];
    let ((_send, mut recv), (mut r_send, mut r_recv), _keep) = streams().await;
    let to = Destination {
        dir: &dir,
        staging: &staging,
    };
    let e = receive_files(&mut r_send, &mut r_recv, &files, to, |_| {})
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not a folder"), "{e}");
    let ready: OfferReady = read_frame(&mut recv).await.unwrap().unwrap();
    let refusal = ready.expect_err("nothing about what is there is told");
    assert!(refusal.message.contains("not a folder"), "{refusal:?}");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}
