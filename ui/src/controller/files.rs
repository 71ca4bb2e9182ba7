//! Files: attaching (offer in a direct conversation, share in a room), dropping, asking about
//! incoming offers (also noted in the direct conversation), and opening received files.
use std::path::{Path, PathBuf};

use fltk::dialog;
use lanchat_client::{Command, Event, TransferKey};
use lanchat_net::protocol::ConvRef;
use lanchat_ui_model::model::TransferState;
use lanchat_ui_model::trace;
use lanchat_ui_model::transcript::OfferAnswer;

use super::Controller;

impl Controller {
    /// The "Attach file…" button: a direct conversation offers to the person, a room shares.
    pub(super) fn attach(&mut self) {
        if matches!(self.model.current, ConvRef::Dm(_)) {
            self.send_file();
        } else {
            self.share_file();
        }
    }

    pub(super) fn send_file(&mut self) {
        let ConvRef::Dm(to) = self.model.current.clone() else {
            self.model.notify(
                "Files go to a person: open a direct conversation first.",
                true,
            );
            return;
        };
        if let Some(path) = choose_file(&format!("Send a file to {to}")) {
            self.offer(to, path);
        }
    }

    pub(super) fn share_file(&mut self) {
        if let Some(path) = choose_file("Share a file in this conversation") {
            self.share(path);
        }
    }

    fn offer(&mut self, to: String, path: PathBuf) {
        trace::line(&format!("offering {} to {to}", path.display()));
        self.send(Command::SendFile {
            to,
            path,
            name: None,
        });
    }

    fn share(&mut self, path: PathBuf) {
        trace::line(&format!(
            "sharing {} in {}",
            path.display(),
            self.model.current
        ));
        self.send(Command::ShareFile {
            conv: self.model.current.clone(),
            path,
        });
    }

    /// Files and folders dropped on the conversation: one offer of all of them (direct), or
    /// a share of each file (room).
    pub(super) fn dropped(&mut self, paths: Vec<PathBuf>) {
        trace::line(&format!("dropped {}", paths.len()));
        if let ConvRef::Dm(to) = self.model.current.clone() {
            if !paths.is_empty() {
                trace::line(&format!("offering {} paths to {to}", paths.len()));
                self.send(Command::SendFiles { to, paths });
            }
            return;
        }
        for path in paths {
            if !path.is_file() {
                let what = format!(
                    "{} is not a file; only files can be shared in a room (folders can be sent \
                     to a person).",
                    path.display()
                );
                self.model.notify(what, true);
                continue;
            }
            self.share(path);
        }
    }

    /// After an engine event: an offer is announced (its card is in the direct
    /// conversation with the sender).
    pub(super) fn files_event(&mut self, event: &Event) {
        if let Event::FileOffered(offer) = event {
            let name = self.model.display_name(&offer.from, None);
            let text = format!(
                "{name} offers {}: answer in your conversation with them.",
                lanchat_ui_model::format::offer_summary(offer)
            );
            self.model.notify(text, false);
        }
    }

    /// An answer clicked on an offer card.
    pub(super) fn answer_offer(&mut self, id: u64, answer: OfferAnswer) {
        let dir = match answer {
            OfferAnswer::Accept => Some(self.downloads.clone()),
            OfferAnswer::SaveAs => {
                match dialog::dir_chooser("Save in", &self.downloads.to_string_lossy(), false) {
                    Some(d) => Some(PathBuf::from(d)),
                    None => return,
                }
            }
            OfferAnswer::Deny => None,
        };
        trace::line(&format!("offer-answer {id} {answer:?}"));
        if let Some(c) = self.model.answer_offer(id, dir) {
            self.send(c);
        }
    }

    /// Opens a received file, or the folder it is in.
    pub(super) fn open_received(&mut self, key: TransferKey, folder: bool) {
        let path = self.model.transfers.iter().find_map(|t| match &t.state {
            TransferState::Verified { path: Some(p) } if t.key == key => Some(p.clone()),
            _ => None,
        });
        let Some(path) = path else { return };
        let target = if folder {
            path.parent().map(Path::to_path_buf).unwrap_or(path)
        } else {
            path
        };
        trace::line(&format!("open-file {}", target.display()));
        open_path(&target.to_string_lossy());
    }
}

fn choose_file(title: &str) -> Option<PathBuf> {
    let start = dirs::home_dir().unwrap_or_else(|| PathBuf::from("."));
    dialog::file_chooser(title, "*", start, false).map(PathBuf::from)
}

/// Opens a link in the default browser without waiting for it.
pub(super) fn open_link(url: &str) {
    trace::line(&format!("open-link {url}"));
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return;
    }
    open_path(url);
}

/// Hands a URL or a path to the desktop's opener, without waiting for it. Tests set
/// `LANCHAT_OPENER` to a harmless program.
fn open_path(what: &str) {
    let opener = std::env::var("LANCHAT_OPENER").unwrap_or_else(|_| {
        if cfg!(target_os = "macos") {
            "open".into()
        } else if cfg!(windows) {
            "explorer".into()
        } else {
            "xdg-open".into()
        }
    });
    match std::process::Command::new(&opener).arg(what).spawn() {
        // Reap it in the background so no zombie is left behind.
        Ok(mut child) => drop(std::thread::spawn(move || child.wait())),
        Err(e) => tracing::warn!("cannot open {what} with {opener}: {e}"),
    }
}
