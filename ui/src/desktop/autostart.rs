//! "Start with the desktop session": an autostart entry that runs `lanchat gui --hidden`
//! (the window stays in the tray; with a kept session it signs in by itself).
//!
//! Linux and other freedesktop desktops: `~/.config/autostart/lanchat.desktop`. Windows: a
//! shortcut script in the user's Startup folder. Elsewhere it says it is not supported.
use std::path::PathBuf;

/// Where the entry goes on this platform, if it has one.
pub fn entry_path() -> Option<PathBuf> {
    if cfg!(windows) {
        dirs::config_dir().map(|d| {
            d.join("Microsoft")
                .join("Windows")
                .join("Start Menu")
                .join("Programs")
                .join("Startup")
                .join("lanchat.cmd")
        })
    } else if cfg!(target_os = "macos") {
        None
    } else {
        dirs::config_dir().map(|d| d.join("autostart").join("lanchat.desktop"))
    }
}

/// The entry's text for the program at `exe`.
pub fn entry_text(exe: &std::path::Path) -> String {
    let exe = exe.display();
    if cfg!(windows) {
        format!("@start \"\" \"{exe}\" gui --hidden\r\n")
    } else {
        format!(
            "[Desktop Entry]\nType=Application\nName=lanchat\nComment=Office messenger \
             (started with the session, in the tray)\nExec=\"{exe}\" gui --hidden\nIcon=lanchat\n\
             Terminal=false\nX-GNOME-Autostart-enabled=true\n"
        )
    }
}

/// Writes (`on`) or removes the entry; says why it could not.
pub fn set(on: bool) -> Result<(), String> {
    let path = entry_path().ok_or("starting with the session is not supported on this system")?;
    if on {
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot find lanchat itself: {e}"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, entry_text(&exe)).map_err(|e| format!("{}: {e}", path.display()))
    } else {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("{}: {e}", path.display()))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_starts_lanchat_hidden() {
        let text = entry_text(std::path::Path::new("/opt/lanchat/lanchat"));
        assert!(
            text.contains("\"/opt/lanchat/lanchat\" gui --hidden"),
            "{text}"
        );
    }
}
