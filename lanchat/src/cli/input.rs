//! Turning a line typed into `lanchat cli` into what to do. Pure, so every command is tested.
use std::path::{Path, PathBuf};

use lanchat_net::protocol::{ConvRef, Setting, MAX_HISTORY_PAGE};

/// One line of input, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Nothing (blank line).
    Nothing,
    /// Text for the current conversation.
    Say(String),
    /// `/msg @user text` or `/msg #room text`.
    SayTo(ConvRef, String),
    /// `/join #room`: join and switch to it.
    Join(String),
    /// `/create #room [--private [--full-history]]`: create, join and switch to it.
    Create {
        /// Name.
        room: String,
        /// Invite-only.
        private: bool,
        /// New members of the private room read its whole history.
        full_history: bool,
    },
    /// `/leave [#room]`.
    Leave(Option<String>),
    /// `/rooms`.
    Rooms,
    /// `/who` (everyone) or `/who #room` (members).
    Who(Option<String>),
    /// `/dm @user`: switch to a direct conversation.
    Dm(String),
    /// `/history [N]`.
    History(u32),
    /// `/search words`.
    Search(String),
    /// `/topic text`.
    Topic(String),
    /// `/kick @user`.
    Kick(String),
    /// `/promote @user`.
    Promote(String),
    /// `/nick name`.
    Nick(String),
    /// `/passwd`: both passwords are asked for without echo (see `cli::secrets`).
    Passwd,
    /// `/invite @user` into the current room.
    Invite(String),
    /// `/ban @user` from the current room.
    Ban(String),
    /// `/unban @user` in the current room.
    Unban(String),
    /// `/private` (true) or `/public` (false): the current room.
    Private(bool),
    /// `/archive` (true) or `/unarchive` (false): the current room.
    Archive(bool),
    /// `/deleteroom [#room] [--confirm]`: without `--confirm`, only what it would do is told.
    DeleteRoom {
        /// The room (`None`: the current one).
        room: Option<String>,
        /// Go ahead.
        confirmed: bool,
    },
    /// `/edit [ID] text`: without ID, one's last message here.
    Edit(Option<u64>, String),
    /// `/delete ID`.
    Delete(u64),
    /// `/reply ID text`.
    Reply(u64, String),
    /// `/react ID emoji`.
    React(u64, String),
    /// `/typing on|off`, `/receipts on|off`.
    Setting(Setting, bool),
    /// `/mute` / `/unmute` the current conversation.
    Mute(bool),
    /// `/away` / `/back`.
    Away(bool),
    /// `/unread`.
    Unread,
    /// `/trust [FINGERPRINT]`: use a coordinator that is not pinned yet.
    Trust(Option<String>),
    /// `/send @user PATH...`: the paths as typed (see [`send_paths`]).
    SendFile(String, String),
    /// `/accept ID [DIR]`.
    Accept(u64, Option<PathBuf>),
    /// `/deny ID`.
    Deny(u64),
    /// `/cancel ID`.
    Cancel(u64),
    /// `/share PATH`.
    Share(PathBuf),
    /// `/get ID [DIR]`.
    Get(u64, Option<PathBuf>),
    /// `/help`.
    Help,
    /// `/quit`.
    Quit,
    /// Not understood; says why.
    Invalid(String),
}

/// The `/help` text.
pub const HELP: &str = "\
plain text              send to the current conversation
/join #room             join a room and switch to it (what you type next goes there)
/create #room           create a room (you own it) and switch to it
/create #room --private a private room (invite-only); new members read from when they
                        join, or everything with --full-history
/leave [#room]          leave the current (or named) room
/rooms                  list rooms with member counts
/who [#room]            everyone with presence, or a room's members
/msg @user text         direct message (also /msg #room text)
/dm @user               switch to the direct conversation with a user
/history [N]            show the last N messages here (default 20)
/search words           search everything you can read
/topic text             set the current room's topic
/kick @user             remove a member (owner/admins)
/promote @user          make a member an admin (owner/admins)
/invite @user           let someone join this room (owner/admins in a private room)
/ban @user, /unban @user  remove and keep out, or let back (owner/admins)
/private, /public       make this room invite-only or open (owner)
/archive, /unarchive    make this room read-only or writable again (owner)
/deleteroom [#room]     delete a room with its history and files for everyone (owner;
                        says what would go, then /deleteroom #room --confirm)
/edit [ID] text         replace your message ID (without ID: your last one here)
/delete ID              delete a message (yours; the owner/admins: any in their room)
/reply ID text          answer message ID (shown with a quote of it)
/react ID emoji         add a reaction to message ID, or take it back
/typing on|off          typing indicators (yours and others')
/receipts on|off        read receipts in direct conversations (yours and others')
/nick name              change your display name
/passwd                 change your password (asked for without echo; without a
                        terminal, the next two lines are the current and the new one)
/mute, /unmute          mute or unmute the current conversation
/away, /back            set yourself away or back
/unread                 unread counts of every conversation
/send @user PATH...     offer files or folders to someone, as one offer (they accept or deny)
/accept ID [DIR]        accept a file offer (into DIR or the download folder)
/deny ID                deny a file offer
/cancel ID              cancel an offer or its transfer (either side)
/share PATH             share a file into the current conversation
/get ID [DIR]           download a shared file
/trust [FINGERPRINT]    use a coordinator not trusted yet (after checking its fingerprint)
/help                   this text
/quit                   log out and exit (so does end of input)";

fn word(rest: &str) -> Option<&str> {
    let mut words = rest.split_whitespace();
    let first = words.next()?;
    words.next().is_none().then_some(first)
}

fn user(name: &str) -> String {
    name.trim_start_matches('@').to_string()
}

fn room(name: &str) -> String {
    name.trim_start_matches('#').to_string()
}

/// `ID text`: a message number and the rest.
fn id_and_text(rest: &str) -> Option<(u64, String)> {
    let (id, text) = rest.split_once(char::is_whitespace)?;
    let text = text.trim();
    (!text.is_empty()).then_some((id.parse().ok()?, text.to_string()))
}

fn on_off(rest: &str) -> Option<bool> {
    match rest {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

fn id_and_dir(rest: &str) -> Option<(u64, Option<PathBuf>)> {
    let (id, dir) = match rest.split_once(char::is_whitespace) {
        Some((id, dir)) => (id, Some(PathBuf::from(dir.trim()))),
        None => (rest, None),
    };
    Some((id.parse().ok()?, dir))
}

/// Parses one input line.
pub fn parse(line: &str) -> Input {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return Input::Nothing;
    }
    // `//text` sends a line that starts with a slash.
    if let Some(text) = line.strip_prefix("//") {
        return Input::Say(format!("/{text}"));
    }
    let Some(command) = line.strip_prefix('/') else {
        return Input::Say(line.to_string());
    };
    let (name, rest) = command
        .split_once(char::is_whitespace)
        .unwrap_or((command, ""));
    let rest = rest.trim();
    let usage = |u: &str| Input::Invalid(format!("usage: {u}"));
    match name {
        "join" | "j" => word(rest).map_or_else(|| usage("/join #room"), |r| Input::Join(room(r))),
        "create" => {
            let mut words = rest.split_whitespace();
            let name = words.next();
            let (mut private, mut full_history, mut bad) = (false, false, false);
            for flag in words {
                match flag {
                    "--private" => private = true,
                    "--full-history" => full_history = true,
                    _ => bad = true,
                }
            }
            match name {
                Some(r) if !bad && (private || !full_history) && !r.starts_with("--") => {
                    Input::Create {
                        room: room(r),
                        private,
                        full_history,
                    }
                }
                _ => usage("/create #room [--private [--full-history]]"),
            }
        }
        "leave" | "part" => match rest {
            "" => Input::Leave(None),
            r => word(r).map_or_else(|| usage("/leave [#room]"), |r| Input::Leave(Some(room(r)))),
        },
        "rooms" | "list" => Input::Rooms,
        "who" | "users" => match rest {
            "" => Input::Who(None),
            r => word(r).map_or_else(|| usage("/who [#room]"), |r| Input::Who(Some(room(r)))),
        },
        "msg" | "m" => {
            let Some((to, text)) = rest.split_once(char::is_whitespace) else {
                return usage("/msg @user text");
            };
            let conv = if let Some(r) = to.strip_prefix('#') {
                ConvRef::Room(r.to_lowercase())
            } else {
                ConvRef::Dm(user(to))
            };
            Input::SayTo(conv, text.trim_start().to_string())
        }
        "dm" | "query" => word(rest).map_or_else(|| usage("/dm @user"), |u| Input::Dm(user(u))),
        "history" => match rest {
            "" => Input::History(20),
            n => match n.parse::<u32>() {
                Ok(n) if (1..=MAX_HISTORY_PAGE).contains(&n) => Input::History(n),
                _ => Input::Invalid(format!(
                    "usage: /history [N] with N from 1 to {MAX_HISTORY_PAGE}"
                )),
            },
        },
        "search" => match rest {
            "" => usage("/search words"),
            q => Input::Search(q.to_string()),
        },
        "topic" => Input::Topic(rest.to_string()),
        "kick" => word(rest).map_or_else(|| usage("/kick @user"), |u| Input::Kick(user(u))),
        "promote" | "op" => {
            word(rest).map_or_else(|| usage("/promote @user"), |u| Input::Promote(user(u)))
        }
        "nick" => match rest {
            "" => usage("/nick name"),
            n => Input::Nick(n.to_string()),
        },
        "passwd" | "password" => match rest {
            "" => Input::Passwd,
            _ => Input::Invalid(
                "usage: /passwd alone: both passwords are asked for without echo (passwords \
                 typed on the command line are shown and kept in the history)"
                    .into(),
            ),
        },
        "invite" => word(rest).map_or_else(|| usage("/invite @user"), |u| Input::Invite(user(u))),
        "ban" => word(rest).map_or_else(|| usage("/ban @user"), |u| Input::Ban(user(u))),
        "unban" => word(rest).map_or_else(|| usage("/unban @user"), |u| Input::Unban(user(u))),
        "private" => Input::Private(true),
        "public" => Input::Private(false),
        "archive" => Input::Archive(true),
        "unarchive" => Input::Archive(false),
        "deleteroom" => {
            let mut room_name = None;
            let mut confirmed = false;
            let mut bad = false;
            for w in rest.split_whitespace() {
                match w {
                    "--confirm" => confirmed = true,
                    r if room_name.is_none() && !r.starts_with("--") => room_name = Some(room(r)),
                    _ => bad = true,
                }
            }
            if bad {
                usage("/deleteroom [#room] [--confirm]")
            } else {
                Input::DeleteRoom {
                    room: room_name,
                    confirmed,
                }
            }
        }
        "edit" => match id_and_text(rest) {
            Some((id, text)) => Input::Edit(Some(id), text),
            None if !rest.is_empty() => Input::Edit(None, rest.to_string()),
            None => usage("/edit [ID] text"),
        },
        "delete" | "del" => rest
            .parse()
            .map_or_else(|_| usage("/delete ID"), Input::Delete),
        "reply" | "re" => {
            id_and_text(rest).map_or_else(|| usage("/reply ID text"), |(id, t)| Input::Reply(id, t))
        }
        "react" => match id_and_text(rest) {
            Some((id, emoji)) if !emoji.contains(char::is_whitespace) => Input::React(id, emoji),
            _ => usage("/react ID emoji"),
        },
        "typing" => on_off(rest).map_or_else(
            || usage("/typing on|off"),
            |on| Input::Setting(Setting::Typing, on),
        ),
        "receipts" => on_off(rest).map_or_else(
            || usage("/receipts on|off"),
            |on| Input::Setting(Setting::Receipts, on),
        ),
        "mute" => Input::Mute(true),
        "unmute" => Input::Mute(false),
        "away" => Input::Away(true),
        "back" => Input::Away(false),
        "unread" => Input::Unread,
        "trust" => Input::Trust(word(rest).map(str::to_string)),
        "send" => match rest.split_once(char::is_whitespace) {
            Some((to, paths)) if !paths.trim().is_empty() => {
                Input::SendFile(user(to), paths.trim().to_string())
            }
            _ => usage("/send @user PATH..."),
        },
        "accept" => id_and_dir(rest).map_or_else(
            || usage("/accept ID [DIR]"),
            |(id, dir)| Input::Accept(id, dir),
        ),
        "get" => {
            id_and_dir(rest).map_or_else(|| usage("/get ID [DIR]"), |(id, dir)| Input::Get(id, dir))
        }
        "deny" => rest.parse().map_or_else(|_| usage("/deny ID"), Input::Deny),
        "cancel" => rest
            .parse()
            .map_or_else(|_| usage("/cancel ID"), Input::Cancel),
        "share" => match rest {
            "" => usage("/share PATH"),
            path => Input::Share(PathBuf::from(path)),
        },
        "help" | "?" => Input::Help,
        "quit" | "exit" => Input::Quit,
        other => Input::Invalid(format!(
            "unknown command /{other}; /help lists the commands"
        )),
    }
}

/// The paths of `/send @user PATH...`: the whole text if that names something that
/// exists (a name with spaces needs no quotes), otherwise words separated by spaces, where
/// `"…"` or `'…'` keep spaces inside one path and `\` escapes the next character.
pub fn send_paths(typed: &str, exists: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let typed = typed.trim();
    if exists(Path::new(typed)) {
        return vec![PathBuf::from(typed)];
    }
    let mut paths = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = typed.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    paths.push(PathBuf::from(std::mem::take(&mut word)));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        paths.push(PathBuf::from(word));
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_and_escaped_slash() {
        assert_eq!(parse("hello there"), Input::Say("hello there".into()));
        assert_eq!(
            parse("//not a command"),
            Input::Say("/not a command".into())
        );
        assert_eq!(parse("   "), Input::Nothing);
    }

    #[test]
    fn commands() {
        assert_eq!(parse("/join #Dev"), Input::Join("Dev".into()));
        assert_eq!(
            parse("/create dev"),
            Input::Create {
                room: "dev".into(),
                private: false,
                full_history: false
            }
        );
        assert_eq!(parse("/leave"), Input::Leave(None));
        assert_eq!(parse("/leave #x"), Input::Leave(Some("x".into())));
        assert_eq!(
            parse("/msg @bob hi  there"),
            Input::SayTo(ConvRef::Dm("bob".into()), "hi  there".into())
        );
        assert_eq!(
            parse("/msg #Ops up"),
            Input::SayTo(ConvRef::Room("ops".into()), "up".into())
        );
        assert_eq!(parse("/dm @bob"), Input::Dm("bob".into()));
        assert_eq!(parse("/history"), Input::History(20));
        assert_eq!(parse("/history 5"), Input::History(5));
        assert_eq!(parse("/search a b"), Input::Search("a b".into()));
        assert_eq!(parse("/topic new topic"), Input::Topic("new topic".into()));
        assert_eq!(parse("/kick @x"), Input::Kick("x".into()));
        assert_eq!(parse("/promote x"), Input::Promote("x".into()));
        assert_eq!(parse("/nick Alice B"), Input::Nick("Alice B".into()));
        assert_eq!(parse("/passwd"), Input::Passwd);
        assert_eq!(parse("/mute"), Input::Mute(true));
        assert_eq!(parse("/unmute"), Input::Mute(false));
        assert_eq!(parse("/away"), Input::Away(true));
        assert_eq!(parse("/back"), Input::Away(false));
        assert_eq!(parse("/unread"), Input::Unread);
        assert_eq!(parse("/who"), Input::Who(None));
        assert_eq!(parse("/who #dev"), Input::Who(Some("dev".into())));
        assert_eq!(parse("/rooms"), Input::Rooms);
        assert_eq!(parse("/help"), Input::Help);
        assert_eq!(
            parse("/send @bob /tmp/a file.txt"),
            Input::SendFile("bob".into(), "/tmp/a file.txt".into())
        );
        let none = |_: &Path| false;
        assert_eq!(
            send_paths("a.txt 'my photos' b\\ c.txt \"d e\"", none),
            ["a.txt", "my photos", "b c.txt", "d e"].map(PathBuf::from)
        );
        assert_eq!(
            send_paths("/tmp/a file.txt", |p| p == Path::new("/tmp/a file.txt")),
            [PathBuf::from("/tmp/a file.txt")]
        );
        assert_eq!(parse("/accept 7"), Input::Accept(7, None));
        assert_eq!(
            parse("/accept 7 /tmp/in"),
            Input::Accept(7, Some(PathBuf::from("/tmp/in")))
        );
        assert_eq!(parse("/deny 7"), Input::Deny(7));
        assert_eq!(parse("/cancel 7"), Input::Cancel(7));
        assert_eq!(
            parse("/share notes.txt"),
            Input::Share(PathBuf::from("notes.txt"))
        );
        assert_eq!(parse("/get 3"), Input::Get(3, None));
        assert_eq!(parse("/quit"), Input::Quit);
    }

    #[test]
    fn conversation_commands() {
        assert_eq!(
            parse("/create #Board --private"),
            Input::Create {
                room: "Board".into(),
                private: true,
                full_history: false
            }
        );
        assert_eq!(
            parse("/create board --private --full-history"),
            Input::Create {
                room: "board".into(),
                private: true,
                full_history: true
            }
        );
        assert_eq!(parse("/invite @bob"), Input::Invite("bob".into()));
        assert_eq!(parse("/ban bob"), Input::Ban("bob".into()));
        assert_eq!(parse("/unban @bob"), Input::Unban("bob".into()));
        assert_eq!(parse("/private"), Input::Private(true));
        assert_eq!(parse("/public"), Input::Private(false));
        assert_eq!(parse("/archive"), Input::Archive(true));
        assert_eq!(parse("/unarchive"), Input::Archive(false));
        assert_eq!(
            parse("/deleteroom"),
            Input::DeleteRoom {
                room: None,
                confirmed: false
            }
        );
        assert_eq!(
            parse("/deleteroom #old --confirm"),
            Input::DeleteRoom {
                room: Some("old".into()),
                confirmed: true
            }
        );
        assert_eq!(
            parse("/edit 12 fixed typo"),
            Input::Edit(Some(12), "fixed typo".into())
        );
        assert_eq!(
            parse("/edit fixed typo"),
            Input::Edit(None, "fixed typo".into())
        );
        // A number alone is the new text, not an id without text.
        assert_eq!(parse("/edit 42"), Input::Edit(None, "42".into()));
        assert_eq!(parse("/delete 7"), Input::Delete(7));
        assert_eq!(
            parse("/reply 7 sounds good"),
            Input::Reply(7, "sounds good".into())
        );
        assert_eq!(parse("/react 7 👍"), Input::React(7, "👍".into()));
        assert_eq!(parse("/typing off"), Input::Setting(Setting::Typing, false));
        assert_eq!(
            parse("/receipts on"),
            Input::Setting(Setting::Receipts, true)
        );
    }

    #[test]
    fn mistakes_say_why() {
        for (line, needle) in [
            ("/frobnicate", "unknown command /frobnicate"),
            ("/join", "usage: /join"),
            ("/join a b", "usage: /join"),
            ("/msg @bob", "usage: /msg"),
            ("/history x", "usage: /history"),
            ("/passwd old new", "asked for without echo"),
            ("/create", "usage: /create"),
            ("/create #x --full-history", "usage: /create"),
            ("/create #x --secret", "usage: /create"),
            ("/edit", "usage: /edit"),
            ("/delete", "usage: /delete"),
            ("/delete x", "usage: /delete"),
            ("/reply 3", "usage: /reply"),
            ("/reply x hi", "usage: /reply"),
            ("/react 3", "usage: /react"),
            ("/react 3 two words", "usage: /react"),
            ("/typing maybe", "usage: /typing"),
            ("/deleteroom #a #b", "usage: /deleteroom"),
            ("/send @bob", "usage: /send"),
            ("/accept x", "usage: /accept"),
            ("/deny", "usage: /deny"),
        ] {
            match parse(line) {
                Input::Invalid(why) => assert!(why.contains(needle), "{line}: {why}"),
                other => panic!("{line}: {other:?}"),
            }
        }
    }
}
