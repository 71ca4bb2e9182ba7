//! The centre pane: the current conversation ([`lanchat_ui_model::transcript`]'s page in a
//! [`StyledView`]), or a hint when it is empty. New messages scroll into view unless the
//! person has scrolled up to read; older history coming in keeps their place; a search
//! result's message is scrolled to. Files dropped on the pane become
//! [`Message::Dropped`].
use fltk::app;
use fltk::prelude::*;
use lanchat_net::protocol::ConvRef;
use lanchat_ui_model::model::Model;
use lanchat_ui_model::transcript::{self, OfferAnswer, Page, Target};
use lanchat_ui_model::{captions, trace};

use crate::message::Message;
use crate::styled::StyledView;

/// The conversation pane.
#[derive(Debug)]
pub struct ConversationView {
    /// The text pane.
    pub view: StyledView,
    shown: Option<(ConvRef, Page)>,
    last_seq: Option<u64>,
}

impl ConversationView {
    /// Creates the pane (inside the current group).
    pub fn new(sender: app::Sender<Message>, dark: bool) -> Self {
        let view = StyledView::new(sender, dark, true);
        ConversationView {
            view,
            shown: None,
            last_seq: None,
        }
    }

    /// Shows the current conversation; does nothing when what is on screen is up to date.
    pub fn render(&mut self, model: &mut Model) {
        let current = model.current.clone();
        let c = model.current_conv().cloned().unwrap_or_default();
        let page = match captions::empty_conversation(model) {
            Some(hint) => Page::hint(&hint),
            None => transcript::page(&c, model),
        };
        let jump = match &model.jump {
            Some((conv, seq)) if *conv == current => page
                .anchors
                .iter()
                .find(|(s, _)| s == seq)
                .map(|(_, pos)| *pos),
            _ => None,
        };
        if jump.is_some() {
            model.jump = None;
        }
        let same = self
            .shown
            .as_ref()
            .is_some_and(|(conv, p)| *conv == current && *p == page);
        if same && jump.is_none() {
            return;
        }
        let same_conv = self
            .shown
            .as_ref()
            .is_some_and(|(conv, _)| *conv == current);
        let follow = !same_conv || self.view.at_bottom();
        let first_line = self.view.display.scroll_row();
        let old_len = self.view.text.length();
        let older_came = same_conv
            && self
                .shown
                .as_ref()
                .and_then(|(_, p)| p.anchors.first())
                .map(|a| a.0)
                != page.anchors.first().map(|a| a.0);
        let divider = page.divider;
        self.view.set(page.clone());
        if let Some(pos) = jump {
            self.view.scroll_to(pos);
        } else if !same_conv && divider.is_some() {
            // Opened with unread messages: start at the "new messages" line.
            self.view.scroll_to(divider.unwrap_or(0));
        } else if follow {
            self.view.scroll_to_end();
        } else if older_came {
            // Older history came in above: keep the person's place in what they were reading.
            let added = self.view.text.length() - old_len;
            let lines = self.view.display.count_lines(0, added.max(0), true);
            self.view.display.scroll(first_line + lines, 0);
        }
        if trace::enabled() {
            app::flush();
            let new_last = if same_conv { self.last_seq } else { None };
            for m in c.messages.values() {
                if new_last.is_none_or(|last| m.seq > last) {
                    trace::line(&format!("shown {} {}: {}", m.conv, m.sender, m.text));
                }
            }
            if let Some(pos) = jump {
                trace::line(&format!("jumped {current} {pos}"));
            }
            if let Some((x, y)) = self.view.target_at(|t| {
                matches!(
                    t,
                    Target::Offer {
                        answer: OfferAnswer::Accept,
                        ..
                    }
                )
            }) {
                trace::line(&format!("offer-card {current} accept={x},{y}"));
            }
        }
        self.last_seq = c.messages.keys().next_back().copied();
        self.shown = Some((current, page));
    }

    /// Takes the colours of a theme variant (and draws again).
    pub fn set_theme(&mut self, dark: bool) {
        self.view.set_theme(dark);
        self.shown = None;
    }
}
