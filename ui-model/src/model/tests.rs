//! Every engine event kind, applied to a model.
use super::*;
use lanchat_client::{Event, TransferKey};
use lanchat_net::fingerprint::Fingerprint;
use lanchat_net::protocol::{
    ConvSummary, ErrorCode, FileOffer, MembershipChange, MessageKind, OfferEntry, PresenceStatus,
};

fn me() -> UserInfo {
    user("alice", PresenceStatus::Online)
}

fn user(name: &str, status: PresenceStatus) -> UserInfo {
    UserInfo {
        username: name.into(),
        display: name.into(),
        status,
    }
}

fn room(name: &str) -> ConvRef {
    ConvRef::Room(name.into())
}

fn summary(conv: ConvRef, last: u64, read: u64, role: Role) -> ConvSummary {
    ConvSummary {
        conv,
        topic: String::new(),
        last_seq: last,
        read_seq: read,
        muted: false,
        role,
        unread: last.saturating_sub(read),
        mentions: 0,
        private: false,
        archived: false,
        peer_read: None,
    }
}

fn msg(conv: ConvRef, seq: u64, sender: &str, text: &str) -> ChatMessage {
    ChatMessage {
        id: MsgId::random(),
        ts_ms: 1_700_000_000_000,
        ..ChatMessage::plain(conv, seq, sender, text)
    }
}

fn live(m: ChatMessage) -> Event {
    Event::Message {
        message: m,
        backlog: false,
    }
}

/// Logged in as alice, in #general (read) and #dev (owner, 2 unread).
fn logged_in() -> Model {
    let mut m = Model::default();
    apply(
        &mut m,
        Event::LoggedIn {
            settings: Default::default(),
            user: me(),
            conversations: vec![
                summary(general(), 5, 5, Role::Member),
                summary(room("dev"), 4, 2, Role::Owner),
            ],
            resumed: false,
        },
    );
    m
}

fn texts(notices: &[Notice]) -> Vec<&str> {
    notices.iter().map(|n| n.text.as_str()).collect()
}

fn fp() -> Fingerprint {
    Fingerprint([7; 32])
}

#[test]
fn discovery_then_coordinator_then_login() {
    let mut m = Model::default();
    apply(&mut m, Event::Discovering);
    assert_eq!(m.phase, Phase::Discovering);
    assert!(m.status_line().contains("Looking"));
    m.discovery_timed_out();
    assert_eq!(m.phase, Phase::NotFound);
    m.rediscover();
    apply(
        &mut m,
        Event::CoordinatorFound {
            name: "office".into(),
            addr: "127.0.0.1:7117".parse().unwrap(),
            fingerprint: fp(),
            first_use: true,
        },
    );
    assert_eq!(m.phase, Phase::Found);
    let line = m.status_line();
    assert!(line.contains("office") && line.contains("127.0.0.1:7117"));
    assert!(line.contains(&fp().short()) && line.contains("trusted now"));
    apply(
        &mut m,
        Event::Connected {
            name: "office".into(),
            addr: "127.0.0.1:7117".parse().unwrap(),
        },
    );
    apply(
        &mut m,
        Event::LoggedIn {
            settings: Default::default(),
            user: me(),
            conversations: vec![summary(general(), 3, 1, Role::Member)],
            resumed: false,
        },
    );
    assert_eq!(m.phase, Phase::LoggedIn);
    assert_eq!(m.username(), Some("alice"));
    // #general is on screen, so it is read.
    assert_eq!(m.total_unread(), 0);
}

#[test]
fn fingerprint_change_needs_confirmation() {
    let mut m = Model::default();
    apply(
        &mut m,
        Event::FingerprintChanged {
            name: "office".into(),
            pinned: "aaaa".into(),
            offered: fp(),
        },
    );
    assert!(matches!(m.phase, Phase::FingerprintChanged { .. }));
    assert!(m.status_line().contains("different identity"));
}

#[test]
fn login_refusal_in_plain_words() {
    let mut m = Model::default();
    apply(
        &mut m,
        Event::Error {
            code: Some(ErrorCode::AuthFailed),
            message: "authentication failed".into(),
            command: Some("login".into()),
        },
    );
    assert_eq!(
        m.login_error.as_deref(),
        Some("Wrong username or password.")
    );
    apply(
        &mut m,
        Event::Error {
            code: Some(ErrorCode::UsernameTaken),
            message: "taken".into(),
            command: Some("register".into()),
        },
    );
    assert!(m.login_error.as_deref().unwrap().contains("taken"));
    // Errors of other commands do not touch the login window.
    let mut m = Model::default();
    apply(
        &mut m,
        Event::Error {
            code: Some(ErrorCode::NoSuchRoom),
            message: "#x".into(),
            command: Some("join".into()),
        },
    );
    assert_eq!(m.login_error, None);
    assert_eq!(texts(&m.notices), ["No such room: #x"]);
}

#[test]
fn unread_counts_follow_messages_and_switching() {
    let mut m = logged_in();
    assert_eq!(m.convs[&room("dev")].unread(), 2);
    apply(&mut m, live(msg(room("dev"), 5, "bob", "hi")));
    assert_eq!(m.convs[&room("dev")].unread(), 3);
    // On-screen and own messages do not count.
    apply(&mut m, live(msg(general(), 6, "bob", "hey")));
    apply(&mut m, live(msg(room("dev"), 6, "alice", "mine")));
    assert_eq!(m.convs[&general()].unread(), 0);
    assert_eq!(m.convs[&room("dev")].unread(), 0);
    apply(&mut m, live(msg(room("dev"), 7, "bob", "more")));
    assert_eq!(m.total_unread(), 1);
    let commands = m.switch(room("dev"));
    assert!(commands.contains(&Command::MarkRead {
        conv: room("dev"),
        seq: 7
    }));
    assert!(commands.contains(&Command::Members("dev".into())));
    assert_eq!(m.total_unread(), 0);
}

#[test]
fn muted_conversations_stay_out_of_the_title_count() {
    let mut m = logged_in();
    let mut s = summary(room("dev"), 4, 2, Role::Owner);
    s.muted = true;
    apply(&mut m, Event::ConvState(s));
    assert!(m.convs[&room("dev")].muted);
    assert_eq!(m.convs[&room("dev")].unread(), 2);
    assert_eq!(m.total_unread(), 0);
}

#[test]
fn dm_from_a_new_person_creates_the_conversation() {
    let mut m = logged_in();
    apply(
        &mut m,
        live(msg(ConvRef::Dm("bob".into()), 1, "bob", "psst")),
    );
    assert_eq!(m.convs[&ConvRef::Dm("bob".into())].unread(), 1);
}

#[test]
fn history_merges_without_duplicates_and_knows_the_start() {
    let mut m = logged_in();
    apply(&mut m, live(msg(general(), 6, "bob", "new")));
    let cmds = m.switch(general());
    assert!(cmds.iter().any(|c| matches!(
        c,
        Command::History {
            before: Some(6),
            ..
        }
    )));
    // A second request is not sent while one is under way.
    assert_eq!(m.older(), None);
    apply(
        &mut m,
        Event::History {
            conv: general(),
            messages: (1..=6).map(|s| msg(general(), s, "bob", "x")).collect(),
        },
    );
    let c = &m.convs[&general()];
    assert_eq!(c.messages.len(), 6);
    assert!(c.history_done);
    assert_eq!(m.older(), None);
}

#[test]
fn pending_until_echoed() {
    let mut m = logged_in();
    let id = MsgId::random();
    m.sending(&general(), id, "hello");
    assert_eq!(m.convs[&general()].pending.len(), 1);
    let mut echo = msg(general(), 6, "alice", "hello");
    echo.id = id;
    apply(
        &mut m,
        Event::Sent {
            conv: general(),
            id,
            seq: 6,
        },
    );
    apply(&mut m, live(echo));
    assert!(m.convs[&general()].pending.is_empty());
}

#[test]
fn presence_updates_people_and_members() {
    let mut m = logged_in();
    apply(
        &mut m,
        Event::Users(vec![
            me(),
            user("bob", PresenceStatus::Offline),
            user("carol", PresenceStatus::Online),
        ]),
    );
    apply(
        &mut m,
        Event::Members {
            room: "dev".into(),
            members: vec![MemberInfo {
                username: "bob".into(),
                display: "bob".into(),
                role: Role::Member,
                status: PresenceStatus::Offline,
            }],
        },
    );
    apply(&mut m, Event::Presence(user("Bob", PresenceStatus::Online)));
    assert_eq!(m.people["bob"].status, PresenceStatus::Online);
    assert_eq!(m.members["dev"][0].status, PresenceStatus::Online);
    apply(&mut m, Event::Presence(user("alice", PresenceStatus::Away)));
    assert_eq!(m.me.as_ref().unwrap().status, PresenceStatus::Away);
    assert_eq!(m.people.len(), 3);
    // Someone who just registered is in #general.
    apply(
        &mut m,
        Event::Members {
            room: "general".into(),
            members: vec![],
        },
    );
    apply(
        &mut m,
        Event::Presence(user("dave", PresenceStatus::Online)),
    );
    assert_eq!(m.member_count("general"), Some(1));
}

#[test]
fn joining_a_room_switches_to_it() {
    let mut m = logged_in();
    apply(
        &mut m,
        Event::Joined(summary(room("ops"), 3, 3, Role::Member)),
    );
    assert_eq!(m.current, room("ops"));
    assert!(m.convs.contains_key(&room("ops")));
    apply(
        &mut m,
        Event::Rooms(vec![RoomInfo {
            name: "ops".into(),
            topic: "pager".into(),
            members: 4,
            private: false,
            archived: false,
        }]),
    );
    assert_eq!(m.member_count("ops"), Some(4));
}

#[test]
fn kicked_removes_the_room_and_says_who() {
    let mut m = logged_in();
    m.switch(room("dev"));
    apply(
        &mut m,
        Event::Membership {
            room: "dev".into(),
            user: "alice".into(),
            change: MembershipChange::Kicked { by: "bob".into() },
        },
    );
    assert!(!m.convs.contains_key(&room("dev")));
    assert_eq!(m.current, general());
    assert!(m
        .notices
        .last()
        .unwrap()
        .text
        .contains("removed from #dev by bob"));
}

#[test]
fn others_joining_leaving_and_being_kicked_update_the_member_list() {
    let mut m = logged_in();
    apply(
        &mut m,
        Event::Members {
            room: "dev".into(),
            members: vec![],
        },
    );
    let change = |m: &mut Model, user: &str, change| {
        apply(
            m,
            Event::Membership {
                room: "dev".into(),
                user: user.into(),
                change,
            },
        )
    };
    change(&mut m, "bob", MembershipChange::Joined);
    change(&mut m, "carol", MembershipChange::Joined);
    change(&mut m, "bob", MembershipChange::Joined);
    assert_eq!(m.member_count("dev"), Some(2));
    change(&mut m, "bob", MembershipChange::Left);
    change(
        &mut m,
        "carol",
        MembershipChange::Kicked { by: "alice".into() },
    );
    assert_eq!(m.member_count("dev"), Some(0));
}

#[test]
fn promotion_and_succession_change_roles() {
    let mut m = logged_in();
    apply(
        &mut m,
        Event::Joined(summary(room("ops"), 1, 1, Role::Member)),
    );
    apply(
        &mut m,
        Event::Members {
            room: "ops".into(),
            members: vec![MemberInfo {
                username: "bob".into(),
                display: "bob".into(),
                role: Role::Owner,
                status: PresenceStatus::Online,
            }],
        },
    );
    assert!(!m.can_moderate());
    apply(
        &mut m,
        Event::Membership {
            room: "ops".into(),
            user: "alice".into(),
            change: MembershipChange::Promoted { by: "bob".into() },
        },
    );
    assert_eq!(m.convs[&room("ops")].role, Some(Role::Admin));
    assert!(m.can_moderate());
    // The owner leaves; alice is the longest-standing member and inherits the room.
    apply(
        &mut m,
        Event::Membership {
            room: "ops".into(),
            user: "bob".into(),
            change: MembershipChange::Left,
        },
    );
    apply(
        &mut m,
        Event::Membership {
            room: "ops".into(),
            user: "alice".into(),
            change: MembershipChange::Owner,
        },
    );
    assert_eq!(m.convs[&room("ops")].role, Some(Role::Owner));
    assert!(m.members["ops"].is_empty());
}

#[test]
fn topic_changes_reach_the_room() {
    let mut m = logged_in();
    apply(
        &mut m,
        Event::Topic {
            room: "dev".into(),
            topic: "ship it".into(),
            by: "bob".into(),
        },
    );
    assert_eq!(m.convs[&room("dev")].topic, "ship it");
}

#[test]
fn leaving_removes_the_room() {
    let mut m = logged_in();
    apply(
        &mut m,
        Event::Membership {
            room: "dev".into(),
            user: "alice".into(),
            change: MembershipChange::Left,
        },
    );
    assert!(!m.convs.contains_key(&room("dev")));
}

fn offer(id: u64) -> FileOffer {
    FileOffer {
        id,
        from: "bob".into(),
        to: "alice".into(),
        files: vec![OfferEntry {
            path: vec!["plan.pdf".into()],
            size: 1000,
        }],
        size: 1000,
    }
}

#[test]
fn incoming_offer_waits_for_an_answer() {
    let mut m = logged_in();
    apply(&mut m, Event::FileOffered(offer(3)));
    assert_eq!(m.offers.len(), 1);
    // The offer is a card in the direct conversation with its sender.
    m.switch(ConvRef::Dm("bob".into()));
    let c = m.current_conv().cloned().unwrap();
    let page = crate::transcript::page(&c, &m);
    assert!(
        page.text.contains("offers [file] plan.pdf"),
        "{}",
        page.text
    );
    let answers: Vec<_> = page
        .targets
        .iter()
        .filter(|t| matches!(t.2, crate::transcript::Target::Offer { id: 3, .. }))
        .collect();
    assert_eq!(answers.len(), 3);
    assert_eq!(crate::captions::empty_conversation(&m), None);
    assert_eq!(m.answer_offer(3, None), Some(Command::DenyOffer(3)));
    assert_eq!(m.answer_offer(3, None), None, "answered once");
    assert!(m.offers.is_empty());
    let page = crate::transcript::page(&c, &m);
    assert!(
        page.text.contains("plan.pdf (1000 B) offered: denied"),
        "{}",
        page.text
    );
    apply(&mut m, Event::FileOffered(offer(4)));
    apply(
        &mut m,
        Event::OfferCancelled {
            id: 4,
            by: "bob".into(),
        },
    );
    assert!(m.offers.is_empty());
}

#[test]
fn transfer_progress_then_verified() {
    let mut m = logged_in();
    let key = TransferKey::Offer(9);
    apply(&mut m, Event::OfferSent(offer(9)));
    assert_eq!(m.transfers[0].state, TransferState::Waiting);
    apply(
        &mut m,
        Event::OfferAnswered {
            id: 9,
            accepted: true,
        },
    );
    assert_eq!(m.transfers[0].state, TransferState::Moving);
    apply(
        &mut m,
        Event::TransferProgress {
            key,
            name: "plan.pdf".into(),
            done: 400,
            total: 1000,
            rate: 100,
            eta_ms: Some(6000),
        },
    );
    let t = &m.transfers[0];
    assert_eq!(
        (t.done, t.total, t.rate, t.eta_ms),
        (400, 1000, 100, Some(6000))
    );
    assert!(t.active());
    apply(
        &mut m,
        Event::TransferDone {
            key,
            name: "plan.pdf".into(),
            path: None,
            size: 1000,
            moved: 1000,
            direct: Some(true),
        },
    );
    assert_eq!(m.transfers.len(), 1);
    assert_eq!(m.transfers[0].state, TransferState::Verified { path: None });
    assert!(!m.transfers[0].active());
}

#[test]
fn denied_and_failed_transfers_say_why() {
    let mut m = logged_in();
    apply(&mut m, Event::OfferSent(offer(1)));
    apply(
        &mut m,
        Event::OfferAnswered {
            id: 1,
            accepted: false,
        },
    );
    assert_eq!(
        m.transfers[0].state,
        TransferState::Failed("denied by the recipient".into())
    );
    apply(
        &mut m,
        Event::TransferFailed {
            key: TransferKey::Download(5),
            name: "x.bin".into(),
            reason: "hash mismatch".into(),
        },
    );
    assert_eq!(
        m.transfers[1].state,
        TransferState::Failed("hash mismatch".into())
    );
    apply(&mut m, Event::OfferSent(offer(2)));
    apply(
        &mut m,
        Event::OfferCancelled {
            id: 2,
            by: "alice".into(),
        },
    );
    assert_eq!(
        m.transfers[2].state,
        TransferState::Failed("cancelled by alice".into())
    );
}

#[test]
fn disconnect_and_reconnect() {
    let mut m = logged_in();
    apply(
        &mut m,
        Event::Disconnected {
            reason: "timed out".into(),
            retry_in_ms: 1500,
        },
    );
    assert!(m.status_line().contains("Connection lost (timed out)"));
    let banner = crate::captions::connection_banner(&m, 0).unwrap();
    assert!(banner.contains("trying again in 2 s"), "{banner}");
    let banner = crate::captions::connection_banner(&m, 1000).unwrap();
    assert!(
        banner.contains("trying again in 1 s"),
        "the banner counts down: {banner}"
    );
    let banner = crate::captions::connection_banner(&m, 2000).unwrap();
    assert!(banner.contains("reconnecting"), "{banner}");
    // Nobody is shown online while nothing is known.
    assert_eq!(m.presence("bob"), None);
    assert_eq!(m.presence("alice"), None);
    // A resumed login drops rooms lost while away and clears the warning.
    apply(
        &mut m,
        Event::LoggedIn {
            settings: Default::default(),
            user: me(),
            conversations: vec![summary(general(), 5, 5, Role::Member)],
            resumed: true,
        },
    );
    assert_eq!(m.connection, None);
    assert_eq!(crate::captions::connection_banner(&m, 0), None);
    assert_eq!(texts(&m.notices), ["Reconnected."]);
    assert!(m.presence("alice").is_some());
    assert!(!m.convs.contains_key(&room("dev")));
}

#[test]
fn search_rooms_summaries_done_and_stop() {
    let mut m = logged_in();
    apply(
        &mut m,
        Event::SearchResults {
            query: "plan".into(),
            messages: vec![msg(general(), 2, "bob", "the plan")],
        },
    );
    assert_eq!(m.search.as_ref().unwrap().1.len(), 1);
    apply(
        &mut m,
        Event::Summaries(vec![summary(room("dev"), 9, 2, Role::Owner)]),
    );
    assert_eq!(m.convs[&room("dev")].unread(), 7);
    apply(
        &mut m,
        Event::Done {
            command: "topic".into(),
        },
    );
    apply(&mut m, Event::LoggedOut);
    assert_eq!(m.phase, Phase::Stopped);
    apply(&mut m, Event::Stopped);
    assert_eq!(m.phase, Phase::Stopped);
}

#[test]
fn direct_messages_and_mentions_want_attention_unless_muted_or_own() {
    let mut m = logged_in();
    let dm = ConvRef::Dm("bob".into());
    // A mention is what the coordinator recognised, not what the text seems to say.
    let mention = |conv: ConvRef, seq, from: &str, text: &str| {
        let mut m = msg(conv, seq, from, text);
        m.mentions = vec!["alice".into()];
        m
    };
    assert!(m.wants_attention(&msg(dm.clone(), 1, "bob", "hi")));
    assert!(m.wants_attention(&mention(room("dev"), 3, "bob", "ask @Alice")));
    assert!(!m.wants_attention(&msg(room("dev"), 3, "bob", "ask @Alice, unrecognised")));
    assert!(!m.wants_attention(&msg(room("dev"), 3, "bob", "hi all")));
    assert!(!m.wants_attention(&mention(dm.clone(), 1, "alice", "hi @alice")));
    let mut everyone = msg(room("dev"), 4, "bob", "@room");
    everyone.mentions_room = true;
    assert!(m.wants_attention(&everyone));
    // Muted: a mention still calls, a direct message does not.
    m.convs.get_mut(&room("dev")).unwrap().muted = true;
    m.convs.insert(dm.clone(), Conversation::default());
    m.convs.get_mut(&dm).unwrap().muted = true;
    assert!(m.wants_attention(&mention(room("dev"), 4, "bob", "ask @alice")));
    assert!(!m.wants_attention(&msg(dm.clone(), 2, "bob", "hi")));
    assert!(!Model::default().wants_attention(&msg(dm, 1, "bob", "hi")));
}

#[test]
fn a_first_contact_waits_for_the_person_to_trust_it() {
    let mut m = Model::default();
    let addr: std::net::SocketAddr = "127.0.0.1:7117".parse().unwrap();
    for name in ["office", "office"] {
        apply(
            &mut m,
            Event::CoordinatorUnknown {
                name: name.into(),
                addr,
                fingerprint: fp(),
            },
        );
    }
    assert_eq!(m.unknown.len(), 1, "one line per fingerprint");
    // The discovery timer does not say "nobody answered" while one waits for approval.
    m.discovery_timed_out();
    assert_eq!(m.phase, Phase::Discovering);
    assert!(m.status_line().contains("never used"));
    let line = crate::captions::first_contact(&m.unknown[0]);
    assert!(line.contains("office") && line.contains("127.0.0.1:7117"));
    assert!(line.contains(&fp().short()));
    assert_eq!(
        m.trust(0),
        Some(Command::AcceptFingerprint {
            name: "office".into(),
            fingerprint: fp()
        })
    );
    assert!(m.unknown.is_empty());
    assert_eq!(m.trust(0), None);
    // Anyone on the LAN can announce coordinators: the list is bounded.
    for i in 0..50u8 {
        apply(
            &mut m,
            Event::CoordinatorUnknown {
                name: format!("rogue{i}"),
                addr,
                fingerprint: Fingerprint::of_cert(&[i]),
            },
        );
    }
    assert_eq!(m.unknown.len(), MAX_UNKNOWN);
}

fn key_changed() -> Event {
    Event::FingerprintChanged {
        name: "office".into(),
        pinned: "aaaa-bbbb".into(),
        offered: fp(),
    }
}

#[test]
fn a_changed_key_while_logged_in_warns_with_both_fingerprints_and_keeps_the_session() {
    let mut m = logged_in();
    apply(
        &mut m,
        Event::Disconnected {
            reason: "closed".into(),
            retry_in_ms: 1000,
        },
    );
    apply(&mut m, key_changed());
    assert_eq!(m.phase, Phase::LoggedIn, "the main window stays");
    let warning = crate::captions::fingerprint_warning(&m).unwrap();
    assert!(warning.contains("aaaa-bbbb") && warning.contains(&fp().short()));
    m.keep_refusing();
    assert!(m.key_changed.is_none());
    assert_eq!(m.trust_changed_key(), None, "nothing left to trust");
    apply(&mut m, key_changed());
    assert!(matches!(
        m.trust_changed_key(),
        Some(Command::AcceptFingerprint { fingerprint, .. }) if fingerprint == fp()
    ));
}

#[test]
fn notices_clear_and_are_bounded() {
    let mut m = logged_in();
    let first = m.notify("one", false);
    for i in 0..10 {
        m.notify(format!("n{i}"), true);
    }
    assert_eq!(m.notices.len(), MAX_NOTICES);
    assert!(m.notices.iter().all(|n| n.id != first));
    let last = m.notices.last().unwrap().id;
    m.expire_notice(last);
    assert_eq!(m.notices.last().unwrap().text, "n8");
}

#[test]
fn a_direct_conversation_can_be_closed_until_a_message_arrives() {
    let mut m = logged_in();
    let dm = ConvRef::Dm("bob".into());
    m.switch(dm.clone());
    assert!(m.close(&dm));
    assert_eq!(m.current, general());
    assert!(m.convs[&dm].hidden);
    assert!(!m.close(&room("dev")), "rooms are left, not closed");
    apply(&mut m, live(msg(dm.clone(), 1, "bob", "back")));
    assert!(!m.convs[&dm].hidden);
}

#[test]
fn mentions_are_counted_and_the_divider_marks_the_read_position() {
    let mut m = logged_in();
    // The coordinator recognises the mentions; "@alicex" names someone else.
    let mut look = msg(room("dev"), 5, "bob", "@alice look");
    look.mentions = vec!["alice".into()];
    apply(&mut m, live(look));
    apply(
        &mut m,
        live(msg(room("dev"), 6, "bob", "@alicex is not you")),
    );
    assert_eq!(m.convs[&room("dev")].mentions, 1);
    m.switch(room("dev"));
    let c = &m.convs[&room("dev")];
    assert_eq!(c.divider, Some(2), "read up to 2 before this visit");
    assert_eq!(c.mentions, 0);
    m.switch(general());
    assert_eq!(m.convs[&room("dev")].divider, None);
}

#[test]
fn a_refused_saved_session_sends_the_person_to_the_password() {
    let mut m = Model::default();
    apply(
        &mut m,
        Event::Error {
            code: Some(ErrorCode::SessionExpired),
            message: "the session has expired".into(),
            command: Some("resume".into()),
        },
    );
    assert!(m.login_error.unwrap().contains("log in again"));
}

/// Edits, deletions and reactions update the loaded message (and the quotes of it) in place;
/// they add no message and count as nothing unread.
#[test]
fn changes_update_the_loaded_message_and_its_quotes() {
    use lanchat_net::protocol::{Change, ChangeKind, Quote, Reaction};
    let mut m = logged_in();
    apply(&mut m, live(msg(general(), 6, "bob", "meet at 10")));
    let mut answer = msg(general(), 7, "carol", "ok");
    answer.reply_to = Some(Box::new(Quote {
        seq: 6,
        sender: "bob".into(),
        text: "meet at 10".into(),
        deleted: false,
    }));
    apply(&mut m, live(answer));
    let change = |seq, what, text: &str, deleted| {
        let mut e = msg(general(), seq, "bob", text);
        e.kind = MessageKind::Change;
        e.edited = true;
        e.deleted = deleted;
        e.change = Some(Box::new(Change { target: 6, what }));
        Event::Changed {
            message: e,
            backlog: false,
        }
    };
    let before = m.convs[&general()].revision;
    apply(&mut m, change(8, ChangeKind::Edited, "meet at 11", false));
    let c = &m.convs[&general()];
    assert_eq!(c.messages[&6].text, "meet at 11");
    assert!(c.messages[&6].edited);
    assert_eq!(c.messages[&7].reply_to.as_ref().unwrap().text, "meet at 11");
    assert_eq!(c.messages.len(), 2, "no message of its own");
    assert!(c.revision > before);
    let mut reacted = change(
        9,
        ChangeKind::Reacted {
            emoji: "👍".into(),
            added: true,
        },
        "meet at 11",
        false,
    );
    if let Event::Changed { message, .. } = &mut reacted {
        message.reactions = vec![Reaction {
            emoji: "👍".into(),
            count: 1,
        }];
    }
    apply(&mut m, reacted);
    assert_eq!(m.convs[&general()].messages[&6].reactions.len(), 1);
    apply(&mut m, change(10, ChangeKind::Deleted, "", true));
    let c = &m.convs[&general()];
    assert!(c.messages[&6].deleted && c.messages[&6].text.is_empty());
    assert!(c.messages[&7].reply_to.as_ref().unwrap().deleted);
    // None of it is unread in a room not on screen either.
    apply(
        &mut m,
        Event::Changed {
            message: {
                let mut e = msg(room("dev"), 5, "bob", "x");
                e.kind = MessageKind::Change;
                e.change = Some(Box::new(Change {
                    target: 1,
                    what: ChangeKind::Edited,
                }));
                e
            },
            backlog: false,
        },
    );
    assert_eq!(m.convs[&room("dev")].unread(), 2);
}

/// Mentions are counted apart and shown in the list, muted or not; the catch-up of what the
/// coordinator counted at login is not counted twice.
#[test]
fn mentions_are_counted_and_the_catch_up_is_not_counted_twice() {
    let mut m = logged_in();
    // #dev: 2 unread at login (seqs 3 and 4) arrive as catch-up.
    apply(&mut m, live(msg(room("dev"), 3, "bob", "a")));
    apply(&mut m, live(msg(room("dev"), 4, "bob", "b")));
    assert_eq!(m.convs[&room("dev")].unread(), 2);
    let mut at = msg(room("dev"), 5, "bob", "@alice look");
    at.mentions = vec!["alice".into()];
    apply(&mut m, live(at));
    let c = &m.convs[&room("dev")];
    assert_eq!((c.unread(), c.mentions), (3, 1));
    m.convs.get_mut(&room("dev")).unwrap().muted = true;
    let lists = crate::sidebar::lists(&m);
    let dev = lists
        .rooms
        .iter()
        .find(|l| l.text.starts_with("#dev"))
        .unwrap();
    assert_eq!(dev.text, "#dev @ (new)  [muted]");
    assert!(dev.bold, "a mention stands out even muted");
    m.switch(room("dev"));
    let c = &m.convs[&room("dev")];
    assert_eq!((c.unread(), c.mentions), (0, 0));
}

#[test]
fn typing_shows_until_it_expires_or_their_message_comes() {
    use std::time::{Duration, Instant};
    let mut m = logged_in();
    let now = Instant::now();
    let typing = Event::Typing {
        conv: general(),
        user: "bob".into(),
    };
    apply_at(&mut m, typing.clone(), now);
    assert_eq!(m.convs[&general()].typing_at(now), ["bob"]);
    apply(&mut m, live(msg(general(), 6, "bob", "done")));
    assert!(m.convs[&general()].typing_at(now).is_empty());
    apply_at(&mut m, typing, now);
    let later = now + Duration::from_millis(lanchat_net::protocol::TYPING_EXPIRY_MS);
    assert!(!m.expire_typing(now));
    assert!(m.expire_typing(later));
    assert!(m.convs[&general()].typing.is_empty());
}

#[test]
fn rooms_change_go_away_and_ban() {
    let mut m = logged_in();
    m.current = room("dev");
    apply(
        &mut m,
        Event::RoomChanged {
            room: "dev".into(),
            private: true,
            archived: true,
            by: "alice".into(),
        },
    );
    let dev = &m.convs[&room("dev")];
    assert!(dev.private && dev.archived);
    assert!(crate::sidebar::lists(&m)
        .rooms
        .iter()
        .any(|l| l.text.starts_with("#dev") && l.text.contains("[private]  [archived]")));
    assert!(m.owns_room());
    apply(
        &mut m,
        Event::RoomDeleted {
            room: "dev".into(),
            by: "alice".into(),
        },
    );
    assert!(!m.convs.contains_key(&room("dev")));
    assert_eq!(m.current, general());
    assert!(m.notices.last().unwrap().text.contains("deleted by alice"));
    apply(
        &mut m,
        Event::Joined(summary(room("ops"), 1, 1, Role::Member)),
    );
    apply(
        &mut m,
        Event::Membership {
            room: "ops".into(),
            user: "alice".into(),
            change: MembershipChange::Banned { by: "bob".into() },
        },
    );
    assert!(!m.convs.contains_key(&room("ops")));
    assert!(m
        .notices
        .last()
        .unwrap()
        .text
        .contains("cannot join it again"));
    apply(
        &mut m,
        Event::Seen {
            conv: ConvRef::Dm("bob".into()),
            user: "bob".into(),
            seq: 4,
        },
    );
    assert_eq!(m.convs[&ConvRef::Dm("bob".into())].peer_read, Some(4));
    apply(
        &mut m,
        Event::Settings(lanchat_net::protocol::Settings {
            typing: false,
            receipts: false,
        }),
    );
    assert!(!m.privacy.typing);
}

#[test]
fn what_a_message_offers_and_what_typing_sends() {
    let mut m = logged_in();
    m.current = room("dev");
    apply(&mut m, live(msg(room("dev"), 5, "alice", "mine")));
    apply(&mut m, live(msg(room("dev"), 6, "bob", "theirs")));
    let own = crate::dialogs::message_actions(&m, 5);
    assert!(own.contains(&crate::dialogs::EDIT) && own.contains(&crate::dialogs::DELETE));
    // alice owns #dev: she may delete bob's message, not edit it.
    let theirs = crate::dialogs::message_actions(&m, 6);
    assert!(!theirs.contains(&crate::dialogs::EDIT) && theirs.contains(&crate::dialogs::DELETE));
    assert!(matches!(
        m.post("fixed", None, Some(5)),
        Command::Edit {
            target: Some(5),
            ..
        }
    ));
    assert!(matches!(
        m.post("sure", Some(6), None),
        Command::Reply { to: 6, .. }
    ));
    assert_eq!(
        m.convs[&room("dev")].pending.len(),
        1,
        "the reply shows as sending"
    );
}
