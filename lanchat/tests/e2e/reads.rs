//! Finding 5 of issue 12: "A 469 KB search query took 9.9 s under the hub's lock and delayed
//! everyone's messages by as long." Against a real coordinator with a big history: while one
//! user runs the largest search allowed, over and over, and another keeps sending an
//! oversized one (refused, with the reason), a third user's messages keep their round trip.
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lanchat_net::protocol::{ErrorCode, Reply, Request, MAX_SEARCH_BYTES, MAX_SEARCH_WORDS};
use lanchat_store::{MessageKind, NewMessage, Store};

use crate::raw::logged_in;
use crate::support::*;

/// Messages in the history the searches run over.
const HISTORY: usize = 200_000;
/// Eight words in every one of them.
const WORDS: &str = "alpha bravo charlie delta echo foxtrot golf hotel";
/// Round trips measured while the searches run.
const ROUND_TRIPS: usize = 40;

/// A database with `HISTORY` messages in a room only its (unusable) owner is in: every search
/// for `WORDS` by anyone else matches them all and finds nothing it may show, the most work a
/// search can be made to do.
fn big_history(data: &Path) {
    std::fs::create_dir_all(data).unwrap();
    let mut store = Store::open(&data.join("lanchat.db")).unwrap();
    let owner = store
        .create_user("archivist", "Archivist", "no password logs in here", 1)
        .unwrap();
    let room = store.create_room("archive", owner.id, 1).unwrap();
    let ids: Vec<[u8; 16]> = (0..HISTORY as u128).map(|i| i.to_le_bytes()).collect();
    let texts: Vec<String> = (0..HISTORY).map(|i| format!("{WORDS} {i}")).collect();
    for (ids, texts) in ids.chunks(10_000).zip(texts.chunks(10_000)) {
        let batch: Vec<NewMessage<'_>> = ids
            .iter()
            .zip(texts)
            .map(|(id, text)| NewMessage {
                conv: room.id,
                sender: owner.id,
                client_id: id,
                kind: MessageKind::Text,
                text,
                now_ms: 2,
                reply_to: None,
                mentions: &[],
                everyone: false,
            })
            .collect();
        store.append_batch(&batch).unwrap();
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[test]
fn the_largest_search_does_not_delay_anyone_elses_messages() {
    let lan = Lan::new();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("coord");
    let filled = Instant::now();
    big_history(&data);
    eprintln!(
        "history of {HISTORY} messages written in {:.1} s",
        filled.elapsed().as_secs_f64()
    );
    let coord = CoordinatorProcess::start(&lan, &data, "test-office");
    let mut bob = Client::register(&lan, "bob");
    let _carol = Client::register(&lan, "carol");
    // The round trip with nobody searching.
    let quiet: Vec<Duration> = (0..10)
        .map(|i| {
            let t = Instant::now();
            bob.say_acked(&general(), &format!("quiet {i}"));
            t.elapsed()
        })
        .collect();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (searched_tx, searched) = std::sync::mpsc::channel();
    let largest = WORDS.to_string();
    assert!(largest.len() <= MAX_SEARCH_BYTES);
    assert_eq!(largest.split(' ').count(), MAX_SEARCH_WORDS);
    let (mut alice, _) = rt.block_on(logged_in(&coord, "alice", true));
    let (mut mallory, _) = rt.block_on(logged_in(&coord, "mallory", true));
    let searching = {
        let stop = stop.clone();
        rt.spawn(async move {
            let mut took = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let request = Request::Search {
                    query: largest.clone(),
                    limit: 50,
                    before: None,
                };
                let reply = alice.ask(request).await;
                assert!(
                    matches!(&reply, Ok(Reply::SearchResults { messages, .. }) if messages.is_empty()),
                    "{reply:?}"
                );
                took.push(t.elapsed());
                let _ = searched_tx.send(());
            }
            took
        })
    };
    let oversized = {
        let stop = stop.clone();
        rt.spawn(async move {
            // The query of the finding: 469 KB.
            let query = "spam ".repeat(469 * 1024 / 5);
            let mut refusals = 0;
            while !stop.load(Ordering::Relaxed) {
                let request = Request::Search {
                    query: query.clone(),
                    limit: 50,
                    before: None,
                };
                let e = mallory.ask(request).await.unwrap_err();
                assert_eq!(e.code, ErrorCode::TooLarge);
                assert!(e.message.contains("at most 8 words in 256 bytes"), "{e:?}");
                refusals += 1;
            }
            refusals
        })
    };
    // Measure only once a search has gone through: from then on one is always running.
    searched.recv_timeout(PATIENCE).expect("a search finished");
    let busy: Vec<Duration> = (0..ROUND_TRIPS)
        .map(|i| {
            let t = Instant::now();
            bob.say_acked(&general(), &format!("busy {i}"));
            t.elapsed()
        })
        .collect();
    stop.store(true, Ordering::Relaxed);
    let searches = rt.block_on(searching).unwrap();
    let refusals = rt.block_on(oversized).unwrap();

    let search = median(searches.clone());
    let (quiet, max_busy, busy) = (median(quiet), *busy.iter().max().unwrap(), median(busy));
    eprintln!(
        "largest search ({MAX_SEARCH_WORDS} words over {HISTORY} messages): median {:.0} ms, \
         {} run; oversized searches refused: {refusals}",
        search.as_secs_f64() * 1000.0,
        searches.len()
    );
    eprintln!(
        "bob's message round trip: median {:.1} ms with nobody searching, median {:.1} ms \
         (max {:.1} ms) over {ROUND_TRIPS} while the searches ran",
        quiet.as_secs_f64() * 1000.0,
        busy.as_secs_f64() * 1000.0,
        max_busy.as_secs_f64() * 1000.0
    );
    assert!(
        searches.len() >= 2,
        "the searches overlapped the round trips"
    );
    // Under the hub's lock each message would wait for the search under way: half of one
    // on average.
    assert!(
        busy < search / 4,
        "round trips ({busy:?}) waited for the searches ({search:?})"
    );
}
