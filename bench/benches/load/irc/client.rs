//! A raw IRC client: one TCP connection (no Nagle, like QUIC, which holds nothing back),
//! NICK/USER, JOIN, PRIVMSG, and PONG for the server's PINGs. Enough IRC for the loads the
//! lanchat clients make, nothing more.

use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Mutex};

use crate::system::{Peer, Recorder, To};

/// Failure guard for registration and joining; not a timing assumption.
const PATIENCE: Duration = Duration::from_secs(60);

/// The server's answers the session waits for (numerics) or reports (errors).
type Answer = Result<String, String>;

/// One registered IRC connection.
pub struct IrcSession {
    /// The only strong reference: dropping it shuts the connection's write side, and the
    /// server then closes it.
    writer: Arc<Mutex<OwnedWriteHalf>>,
    answers: mpsc::UnboundedReceiver<Answer>,
    rec: Arc<Recorder>,
}

/// Reads lines: messages go to the recorder, PINGs are answered, numerics and errors go to
/// `answers`.
async fn read_loop(
    read: OwnedReadHalf,
    writer: Weak<Mutex<OwnedWriteHalf>>,
    answers: mpsc::UnboundedSender<Answer>,
    rec: Arc<Recorder>,
) {
    let mut read = BufReader::new(read);
    let mut line = Vec::with_capacity(512);
    loop {
        line.clear();
        match read.read_until(b'\n', &mut line).await {
            Ok(0) => return rec.end("connection closed".into()),
            Ok(_) => {}
            Err(e) => return rec.end(e.to_string()),
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if let Some(token) = text.strip_prefix("PING ") {
            let Some(writer) = writer.upgrade() else {
                return;
            };
            let pong = format!("PONG {token}\r\n");
            let _ = writer.lock().await.write_all(pong.as_bytes()).await;
            continue;
        }
        if let Some(why) = text.strip_prefix("ERROR ") {
            return rec.end(why.to_string());
        }
        // ":prefix COMMAND params"
        let Some(rest) = text.strip_prefix(':') else {
            continue;
        };
        let Some((prefix, rest)) = rest.split_once(' ') else {
            continue;
        };
        let (command, params) = rest.split_once(' ').unwrap_or((rest, ""));
        if command == "PRIVMSG" {
            let nick = prefix.split('!').next().unwrap_or(prefix);
            if let Some((_, body)) = params.split_once(" :") {
                rec.message(nick, body);
            }
        } else if command.len() == 3 && command.bytes().all(|b| b.is_ascii_digit()) {
            let answer = if command.starts_with('4') || command.starts_with('5') {
                Err(text.to_string())
            } else {
                Ok(command.to_string())
            };
            let _ = answers.send(answer);
        }
    }
}

impl IrcSession {
    /// Connects to `addr`, registers as `nick` and joins `channel` if given.
    pub async fn open(
        addr: SocketAddr,
        nick: &str,
        channel: Option<&str>,
        rec: Arc<Recorder>,
    ) -> Result<Self, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (read, write) = stream.into_split();
        let writer = Arc::new(Mutex::new(write));
        let (answers_tx, answers) = mpsc::unbounded_channel();
        tokio::spawn(read_loop(
            read,
            Arc::downgrade(&writer),
            answers_tx,
            rec.clone(),
        ));
        let mut session = IrcSession {
            writer,
            answers,
            rec,
        };
        session
            .write(format!("NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n"))
            .await?;
        session.wait_for("001").await?;
        if let Some(channel) = channel {
            session.write(format!("JOIN {channel}\r\n")).await?;
            // RPL_ENDOFNAMES: the join is complete.
            session.wait_for("366").await?;
        }
        Ok(session)
    }

    async fn write(&self, line: String) -> Result<(), String> {
        self.writer
            .lock()
            .await
            .write_all(line.as_bytes())
            .await
            .map_err(|e| e.to_string())
    }

    /// Waits for numeric `code`; any error numeric before it is the refusal.
    async fn wait_for(&mut self, code: &str) -> Result<(), String> {
        loop {
            match tokio::time::timeout(PATIENCE, self.answers.recv()).await {
                Ok(Some(Ok(got))) if got == code => return Ok(()),
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(refusal))) => return Err(refusal),
                Ok(None) => return Err("connection closed".into()),
                Err(_) => return Err(format!("no {code} within {PATIENCE:?}")),
            }
        }
    }
}

impl Peer for IrcSession {
    fn recorder(&self) -> &Arc<Recorder> {
        &self.rec
    }

    async fn send(&mut self, to: To<'_>, text: String) -> Result<(), String> {
        let target = match to {
            To::Room(channel) | To::Dm(channel) => channel,
        };
        self.write(format!("PRIVMSG {target} :{text}\r\n")).await
    }

    /// IRC acknowledges nothing; only refusals come back.
    fn drain_replies(&mut self) -> (Vec<String>, Vec<(u64, u32)>) {
        let mut errors = Vec::new();
        while let Ok(answer) = self.answers.try_recv() {
            if let Err(refusal) = answer {
                errors.push(refusal);
            }
        }
        (errors, Vec::new())
    }

    fn close(self) {
        // Dropping the only strong reference to the write half shuts it down.
    }
}
