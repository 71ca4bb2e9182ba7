//! lanchat's GUI without its widgets: what the windows show and decide, as plain data and
//! functions, so all of it is unit-tested without a display and builds without FLTK.
//!
//! The FLTK crate (`lanchat-ui`) owns the windows: it feeds engine events into [`model::apply`],
//! renders the [`model::Model`], and sends the engine the
//! [`Command`](lanchat_client::Command)s that the model's methods return. The terminal client
//! shares [`format`](mod@format) with it, so both name a person the same way.
//!
//! ```
//! use lanchat_client::Event;
//! use lanchat_ui_model::{captions, model::{apply, Model, Phase}};
//!
//! let mut model = Model::default();
//! apply(&mut model, Event::Discovering);
//! model.discovery_timed_out(); // the GUI's timer: nothing answered
//! assert_eq!(model.phase, Phase::NotFound);
//! assert_eq!(captions::window_title(&model), "lanchat");
//! ```
//!
//! # Layout
//! - [`model`]: the view model, `apply(&mut Model, Event)`, and the commands that answer a
//!   user action.
//! - [`markup`]: bold, italics, inline code and links → styled spans (fuzzed: `fuzz/`).
//! - [`transcript`], [`sidebar`], [`transfers`]: what the conversation pane, the lists and
//!   the transfer strip say, as text with looks and click targets; the widgets only draw it.
//! - [`search`]: the search results pane (terms highlighted, each result a jump).
//! - [`captions`]: the window title, the conversation heading, the status bar, warnings.
//! - [`emoji`]: `:shortcodes:` and the picker's emoji.
//! - [`dropped`]: files dropped onto the window, as paths.
//! - [`dialogs`]: the pickers' choices and the dialogs' words.
//! - [`settings`]: what the GUI remembers between runs (username, keep me signed in, theme,
//!   notifications, autostart, pane sizes).
//! - [`format`](mod@format): sizes in human units, and people as `Display (@username)`.
//! - [`trace`]: the opt-in trace (`LANCHAT_UI_TRACE=1`, lines on stderr) that GUI tests
//!   wait on.
pub mod captions;
pub mod dialogs;
pub mod dropped;
pub mod emoji;
pub mod format;
pub mod markup;
pub mod model;
pub mod search;
pub mod settings;
pub mod sidebar;
pub mod trace;
pub mod transcript;
pub mod transfers;

#[cfg(test)]
mod fixtures;
