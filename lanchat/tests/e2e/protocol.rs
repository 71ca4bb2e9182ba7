//! A misbehaving client gets a clear error and is disconnected; everyone else is unaffected.
use lanchat_net::codec;
use lanchat_net::protocol::{ConvRef, ErrorCode, MsgId, Reply, Request, PROTOCOL_VERSION};

use crate::raw::{hello, raw};
use crate::support::*;

#[test]
fn misbehaving_clients_are_refused_and_disconnected_without_harm() {
    let (lan, coord, _dir) = office();
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // A newer client: a clear version error naming both versions, then closed.
        let mut c = raw(&coord).await;
        let err = c
            .ask(Request::Hello {
                version: PROTOCOL_VERSION + 1,
                client: "future".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::VersionMismatch);
        assert!(
            err.message
                .contains(&format!("protocol {PROTOCOL_VERSION}")),
            "{}",
            err.message
        );
        assert!(c.closed().await.contains("protocol version mismatch"));

        // Anything before Hello.
        let mut c = raw(&coord).await;
        let err = c.ask(Request::Users { after: None }).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::BadRequest);

        // Not logged in.
        let mut c = raw(&coord).await;
        assert!(matches!(c.ask(hello()).await, Ok(Reply::Welcome { .. })));
        let err = c
            .ask(Request::Send {
                conv: ConvRef::Room("general".into()),
                id: MsgId([1; 16]),
                text: "x".into(),
                reply_to: None,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::NotAuthenticated);

        // Garbage body.
        let mut c = raw(&coord).await;
        assert!(matches!(c.ask(hello()).await, Ok(Reply::Welcome { .. })));
        let err = c
            .reply_to_garbage(&[0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff])
            .await;
        assert_eq!(err.code, ErrorCode::BadRequest);
        assert!(err.message.contains("malformed"), "{}", err.message);
        assert!(c.closed().await.contains("malformed frame"));

        // A length prefix claiming 4 GiB is refused before anything is allocated.
        let mut c = raw(&coord).await;
        let err = c.reply_to_garbage(&[0xff, 0xff, 0xff, 0xff]).await;
        assert!(err.message.contains("exceeds the limit"), "{}", err.message);
        let _ = codec::MAX_FRAME_LEN;
    });
    // Everyone else carries on.
    alice.say_acked(&general(), "still fine");
    bob.wait_message("still fine");
}

/// The coordinator gives a connection 10 s in all to say hello, however slowly its bytes
/// trickle in (a slow-loris that keeps a half-written frame open costs a connection slot).
#[test]
fn a_client_that_never_finishes_its_hello_is_disconnected() {
    let (_lan, coord, _dir) = office();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut c = raw(&coord).await;
        // Half a frame header: the chat stream is open, the hello never completes.
        c.send.write_all(&[0, 0]).await.unwrap();
        let reason = tokio::time::timeout(std::time::Duration::from_secs(30), c.closed())
            .await
            .expect("closed within the hello deadline");
        assert!(reason.contains("no hello in time"), "{reason}");
    });
}

#[test]
fn a_client_that_stops_reading_is_disconnected_not_buffered_forever() {
    let lan = Lan::new();
    let dir = tempfile::tempdir().unwrap();
    let coord = CoordinatorProcess::start_with(
        &lan,
        &dir.path().join("coord"),
        "test-office",
        &["--max-messages-per-second", "100000"],
    );
    let mut alice = Client::register(&lan, "alice");
    let mut bob = Client::register(&lan, "bob");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stalled = rt.block_on(async {
        let mut c = raw(&coord).await;
        assert!(matches!(c.ask(hello()).await, Ok(Reply::Welcome { .. })));
        assert!(matches!(
            c.register("sleepy", PASSWORD).await,
            Ok(Reply::LoggedIn { .. })
        ));
        c // from here on, nobody reads this connection
    });
    // Big messages fill the stalled client's QUIC window, then its bounded queue.
    let text = "x".repeat(16 * 1024);
    let mut last = 0;
    for _ in 0..2500 {
        alice.say(&general(), &text);
    }
    while last < 2500 {
        last = alice.wait("acks", |e| match e {
            lanchat_client::Event::Sent { seq, .. } => Some(*seq),
            _ => None,
        });
        let len = alice.seen.len();
        if len > 100 {
            alice.seen.drain(..len - 10);
        }
    }
    let reason = rt.block_on(async {
        tokio::time::timeout(PATIENCE, stalled.closed())
            .await
            .expect("the stalled client is disconnected")
    });
    assert!(reason.contains("not reading fast enough"), "{reason}");
    // Everyone else got everything and carries on.
    alice.say_acked(&general(), "after the flood");
    bob.wait_message("after the flood");
}
