//! The look: one flat palette (light or dark, a setting), one font scale, and the frame
//! types that replace FLTK's bevelled defaults. Every widget takes its colours from
//! [`Palette`], so the dark variant is the same code with other numbers.
use fltk::app;
use fltk::enums::{Color, FrameType};

/// Base font size; headings and small print are derived from it.
pub const FONT: i32 = 14;
/// Headings (the conversation's name).
pub const HEADING: i32 = 18;
/// Small print (hints, times).
pub const SMALL: i32 = 12;
/// Space between and around panes.
pub const PAD: i32 = 8;

/// The colours of one variant.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    /// Window and pane background.
    pub window: Color,
    /// Text areas and lists.
    pub surface: Color,
    /// Body text.
    pub text: Color,
    /// Secondary text (times, hints).
    pub muted: Color,
    /// Buttons that do the main thing, selection.
    pub accent: Color,
    /// Text on the accent colour.
    pub on_accent: Color,
    /// Errors, the connection banner, failed transfers.
    pub danger: Color,
    /// Text on the danger colour.
    pub on_danger: Color,
    /// Presence: online.
    pub online: Color,
    /// Presence: away (readable on the surface colour).
    pub away: Color,
    /// Presence: offline or unknown.
    pub offline: Color,
    /// Inline code background.
    pub code_bg: Color,
    /// Inline code text.
    pub code: Color,
    /// Links.
    pub link: Color,
    /// Other people's names.
    pub sender: Color,
    /// This user's own name.
    pub own: Color,
    /// Mentions of this user: background.
    pub mention_bg: Color,
    /// The "new messages" line.
    pub divider: Color,
    /// Avatar backgrounds.
    pub avatars: [Color; 8],
}

const fn rgb(v: u32) -> Color {
    Color::from_hex(v)
}

const AVATARS: [Color; 8] = [
    rgb(0x4f6bed),
    rgb(0x2e9e6a),
    rgb(0xd9534f),
    rgb(0x9b59b6),
    rgb(0xe08e0b),
    rgb(0x1f9bb5),
    rgb(0xc2185b),
    rgb(0x607d8b),
];

/// The light variant.
pub const LIGHT: Palette = Palette {
    window: rgb(0xf3f4f7),
    surface: rgb(0xffffff),
    text: rgb(0x1d2330),
    muted: rgb(0x6b7280),
    accent: rgb(0x3b5bdb),
    on_accent: rgb(0xffffff),
    danger: rgb(0xc92a2a),
    on_danger: rgb(0xffffff),
    online: rgb(0x2f9e44),
    away: rgb(0xb35c00),
    offline: rgb(0x9aa0a6),
    code_bg: rgb(0xeef0f4),
    code: rgb(0xa61e4d),
    link: rgb(0x1c58c9),
    sender: rgb(0x1d2330),
    own: rgb(0x3b5bdb),
    mention_bg: rgb(0xfff3bf),
    divider: rgb(0xe03131),
    avatars: AVATARS,
};

/// The dark variant.
pub const DARK: Palette = Palette {
    window: rgb(0x1e2128),
    surface: rgb(0x272b33),
    text: rgb(0xe6e8ec),
    muted: rgb(0x9aa0aa),
    accent: rgb(0x5c7cfa),
    on_accent: rgb(0xffffff),
    danger: rgb(0xe5534b),
    on_danger: rgb(0xffffff),
    online: rgb(0x51cf66),
    away: rgb(0xfcc419),
    offline: rgb(0x7d838d),
    code_bg: rgb(0x343a46),
    code: rgb(0xff8fab),
    link: rgb(0x74a7ff),
    sender: rgb(0xe6e8ec),
    own: rgb(0x91a7ff),
    mention_bg: rgb(0x5c4a12),
    divider: rgb(0xff6b6b),
    avatars: AVATARS,
};

/// Colour map entries the lists' `@C<n>` codes use for presence: online, away, offline
/// (set by [`apply`] from the palette).
pub const PRESENCE_INDEX: [u8; 3] = [200, 201, 202];

/// The palette of a variant.
pub fn palette(dark: bool) -> Palette {
    if dark {
        DARK
    } else {
        LIGHT
    }
}

/// Applies a variant to the whole application (call before building windows, and again to
/// switch; windows then re-render).
pub fn apply(dark: bool) {
    let p = palette(dark);
    let parts = |c: Color| c.to_rgb();
    let (r, g, b) = parts(p.window);
    app::set_background_color(r, g, b);
    let (r, g, b) = parts(p.surface);
    app::set_background2_color(r, g, b);
    let (r, g, b) = parts(p.text);
    app::set_foreground_color(r, g, b);
    let (r, g, b) = parts(p.accent);
    app::set_selection_color(r, g, b);
    let (r, g, b) = parts(p.muted);
    app::set_inactive_color(r, g, b);
    for (i, c) in PRESENCE_INDEX.iter().zip([p.online, p.away, p.offline]) {
        let (r, g, b) = c.to_rgb();
        app::set_color(Color::by_index(*i), r, g, b);
    }
    app::set_font_size(FONT);
    app::set_visible_focus(false);
    app::set_scrollbar_size(12);
    app::set_menu_linespacing(6);
    // Flat: no bevels on buttons, inputs and lists.
    app::set_frame_type2(FrameType::UpBox, FrameType::FlatBox);
    app::set_frame_type2(FrameType::DownBox, FrameType::BorderBox);
    app::set_frame_type2(FrameType::ThinUpBox, FrameType::FlatBox);
    app::set_frame_type2(FrameType::ThinDownBox, FrameType::BorderBox);
}
