//! The main window: menu bar; a connection banner while disconnected and the changed-key
//! warning when there is one; then three drag-resizable panes (a `Tile`): left the filter box
//! and the rooms, direct conversations and people; centre the conversation with its header,
//! the transfers panel, the input and the notices; right the room's members, or the search
//! results.
//!
//! Layout: this file (the widgets and their rendering), `menu` (the menu bar and the
//! shortcuts).
mod menu;

use fltk::button::Button;
use fltk::enums::{Align, Event as FlEvent, Font, FrameType, Key, Shortcut};
use fltk::frame::Frame;
use fltk::group::{Flex, Group, Tile};
use fltk::input::{Input, MultilineInput};
use fltk::menu::{MenuBar, MenuButton, MenuFlag};
use fltk::prelude::*;
use fltk::{app, window::Window};
use lanchat_net::protocol::ConvRef;
use lanchat_ui_model::model::Model;
use lanchat_ui_model::settings::Settings;
use lanchat_ui_model::{captions, emoji, search, trace};

use crate::conversation::ConversationView;
use crate::message::{Action, List, Message};
use crate::sidebar::{ListView, Sidebar};
use crate::styled::StyledView;
use crate::theme;
use crate::transfers::TransferStrip;
use menu::{menu, AUTOSTART, DARK, MUTE, NOTIFY, RECEIPTS, SHORTCUTS, TYPING};

/// The main window's widgets.
#[derive(Debug)]
pub struct MainWindow {
    /// The window.
    pub window: Window,
    /// Left and right lists.
    pub sidebar: Sidebar,
    /// The conversation.
    pub conversation: ConversationView,
    /// The message input.
    pub input: MultilineInput,
    /// The sidebar filter.
    pub filter: Input,
    /// The transfers panel.
    pub transfers: TransferStrip,
    bar: MenuBar,
    outer: Flex,
    banner: Frame,
    warning: Flex,
    warning_text: Frame,
    left: Flex,
    centre: Flex,
    right: Flex,
    title: Frame,
    topic: Frame,
    status: Frame,
    attach: Button,
    members_box: Flex,
    hint: Frame,
    search_box: Flex,
    search: StyledView,
    dark: bool,
    layout_traced: bool,
    rows_traced: bool,
}

fn heading(text: &str) -> Frame {
    let mut f = Frame::default().with_label(text);
    f.set_align(Align::Left | Align::Inside);
    f.set_label_font(Font::HelveticaBold);
    f.set_label_size(theme::SMALL);
    f
}

impl MainWindow {
    /// Builds the window (hidden).
    pub fn new(sender: app::Sender<Message>, settings: &Settings) -> Self {
        let dark = settings.dark;
        let p = theme::palette(dark);
        let (sw, sh) = app::screen_size();
        let (w, h) = (
            (sw as i32 - 40).clamp(760, 1180),
            (sh as i32 - 80).clamp(520, 760),
        );
        let mut window = Window::default().with_size(w, h).with_label("lanchat");
        window.size_range(700, 460, 0, 0);
        if let Some(icon) = crate::desktop::icon::image() {
            window.set_icon(Some(icon));
        }
        window.make_resizable(true);
        let mut outer = Flex::default_fill().column();
        let bar = menu(sender);
        outer.fixed(&bar, 30);

        let mut banner = Frame::default();
        banner.set_frame(FrameType::FlatBox);
        banner.set_color(p.danger);
        banner.set_label_color(p.on_danger);
        banner.set_align(Align::Left | Align::Inside | Align::Clip);
        outer.fixed(&banner, 28);
        banner.hide();

        let mut warning = Flex::default().row();
        warning.set_margin(8);
        warning.set_pad(8);
        let mut warning_text = Frame::default();
        warning_text.set_align(Align::Left | Align::Inside | Align::Wrap);
        warning_text.set_label_color(p.danger);
        let buttons = Flex::default().column();
        let mut refuse = Button::default().with_label("Keep refusing (safe)");
        refuse.emit(sender, Message::KeepRefusing);
        let mut trust = Button::default().with_label("Trust the new key");
        trust.emit(sender, Message::TrustFingerprint);
        buttons.end();
        warning.fixed(&buttons, 170);
        warning.end();
        outer.fixed(&warning, 110);
        warning.hide();

        let body_h = h - 30;
        let lw = settings.left_width.min(w / 3);
        let rw = settings.right_width.min(w / 3);
        let mut tile = Tile::new(0, 30, w, body_h, None);
        let mut left = Flex::new(0, 30, lw, body_h, None).column();
        left.set_margin(theme::PAD);
        left.set_pad(4);
        let mut filter = Input::default();
        filter.set_tooltip(
            "Type to filter rooms and people; Enter searches all history. Ctrl+K jumps to a \
             conversation.",
        );
        filter.set_trigger(fltk::enums::CallbackTrigger::Changed);
        filter.emit(sender, Message::Filter);
        filter.super_handle_first(false);
        filter.handle(move |_, ev| {
            if ev == FlEvent::KeyDown && matches!(app::event_key(), Key::Enter | Key::KPEnter) {
                sender.send(Message::SearchTyped);
                return true;
            }
            false
        });
        left.fixed(&filter, 28);
        let rooms = ListView::new("ROOMS", List::Rooms, sender);
        left.fixed(&rooms.heading, 20);
        let direct = ListView::new("DIRECT", List::Direct, sender);
        left.fixed(&direct.heading, 20);
        let people = ListView::new("PEOPLE", List::People, sender);
        left.fixed(&people.heading, 20);
        left.end();

        let mut centre = Flex::new(lw, 30, w - lw - rw, body_h, None).column();
        centre.set_margin(theme::PAD);
        centre.set_pad(4);
        let mut title = Frame::default();
        title.set_align(Align::Left | Align::Inside | Align::Clip);
        title.set_label_font(Font::HelveticaBold);
        title.set_label_size(theme::HEADING);
        centre.fixed(&title, 26);
        let mut topic = Frame::default();
        topic.set_align(Align::Left | Align::Inside | Align::Clip);
        topic.set_label_size(theme::SMALL + 1);
        centre.fixed(&topic, 18);
        let conversation = ConversationView::new(sender, dark);
        let mut transfers = TransferStrip::new();
        // Hidden while empty (Flex skips hidden children).
        transfers.column.hide();
        let mut row = Flex::default().row();
        row.set_pad(6);
        let mut input = MultilineInput::default();
        input.set_tooltip("Enter sends, Shift+Enter starts a new line; :shortcodes: become emoji");
        input.set_wrap(true);
        // Our keys before the input's own: fltk-rs otherwise runs the input's handler first,
        // which inserts Ctrl+M as a carriage return, Ctrl+J and Enter as line breaks (the
        // cause of the "^M" and of Shift+Enter's two line breaks).
        input.super_handle_first(false);
        input.handle(move |_, ev| {
            if ev != FlEvent::KeyDown {
                return false;
            }
            let key = app::event_key();
            let state = app::event_state();
            if state.contains(Shortcut::Ctrl) {
                let pressed = key.to_char().map(|c| c.to_ascii_lowercase());
                if let Some((_, m)) = SHORTCUTS.iter().find(|(c, _)| Some(*c) == pressed) {
                    sender.send(m.clone());
                    return true;
                }
            }
            if matches!(key, Key::Enter | Key::KPEnter) {
                if state.contains(Shortcut::Shift) {
                    // The input's own handling inserts exactly one line break.
                    return false;
                }
                sender.send(Message::Send);
                return true;
            }
            // The engine tells the others at most every few seconds.
            sender.send(Message::Typed);
            false
        });
        let mut buttons = Flex::default().column();
        buttons.set_pad(4);
        let mut send = Button::default().with_label("Send");
        send.set_color(p.accent);
        send.set_label_color(p.on_accent);
        send.emit(sender, Message::Send);
        let mut attach = Button::default().with_label("Attach file…");
        attach.emit(sender, Message::Attach);
        let mut smileys = MenuButton::default().with_label("Emoji");
        for (code, e) in emoji::EMOJI {
            let label = format!("{e}  :{code}:");
            smileys.add_emit(
                &label,
                Shortcut::None,
                MenuFlag::Normal,
                sender,
                Message::Emoji(e),
            );
        }
        buttons.end();
        row.fixed(&buttons, 110);
        row.end();
        centre.fixed(&row, 92);
        let mut status = Frame::default();
        status.set_align(Align::Left | Align::Inside | Align::Clip);
        status.set_label_size(theme::SMALL + 1);
        centre.fixed(&status, 20);
        centre.end();

        let mut right = Flex::new(w - rw, 30, rw, body_h, None).column();
        right.set_margin(theme::PAD);
        let mut members_box = Flex::default().column();
        members_box.set_pad(4);
        let members = ListView::new("MEMBERS", List::Members, sender);
        members_box.fixed(&members.heading, 20);
        let mut hint = Frame::default().with_label("double-click: message\nright-click: more");
        hint.set_label_size(theme::SMALL);
        members_box.fixed(&hint, 34);
        members_box.end();
        let mut search_box = Flex::default().column();
        search_box.set_pad(4);
        let h = heading("SEARCH RESULTS");
        search_box.fixed(&h, 20);
        let search = StyledView::new(sender, dark, false);
        let mut close = Button::default().with_label("Close results");
        close.emit(sender, Message::Menu(Action::CloseSearch));
        search_box.fixed(&close, 28);
        search_box.end();
        search_box.hide();
        right.end();
        tile.end();
        // The panes' edges can be dragged within this box (no pane narrower than 120 px).
        let mut limits = Group::new(120, 30, (w - 240).max(1), body_h, None);
        limits.end();
        limits.hide();
        tile.add(&limits);
        tile.resizable(&limits);
        outer.end();
        window.end();
        window.resizable(&outer);
        window.set_callback(move |_| {
            if app::event() == FlEvent::Close {
                sender.send(Message::CloseWindow);
            }
        });
        let mut w = MainWindow {
            window,
            sidebar: Sidebar::new(rooms, direct, people, members),
            conversation,
            input,
            filter,
            transfers,
            bar,
            outer,
            banner,
            warning,
            warning_text,
            left,
            centre,
            right,
            title,
            topic,
            status,
            attach,
            members_box,
            hint,
            search_box,
            search,
            dark,
            layout_traced: false,
            rows_traced: false,
        };
        w.set_toggles(settings);
        w
    }

    /// The sidebars' widths now (kept in the settings).
    pub fn pane_widths(&self) -> (i32, i32) {
        (self.left.w(), self.right.w())
    }

    fn set_toggle(&mut self, path: &str, on: bool) {
        if let Some(mut item) = self.bar.find_item(&path.replace('&', "")) {
            if item.value() != on {
                if on {
                    item.set();
                } else {
                    item.clear();
                }
            }
        }
    }

    /// The settings' check marks.
    pub fn set_toggles(&mut self, settings: &Settings) {
        self.set_toggle(DARK, settings.dark);
        self.set_toggle(NOTIFY, settings.notifications);
        self.set_toggle(AUTOSTART, settings.autostart);
    }

    /// Switches the theme variant (colours of the panes that do not follow FLTK's own).
    pub fn set_theme(&mut self, dark: bool) {
        self.dark = dark;
        let p = theme::palette(dark);
        self.banner.set_color(p.danger);
        self.warning_text.set_label_color(p.danger);
        self.conversation.set_theme(dark);
        self.search.set_theme(dark);
        self.window.redraw();
    }

    /// Shows the model; `down_ms` is how long the connection has been down.
    pub fn render(&mut self, model: &mut Model, sender: app::Sender<Message>, down_ms: u64) {
        let title = captions::window_title(model);
        if self.window.label() != title {
            self.window.set_label(&title);
        }
        // The banner only while disconnected; the warning only while a key change waits.
        let banner = captions::connection_banner(model, down_ms);
        show(&mut self.banner, banner.is_some());
        if let Some(b) = &banner {
            self.banner
                .set_label(&format!("  {}", b.replace('@', "@@")));
        }
        let warning = captions::fingerprint_warning(model);
        let was_warning = self.warning.visible();
        show(&mut self.warning, warning.is_some());
        if let Some(w) = &warning {
            self.warning_text.set_label(&w.replace('@', "@@"));
        }
        // Blocking: nothing else is usable until the person decides.
        for w in [&mut self.left as &mut dyn WidgetExt, &mut self.centre] {
            if warning.is_some() {
                w.deactivate();
            } else {
                w.activate();
            }
        }
        self.sidebar.render(model, self.dark);
        let muted = model.current_conv().is_some_and(|c| c.muted);
        self.set_toggle(MUTE, muted);
        self.set_toggle(TYPING, model.privacy.typing);
        self.set_toggle(RECEIPTS, model.privacy.receipts);
        // fltk reads `@` in a label as a symbol code.
        let heading = captions::conversation_heading(model);
        self.title.set_label(&heading.replace('@', "@@"));
        let topic = model
            .current_conv()
            .map(|c| c.topic.clone())
            .unwrap_or_default();
        self.topic.set_label(&topic.replace('@', "@@"));
        self.conversation.render(model);
        self.transfers.render(&model.transfers, sender, self.dark);
        let height = self.transfers.height();
        if height == 0 {
            self.transfers.column.hide();
        } else {
            self.transfers.column.show();
            self.centre.fixed(&self.transfers.column, height);
        }
        let status = captions::status_bar(model);
        let p = theme::palette(self.dark);
        let error = model.notices.last().is_some_and(|n| n.error);
        self.status
            .set_label_color(if error { p.danger } else { p.muted });
        self.status.set_label(&status.replace('@', "@@"));
        let direct = matches!(model.current, ConvRef::Dm(_));
        self.attach.set_tooltip(if direct {
            "Offer a file to this person (they accept or deny; it goes directly when possible)"
        } else {
            "Share a file in this room (kept for its members, also those offline)"
        });
        // The members pane: a room's members with their hints; nothing to act on in a DM.
        show(&mut self.hint, !direct && model.can_moderate());
        let searching = model.search.is_some();
        show(&mut self.search_box, searching);
        show(&mut self.members_box, !searching);
        let mut results = None;
        if let Some((query, found)) = &model.search {
            let page = search::page(query, found, model);
            if self.search.text.text() != page.text {
                self.search.set(page);
                results = Some(found.len());
            }
        }
        self.outer.layout();
        self.centre.layout();
        self.right.layout();
        self.window.redraw();
        if trace::enabled() {
            self.trace_layout(warning.is_some() && !was_warning, banner.as_deref());
            if let Some(n) = results {
                app::flush();
                let first = self
                    .search
                    .target_at(|t| matches!(t, lanchat_ui_model::transcript::Target::Jump { .. }))
                    .map_or("none".to_string(), |(x, y)| format!("{x},{y}"));
                trace::line(&format!("search-results {n} first={first}"));
            }
        }
    }

    fn trace_layout(&mut self, new_warning: bool, banner: Option<&str>) {
        let at = |w: &dyn WidgetExt| format!("{},{}", w.x() + w.w() / 2, w.y() + w.h() / 2);
        if !self.layout_traced && self.window.shown() {
            self.layout_traced = true;
            app::flush();
            trace::line(&format!(
                "main-layout input={} filter={} attach={} conversation={} left-edge={},{}",
                at(&self.input),
                at(&self.filter),
                at(&self.attach),
                at(&self.conversation.view.display),
                self.left.x() + self.left.w(),
                self.left.y() + self.left.h() / 2
            ));
        }
        if new_warning {
            app::flush();
            trace::line(&format!(
                "fingerprint-warning main {}",
                self.warning_text.label().replace('\n', " ")
            ));
        }
        let _ = banner;
        match self.transfers.first_row_buttons() {
            Some((open, dismiss)) if !self.rows_traced => {
                self.rows_traced = true;
                app::flush();
                trace::line(&format!(
                    "transfer-row open={},{} dismiss={},{}",
                    open.0, open.1, dismiss.0, dismiss.1
                ));
            }
            None => self.rows_traced = false,
            _ => {}
        }
    }
}

fn show(w: &mut impl WidgetExt, visible: bool) {
    if visible && !w.visible() {
        w.show();
    } else if !visible && w.visible() {
        w.hide();
    }
}
