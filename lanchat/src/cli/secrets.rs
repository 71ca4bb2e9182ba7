//! Reading what is typed: lines, and passwords without echo.
//!
//! Standard input is read on a thread of its own, a line at a time. A `/passwd` line is
//! answered there, before the next line is read: on a terminal both passwords are asked for
//! without echo (the new one twice), through [`prompt_secret`], the one prompt the login uses
//! too; without a terminal (a script, a bot), the next two lines are the current and the new
//! password. Either way the passwords never pass through the command parser, and a
//! passphrase may hold spaces.
use std::io::{BufRead, IsTerminal};

use crossbeam_channel::Receiver;

use super::input::{parse, Input};

/// What was typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// A line.
    Line(String),
    /// `/passwd` and its two passwords.
    Passwords {
        /// The current password.
        old: String,
        /// The new password.
        new: String,
    },
    /// `/passwd` could not get its passwords: why.
    NoPasswords(String),
}

/// Asks for a secret on the terminal without echo: the one password prompt of the terminal
/// client (login and `/passwd`).
pub fn prompt_secret(prompt: &str) -> std::io::Result<String> {
    rpassword::prompt_password(prompt)
}

/// Reads standard input on its own thread; the channel closes at end of input.
pub fn typed_lines() -> Receiver<Typed> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let terminal = std::io::stdin().is_terminal();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut lines = stdin.lock().lines();
        while let Some(Ok(line)) = lines.next() {
            let typed = if parse(&line) == Input::Passwd {
                if terminal {
                    passwords_from_terminal()
                } else {
                    passwords_from(&mut lines)
                }
            } else {
                Typed::Line(line)
            };
            if tx.send(typed).is_err() {
                return;
            }
        }
    });
    rx
}

/// The current and the new password (twice), asked for without echo.
fn passwords_from_terminal() -> Typed {
    let asked = (|| {
        let old = prompt_secret("current password: ")?;
        let new = prompt_secret("new password: ")?;
        let again = prompt_secret("new password again: ")?;
        Ok::<_, std::io::Error>((old, new, again))
    })();
    match asked {
        Ok((old, new, again)) if new == again => Typed::Passwords { old, new },
        Ok(_) => Typed::NoPasswords("the new passwords differ; nothing changed".into()),
        Err(e) => Typed::NoPasswords(format!("cannot read the passwords: {e}")),
    }
}

/// The next two lines, as the current and the new password.
pub fn passwords_from(lines: &mut impl Iterator<Item = std::io::Result<String>>) -> Typed {
    match (lines.next(), lines.next()) {
        (Some(Ok(old)), Some(Ok(new))) => Typed::Passwords { old, new },
        _ => Typed::NoPasswords(
            "/passwd reads the current and the new password from the next two lines".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Passphrases with spaces, as registration accepts them.
    #[test]
    fn the_next_two_lines_are_the_passwords_whole() {
        let mut lines = ["correct horse battery", "new passphrase with spaces", "hi"]
            .into_iter()
            .map(|l| Ok(l.to_string()));
        assert_eq!(
            passwords_from(&mut lines),
            Typed::Passwords {
                old: "correct horse battery".into(),
                new: "new passphrase with spaces".into()
            }
        );
        assert_eq!(lines.next().unwrap().unwrap(), "hi");
        let mut short = std::iter::once(Ok("only one".to_string()));
        assert!(matches!(passwords_from(&mut short), Typed::NoPasswords(_)));
    }
}
