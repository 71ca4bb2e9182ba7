//! Edits, deletions and reactions: who may change which message, and how the change
//! travels. A change is an entry of the conversation's sequence (see `lanchat_store`'s
//! `messages`), fanned out like a message, so clients that were offline or reconnecting get
//! it through the same catch-up, in order, once.
//!
//! Rules: you edit only your own text messages; you delete your own messages, and the owner
//! and admins of a room delete anyone's there; anyone who can read a message can react to it
//! (a toggle). Nothing changes in an archived room. Edits and deletions then try to empty the
//! database's write-ahead log, so the old text does not linger there (see [`Hub::scrub`]).
use lanchat_net::protocol::{ChangeRequest, ConvRef, ErrorCode, MsgId, Reply, MAX_REACTION_BYTES};
use lanchat_net::text::is_bidi_control;
use lanchat_store as store;
use lanchat_store::{
    ChangeOp, ConvKind, Conversation, Membership, Reads as _, StoredMessage, UserId,
};

use super::delivery::{check_text, check_writable};
use super::mentions;
use super::{err, Hub, Refusal};

impl Hub {
    /// `me` changes message `target` of `conv` (`None`: their last message, for an edit), as
    /// change `id` (a resend is answered with the original).
    pub(super) fn change(
        &mut self,
        me: UserId,
        conv: ConvRef,
        id: MsgId,
        target: Option<u64>,
        change: ChangeRequest,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let (c, membership) = self.resolve(me, &conv, now_ms)?;
        let conv = self.conv_ref_of(&c, me)?;
        let sent = |appended: store::Appended| Reply::Sent {
            conv: conv.clone(),
            id,
            seq: appended.seq,
            ts_ms: appended.ts_ms,
        };
        if let Some((appended, _)) = self.store.posted(c.id, me, &id.0)? {
            return Ok(sent(appended));
        }
        check_writable(&c)?;
        let target = match (target, &change) {
            (Some(seq), _) => seq,
            (None, ChangeRequest::Edit { .. }) => self
                .store
                .last_message_of(c.id, me)?
                .filter(|seq| *seq > membership.since_seq)
                .ok_or_else(|| {
                    err(
                        ErrorCode::NoSuchMessage,
                        format!("you have no message in {conv} to edit"),
                    )
                })?,
            (None, _) => {
                return Err(err(
                    ErrorCode::BadRequest,
                    "say which message: its number in the conversation",
                ))
            }
        };
        let stored = self.check_target(&c, &membership, target)?;
        let found;
        let op = match &change {
            ChangeRequest::Edit { text } => {
                check_text(text)?;
                if stored.sender_id != me || stored.kind != store::MessageKind::Text {
                    return Err(err(
                        ErrorCode::PermissionDenied,
                        "you can edit only your own text messages",
                    ));
                }
                let may_mention_room =
                    c.kind == ConvKind::Room && membership.role >= store::Role::Admin;
                found = mentions::resolve(&self.store, text, me, may_mention_room)?;
                ChangeOp::Edit {
                    text,
                    mentions: &found.users,
                    everyone: found.room,
                }
            }
            ChangeRequest::Delete => {
                let moderator = c.kind == ConvKind::Room && membership.role >= store::Role::Admin;
                if stored.sender_id != me && !moderator {
                    return Err(err(
                        ErrorCode::PermissionDenied,
                        "you can delete only your own messages (the owner and admins of a \
                         room: anyone's there)",
                    ));
                }
                ChangeOp::Delete
            }
            ChangeRequest::React { emoji } => {
                check_emoji(emoji)?;
                ChangeOp::React { emoji }
            }
        };
        let changed = self
            .store
            .change_message(c.id, me, &id.0, target, op, now_ms)?;
        if !changed.appended.duplicate {
            if let Some(hash) = changed.unshared {
                self.forget_content(&hash);
            }
            if matches!(
                changed.kind,
                store::MessageKind::Edit | store::MessageKind::Delete
            ) {
                self.scrub_soon();
            }
            self.fan_out(&c, changed.appended.seq)?;
        }
        Ok(sent(changed.appended))
    }

    /// Message `seq` of `c` if a member (`membership`) can answer or change it: a text or
    /// file message, not deleted, that they may read.
    pub(super) fn check_target(
        &self,
        c: &Conversation,
        membership: &Membership,
        seq: u64,
    ) -> Result<StoredMessage, Refusal> {
        let missing = || {
            err(
                ErrorCode::NoSuchMessage,
                format!("there is no message {seq} here (or it was deleted)"),
            )
        };
        if seq <= membership.since_seq {
            return Err(missing());
        }
        let m = self.store.message(c.id, seq)?.ok_or_else(missing)?;
        if m.deleted || !matches!(m.kind, store::MessageKind::Text | store::MessageKind::File) {
            return Err(missing());
        }
        Ok(m)
    }
}

/// A reaction: an emoji or a short word, nothing that is space, a control character or
/// changes the direction of text (joiners and variation selectors are part of emojis).
pub(crate) fn check_emoji(emoji: &str) -> Result<(), Refusal> {
    let bad = emoji.chars().find(|c| {
        c.is_whitespace()
            || c.is_control()
            || is_bidi_control(*c)
            || matches!(c, '\u{2028}' | '\u{2029}')
    });
    if emoji.is_empty() || emoji.len() > MAX_REACTION_BYTES || bad.is_some() {
        return Err(err(
            ErrorCode::BadRequest,
            format!(
                "a reaction is one emoji or word of at most {MAX_REACTION_BYTES} bytes, \
                 without spaces or control characters"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_emoji;

    /// The store bounds what the protocol promises a reader.
    #[test]
    fn the_store_keeps_the_protocols_bounds() {
        use lanchat_net::protocol::{MAX_QUOTE_CHARS, MAX_REACTIONS};
        assert_eq!(lanchat_store::MAX_REACTIONS, MAX_REACTIONS);
        assert_eq!(lanchat_store::QUOTE_CHARS, MAX_QUOTE_CHARS);
    }

    #[test]
    fn reactions_are_short_and_inert() {
        for ok in ["👍", "+1", "👨\u{200D}👩\u{200D}👧", "❤\u{FE0F}", "ok"] {
            assert!(check_emoji(ok).is_ok(), "{ok:?}");
        }
        for bad in ["", " ", "a b", "\u{202E}x", "x\n", &"y".repeat(33)] {
            assert!(check_emoji(bad).is_err(), "{bad:?}");
        }
    }
}
