use super::*;
use crate::opaque::{OpaqueBytes, MAX_OPAQUE_BYTES};
use crate::protocol::*;

fn msg(conv: ConvRef) -> ChatMessage {
    ChatMessage {
        conv,
        seq: 7,
        id: MsgId([9; 16]),
        sender: "alice".into(),
        sender_display: "Alice A.".into(),
        ts_ms: 1_700_000_000_000,
        kind: MessageKind::Text,
        text: "hello **world** ünïcode @bob".into(),
        file: None,
        edited: true,
        deleted: false,
        reply_to: Some(Box::new(Quote {
            seq: 3,
            sender: "bob".into(),
            text: "earlier".into(),
            deleted: false,
        })),
        reactions: vec![Reaction {
            emoji: "👍".into(),
            count: 2,
        }],
        mentions: vec!["bob".into()],
        mentions_room: false,
        change: None,
    }
}

/// A change entry: a reaction to message 3.
fn change(conv: ConvRef) -> ChatMessage {
    ChatMessage {
        kind: MessageKind::Change,
        change: Some(Box::new(Change {
            target: 3,
            what: ChangeKind::Reacted {
                emoji: "🎉".into(),
                added: true,
            },
        })),
        ..msg(conv)
    }
}

fn summary() -> ConvSummary {
    ConvSummary {
        conv: ConvRef::Room("general".into()),
        topic: "t".into(),
        last_seq: 10,
        read_seq: 3,
        muted: true,
        role: Role::Owner,
        unread: 5,
        mentions: 1,
        private: true,
        archived: false,
        peer_read: Some(2),
    }
}

fn user() -> UserInfo {
    UserInfo {
        username: "bob".into(),
        display: "Bob".into(),
        status: PresenceStatus::Away,
    }
}

fn offer() -> FileOffer {
    FileOffer {
        id: 1,
        from: "a".into(),
        to: "b".into(),
        files: vec![OfferEntry {
            path: vec!["x.zip".into()],
            size: 100,
        }],
        size: 100,
    }
}

fn opaque(len: usize) -> OpaqueBytes {
    OpaqueBytes::new(vec![5; len]).unwrap()
}

fn every_request() -> Vec<Request> {
    let room = || ConvRef::Room("dev".into());
    vec![
        Request::Hello {
            version: PROTOCOL_VERSION,
            client: "test".into(),
        },
        Request::RegisterStart {
            username: "a".into(),
            request: opaque(32),
        },
        Request::RegisterFinish {
            upload: opaque(192),
        },
        Request::LoginStart {
            username: "a".into(),
            request: opaque(96),
        },
        Request::LoginFinish {
            finalization: opaque(64),
        },
        Request::LegacyLogin {
            password: "p".into(),
            request: opaque(32),
        },
        Request::Resume { token: [3; 32] },
        Request::Logout,
        Request::Send {
            conv: ConvRef::Dm("bob".into()),
            id: MsgId([1; 16]),
            text: "x".into(),
            reply_to: Some(2),
        },
        Request::Change {
            conv: room(),
            id: MsgId([2; 16]),
            target: None,
            change: ChangeRequest::Edit { text: "y".into() },
        },
        Request::Change {
            conv: room(),
            id: MsgId([3; 16]),
            target: Some(4),
            change: ChangeRequest::Delete,
        },
        Request::Change {
            conv: room(),
            id: MsgId([4; 16]),
            target: Some(4),
            change: ChangeRequest::React {
                emoji: "👍".into()
            },
        },
        Request::After {
            conv: room(),
            after: 3,
            limit: 10,
        },
        Request::Before {
            conv: room(),
            before: u64::MAX,
            limit: 10,
        },
        Request::MarkRead {
            conv: room(),
            seq: 4,
        },
        Request::CreateRoom {
            name: "dev".into(),
            private: true,
            full_history: false,
        },
        Request::Invite {
            name: "dev".into(),
            user: "bob".into(),
        },
        Request::Ban {
            name: "dev".into(),
            user: "bob".into(),
        },
        Request::Unban {
            name: "dev".into(),
            user: "bob".into(),
        },
        Request::SetPrivate {
            name: "dev".into(),
            private: false,
        },
        Request::SetArchived {
            name: "dev".into(),
            archived: true,
        },
        Request::DeleteRoom { name: "dev".into() },
        Request::Typing { conv: room() },
        Request::SetSetting {
            setting: Setting::Receipts,
            on: false,
        },
        Request::JoinRoom { name: "dev".into() },
        Request::LeaveRoom { name: "dev".into() },
        Request::ListRooms { after: None },
        Request::ListRooms {
            after: Some("dev".into()),
        },
        Request::Members {
            name: "dev".into(),
            after: 7,
        },
        Request::SetTopic {
            name: "dev".into(),
            topic: "t".into(),
        },
        Request::Kick {
            name: "dev".into(),
            user: "bob".into(),
        },
        Request::Promote {
            name: "dev".into(),
            user: "bob".into(),
        },
        Request::Users {
            after: Some("bob".into()),
        },
        Request::Search {
            query: "hello".into(),
            limit: 5,
            before: Some(99),
        },
        Request::PendingOffers { after: 3 },
        Request::SetDisplay {
            display: "A".into(),
        },
        Request::PasswordStart {
            login: opaque(96),
            registration: opaque(32),
        },
        Request::PasswordFinish {
            finalization: opaque(64),
            upload: opaque(192),
        },
        Request::SetAway { away: true },
        Request::SetMuted {
            conv: room(),
            muted: true,
        },
        Request::Summaries,
        Request::SetPeerEndpoint {
            port: 4000,
            fingerprint: [1; 32],
        },
        Request::OfferFile {
            to: "bob".into(),
            files: vec![
                OfferEntry {
                    path: vec!["a.txt".into()],
                    size: 5,
                },
                OfferEntry {
                    path: vec!["dir".into(), "b.txt".into()],
                    size: 6,
                },
            ],
        },
        Request::AnswerOffer {
            id: 3,
            accept: true,
        },
        Request::CancelOffer { id: 3 },
        Request::OfferDone { id: 3 },
        Request::ShareFile {
            conv: room(),
            id: MsgId([4; 16]),
            name: "b.pdf".into(),
            size: 9,
            hash: [5; 32],
        },
    ]
}

fn every_server_frame() -> Vec<ServerFrame> {
    let replies = vec![
        Ok(Reply::Ok),
        Ok(Reply::Welcome {
            version: 1,
            name: "office".into(),
            rollover: Vec::new(),
        }),
        Ok(Reply::RegisterResponse {
            response: opaque(64),
        }),
        Ok(Reply::LoginResponse {
            response: opaque(MAX_OPAQUE_BYTES),
        }),
        Ok(Reply::LegacyAccount),
        Ok(Reply::PasswordResponse {
            login: opaque(320),
            registration: opaque(64),
        }),
        Ok(Reply::LoggedIn {
            user: user(),
            settings: Settings::default(),
            token: [5; 32],
            conversations: vec![summary()],
        }),
        Ok(Reply::Sent {
            conv: ConvRef::Room("general".into()),
            id: MsgId([2; 16]),
            seq: 4,
            ts_ms: 5,
        }),
        Ok(Reply::Messages {
            conv: ConvRef::Dm("x".into()),
            messages: vec![msg(ConvRef::Dm("x".into()))],
        }),
        Ok(Reply::Rooms {
            rooms: vec![RoomInfo {
                name: "dev".into(),
                topic: "".into(),
                members: 3,
                private: true,
                archived: true,
            }],
            next: Some("dev".into()),
        }),
        Ok(Reply::Members {
            name: "dev".into(),
            members: vec![MemberInfo {
                username: "a".into(),
                display: "A".into(),
                role: Role::Admin,
                status: PresenceStatus::Online,
            }],
            next: None,
        }),
        Ok(Reply::Users {
            users: vec![user()],
            next: None,
        }),
        Ok(Reply::SearchResults {
            messages: vec![msg(ConvRef::Room("general".into()))],
            next: Some(12),
        }),
        Ok(Reply::Offers {
            offers: vec![offer()],
            next: Some(1),
        }),
        Ok(Reply::Summaries(vec![summary()])),
        Ok(Reply::Offered(offer())),
        Ok(Reply::Accepted {
            id: 1,
            token: [6; 32],
        }),
        Ok(Reply::ShareReady {
            ticket: UploadTicket {
                id: 2,
                token: [7; 32],
                nonce: [8; 32],
            },
        }),
        Err(ErrorInfo::new(ErrorCode::QuotaExceeded, "full")),
        Err(ErrorInfo::new(ErrorCode::PermissionDenied, "no")),
    ];
    let mut frames: Vec<ServerFrame> = replies
        .into_iter()
        .enumerate()
        .map(|(i, result)| ServerFrame::Reply {
            id: i as u64,
            result,
        })
        .collect();
    let changes = [
        MembershipChange::Joined,
        MembershipChange::Left,
        MembershipChange::Kicked { by: "a".into() },
        MembershipChange::Promoted { by: "a".into() },
        MembershipChange::Owner,
        MembershipChange::Banned { by: "a".into() },
    ];
    frames.extend(changes.into_iter().map(|change| {
        ServerFrame::Event(Event::Membership {
            room: "dev".into(),
            user: "b".into(),
            change,
        })
    }));
    frames.extend([
        ServerFrame::Event(Event::Message(msg(ConvRef::Room("general".into())))),
        ServerFrame::Event(Event::Presence(user())),
        ServerFrame::Event(Event::Topic {
            room: "dev".into(),
            topic: "t".into(),
            by: "a".into(),
        }),
        ServerFrame::Event(Event::ConvState(summary())),
        ServerFrame::Event(Event::Message(change(ConvRef::Room("dev".into())))),
        ServerFrame::Event(Event::Invited {
            room: "dev".into(),
            by: "a".into(),
        }),
        ServerFrame::Event(Event::RoomChanged {
            room: "dev".into(),
            private: true,
            archived: false,
            by: "a".into(),
        }),
        ServerFrame::Event(Event::RoomDeleted {
            room: "dev".into(),
            by: "a".into(),
        }),
        ServerFrame::Event(Event::Typing {
            conv: ConvRef::Dm("a".into()),
            user: "a".into(),
        }),
        ServerFrame::Event(Event::Seen {
            conv: ConvRef::Dm("a".into()),
            user: "a".into(),
            seq: 9,
        }),
        ServerFrame::Event(Event::Settings(Settings {
            typing: false,
            receipts: true,
        })),
        ServerFrame::Event(Event::Shutdown {
            reason: "bye".into(),
        }),
    ]);
    frames
}

#[test]
fn every_client_frame_round_trips() {
    for (i, request) in every_request().into_iter().enumerate() {
        let frame = ClientFrame {
            id: i as u64,
            request,
        };
        let bytes = encode(&frame).unwrap();
        let (back, used): (ClientFrame, usize) = decode_frame(&bytes).unwrap().unwrap();
        assert_eq!(back, frame);
        assert_eq!(used, bytes.len());
    }
}

#[test]
fn every_server_frame_round_trips() {
    for frame in every_server_frame() {
        let bytes = encode(&frame).unwrap();
        let (back, used): (ServerFrame, usize) = decode_frame(&bytes).unwrap().unwrap();
        assert_eq!(back, frame);
        assert_eq!(used, bytes.len());
    }
}

#[test]
fn truncated_frames_ask_for_more_or_fail() {
    let bytes = encode(&ClientFrame {
        id: 1,
        request: Request::ListRooms { after: None },
    })
    .unwrap();
    for cut in 0..bytes.len() {
        let got = decode_frame::<ClientFrame>(&bytes[..cut]);
        assert!(matches!(got, Ok(None)), "cut at {cut}: {got:?}");
    }
    // A correct prefix with a shortened body is malformed, not a panic.
    let mut short = bytes.clone();
    short.pop();
    let len = (short.len() - HEADER_LEN) as u32;
    short[..4].copy_from_slice(&len.to_be_bytes());
    assert!(decode_frame::<ClientFrame>(&short).is_err());
}

#[test]
fn four_gib_length_prefix_is_refused_before_allocating() {
    let bytes = [0xff, 0xff, 0xff, 0xff, 1, 2, 3];
    assert_eq!(
        decode_frame::<ClientFrame>(&bytes).unwrap_err(),
        CodecError::TooLarge {
            len: u32::MAX as usize
        }
    );
    assert!(body_len([0, 0x10, 0, 1]).is_err());
    assert_eq!(body_len([0, 0x10, 0, 0]).unwrap(), MAX_FRAME_LEN);
}

#[test]
fn oversized_outgoing_frame_is_refused() {
    let frame = ClientFrame {
        id: 1,
        request: Request::Send {
            conv: ConvRef::Room("general".into()),
            id: MsgId([0; 16]),
            text: "x".repeat(MAX_FRAME_LEN + 1),
            reply_to: None,
        },
    };
    assert!(matches!(encode(&frame), Err(CodecError::TooLarge { .. })));
}

#[test]
fn garbage_and_trailing_bytes_are_rejected() {
    let garbage = [0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff];
    assert!(matches!(
        decode_frame::<ClientFrame>(&garbage),
        Err(CodecError::Malformed(_))
    ));
    let mut body = postcard::to_stdvec(&ClientFrame {
        id: 1,
        request: Request::Users { after: None },
    })
    .unwrap();
    body.push(0);
    assert_eq!(
        decode_body::<ClientFrame>(&body),
        Err(CodecError::TrailingBytes(1))
    );
    // Pseudo-random bytes of many lengths never panic.
    let mut state = 0x1234_5678_u32;
    for len in 0..400 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        let _ = decode_body::<ClientFrame>(&bytes);
        let _ = decode_body::<ServerFrame>(&bytes);
    }
}

#[test]
fn file_stream_frames_round_trip() {
    use crate::transfer::wire::*;
    let opens = [
        StreamOpen::Peer {
            offer: 1,
            token: [1; 32],
        },
        StreamOpen::Relay {
            offer: 1,
            token: [1; 32],
            sender: true,
        },
        StreamOpen::Upload {
            ticket: 2,
            token: [2; 32],
            proof: [4; 32],
        },
        StreamOpen::Download { file: 3 },
    ];
    for open in opens {
        let bytes = encode(&open).unwrap();
        assert_eq!(decode_frame::<StreamOpen>(&bytes).unwrap().unwrap().0, open);
    }
    let ready: Ready = Ok(Have {
        offset: 5,
        prefix_hash: [3; 32],
    });
    let bytes = encode(&ready).unwrap();
    assert_eq!(decode_frame::<Ready>(&bytes).unwrap().unwrap().0, ready);
    for verdict in [
        Verdict::Verified,
        Verdict::Mismatch,
        Verdict::Failed("disk full".into()),
    ] {
        let bytes = encode(&verdict).unwrap();
        assert_eq!(decode_frame::<Verdict>(&bytes).unwrap().unwrap().0, verdict);
    }
    let meta: Result<FileMeta, ErrorInfo> = Ok(FileMeta {
        name: "n".into(),
        size: 1,
        hash: [0; 32],
    });
    let bytes = encode(&meta).unwrap();
    assert_eq!(
        decode_frame::<Result<FileMeta, ErrorInfo>>(&bytes)
            .unwrap()
            .unwrap()
            .0,
        meta
    );
    for start in [
        Ok(UploadNeed::Nothing),
        Ok(UploadNeed::Content),
        Err(ErrorInfo::new(ErrorCode::QuotaExceeded, "full")),
    ] {
        let bytes = encode(&start).unwrap();
        assert_eq!(
            decode_frame::<UploadStart>(&bytes).unwrap().unwrap().0,
            start
        );
    }
    let bytes = encode(&Start { offset: 9 }).unwrap();
    assert_eq!(
        decode_frame::<Start>(&bytes).unwrap().unwrap().0,
        Start { offset: 9 }
    );
}

/// The longest values the coordinator lets into its database (its `rules` module and hub):
/// usernames and room names are at most 32 ASCII bytes, display names 48 characters, topics
/// 300 characters (4 bytes each at worst in UTF-8), file names 255 bytes, message text
/// [`MAX_TEXT_BYTES`] (a system line, at most a name and a topic, is shorter); a reply's
/// quote [`MAX_QUOTE_CHARS`], [`MAX_REACTIONS`] reactions of [`MAX_REACTION_BYTES`] each,
/// [`MAX_MENTIONS`] usernames.
const NAME: usize = 32;
const DISPLAY: usize = 48 * 4;
const TOPIC: usize = 300 * 4;
const FILE_NAME: usize = 255;

fn longest(bytes: usize) -> String {
    "\u{10ffff}".repeat(bytes / 4) + &"x".repeat(bytes % 4)
}

fn largest_message() -> ChatMessage {
    ChatMessage {
        conv: ConvRef::Dm(longest(NAME)),
        seq: u64::MAX,
        id: MsgId([0xff; 16]),
        sender: longest(NAME),
        sender_display: longest(DISPLAY),
        ts_ms: i64::MIN,
        kind: MessageKind::File,
        text: longest(MAX_TEXT_BYTES),
        file: Some(SharedFile {
            id: u64::MAX,
            name: longest(FILE_NAME),
            size: u64::MAX,
            hash: [0xff; 32],
            uploader: longest(NAME),
        }),
        edited: true,
        deleted: true,
        reply_to: Some(Box::new(Quote {
            seq: u64::MAX,
            sender: longest(NAME),
            text: longest(MAX_QUOTE_CHARS * 4),
            deleted: true,
        })),
        reactions: vec![
            Reaction {
                emoji: longest(MAX_REACTION_BYTES),
                count: u32::MAX,
            };
            MAX_REACTIONS
        ],
        mentions: vec![longest(NAME); MAX_MENTIONS],
        mentions_room: true,
        change: Some(Box::new(Change {
            target: u64::MAX,
            what: ChangeKind::Reacted {
                emoji: longest(MAX_REACTION_BYTES),
                added: true,
            },
        })),
    }
}

/// Every list reply is paged so that its largest page, with every field as long as the
/// coordinator allows, fits in one frame: nobody can make a list nobody can read.
#[test]
fn largest_pages_fit_in_a_frame() {
    let n = |page: u32| page as usize;
    let pages = [
        (
            "history",
            Reply::Messages {
                conv: ConvRef::Dm(longest(NAME)),
                messages: vec![largest_message(); n(MAX_HISTORY_PAGE)],
            },
        ),
        (
            "search",
            Reply::SearchResults {
                messages: vec![largest_message(); n(MAX_SEARCH_PAGE)],
                next: Some(u64::MAX),
            },
        ),
        (
            "rooms",
            Reply::Rooms {
                rooms: vec![
                    RoomInfo {
                        name: longest(NAME),
                        topic: longest(TOPIC),
                        members: u64::MAX,
                        private: true,
                        archived: true,
                    };
                    n(MAX_LIST_PAGE)
                ],
                next: Some(longest(NAME)),
            },
        ),
        (
            "members",
            Reply::Members {
                name: longest(NAME),
                members: vec![
                    MemberInfo {
                        username: longest(NAME),
                        display: longest(DISPLAY),
                        role: Role::Owner,
                        status: PresenceStatus::Offline,
                    };
                    n(MAX_LIST_PAGE)
                ],
                next: Some(u64::MAX),
            },
        ),
        (
            "users",
            Reply::Users {
                users: vec![
                    UserInfo {
                        username: longest(NAME),
                        display: longest(DISPLAY),
                        status: PresenceStatus::Offline,
                    };
                    n(MAX_LIST_PAGE)
                ],
                next: Some(longest(NAME)),
            },
        ),
        (
            // One offer of the largest list; the coordinator fills pages by bytes.
            "offers",
            Reply::Offers {
                offers: vec![largest_offer()],
                next: Some(u64::MAX),
            },
        ),
    ];
    for (what, reply) in pages {
        let frame = ServerFrame::Reply {
            id: u64::MAX,
            result: Ok(reply),
        };
        let len = encode(&frame)
            .unwrap_or_else(|e| panic!("the largest {what} page does not fit: {e}"))
            .len();
        eprintln!("largest {what} page: {len} bytes of {MAX_FRAME_LEN}");
        assert!(len <= HEADER_LEN + MAX_FRAME_LEN, "{what}: {len}");
    }
}

/// An offer at every bound of `transfer::manifest` at once: 10,000 files whose paths take
/// the most bytes allowed, in components of 128 bytes and more (two-byte lengths), with the
/// largest sizes.
fn largest_offer() -> FileOffer {
    use crate::transfer::manifest::{MAX_OFFER_FILES, MAX_OFFER_PATH_BYTES};
    let per_file = MAX_OFFER_PATH_BYTES / MAX_OFFER_FILES;
    let files = (0..MAX_OFFER_FILES)
        .map(|_| OfferEntry {
            path: vec!["x".repeat(per_file - 1)],
            size: u64::MAX / MAX_OFFER_FILES as u64,
        })
        .collect::<Vec<_>>();
    let offer = FileOffer {
        id: u64::MAX,
        from: longest(NAME),
        to: longest(NAME),
        files,
        size: u64::MAX,
    };
    assert!(crate::transfer::manifest::check(&offer.files).is_ok());
    offer
}

#[test]
fn the_largest_offer_fits_in_a_frame_as_an_event_and_as_a_request() {
    let offer = largest_offer();
    let event = encode(&ServerFrame::Event(Event::FileOffer(offer.clone()))).unwrap();
    let request = encode(&ClientFrame {
        id: u64::MAX,
        request: Request::OfferFile {
            to: longest(NAME),
            files: offer.files,
        },
    })
    .unwrap();
    eprintln!("largest offer: {} bytes of {MAX_FRAME_LEN}", event.len());
    assert!(event.len() <= 700 * 1024 && request.len() <= 700 * 1024);
}
