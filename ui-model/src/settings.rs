//! The GUI's settings, kept in the client's data directory as `key = value` lines (the
//! widgets read and write the file; this module only parses and prints it, so it is tested
//! without a disk). Unknown keys and bad values are ignored: a hand-edited or older file
//! never keeps the GUI from starting.

/// File name inside the client's data directory.
pub const FILE: &str = "gui-settings";

/// Everything the GUI remembers between runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The last username typed (always remembered).
    pub username: String,
    /// "Keep me signed in".
    pub keep_signed_in: bool,
    /// Desktop notifications for direct messages and mentions.
    pub notifications: bool,
    /// The dark theme.
    pub dark: bool,
    /// Start with the desktop session, hidden in the tray.
    pub autostart: bool,
    /// Width of the left sidebar, pixels.
    pub left_width: i32,
    /// Width of the right sidebar (members), pixels.
    pub right_width: i32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            username: String::new(),
            keep_signed_in: false,
            notifications: true,
            dark: false,
            autostart: false,
            left_width: 220,
            right_width: 180,
        }
    }
}

/// Sidebar widths are kept within these bounds (a bad value never hides a pane).
pub const WIDTH_RANGE: (i32, i32) = (120, 600);

impl Settings {
    /// Reads the file's text.
    pub fn parse(text: &str) -> Settings {
        let mut s = Settings::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim();
            let flag = matches!(value, "true" | "yes" | "1");
            let width = value
                .parse::<i32>()
                .ok()
                .map(|w| w.clamp(WIDTH_RANGE.0, WIDTH_RANGE.1));
            match key.trim() {
                "username" => s.username = value.chars().take(64).collect(),
                "keep_signed_in" => s.keep_signed_in = flag,
                "notifications" => s.notifications = flag,
                "dark" => s.dark = flag,
                "autostart" => s.autostart = flag,
                "left_width" => s.left_width = width.unwrap_or(s.left_width),
                "right_width" => s.right_width = width.unwrap_or(s.right_width),
                _ => {}
            }
        }
        s
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        format!(
            "username = {}\nkeep_signed_in = {}\nnotifications = {}\ndark = {}\nautostart = {}\n\
             left_width = {}\nright_width = {}\n",
            self.username.replace('\n', " "),
            self.keep_signed_in,
            self.notifications,
            self.dark,
            self.autostart,
            self.left_width,
            self.right_width
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_a_round_trip_and_bad_lines_are_ignored() {
        let s = Settings {
            username: "alice".into(),
            keep_signed_in: true,
            dark: true,
            left_width: 300,
            ..Settings::default()
        };
        assert_eq!(Settings::parse(&s.to_text()), s);
        let odd = Settings::parse("left_width = 5\nright_width = x\nnonsense\ncolour = red\n");
        assert_eq!(odd.left_width, WIDTH_RANGE.0);
        assert_eq!(odd.right_width, Settings::default().right_width);
        assert_eq!(Settings::parse(""), Settings::default());
    }
}
