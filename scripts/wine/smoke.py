#!/usr/bin/env python3
"""The Windows smoke test's driver (run by scripts/test-windows.sh, which prepares everything).

Two "machines" on one veth link, each a network namespace the test made: WIN runs
lanchat.exe under Wine, LIN runs the Linux lanchat. Every process uses its machine's LAN
address for multicast (--iface) and a realm of its own; nothing leaves the namespaces.

1. A Windows coordinator with Linux clients: alice and bob find it by multicast, pin its
   fingerprint, register, chat both ways, and alice's file reaches bob through the
   coordinator's relay (bob runs --no-direct), verified byte for byte.
2. A Windows `lanchat cli` with a Linux coordinator: carol (Windows) and dave (Linux) find
   it, pin, register, chat both ways, and a file goes each way directly between them
   (dave -> carol: the Windows client receives; carol -> dave: it sends), verified.
"""
import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

PASSWORD = "correct horse battery staple"
PATIENCE = 60.0  # seconds for any one expected event (Wine starts slowly under load)


def log(msg):
    print(f"wine smoke: {msg}", flush=True)


class Proc:
    """A lanchat process: JSON lines (or plain lines) out, lines in."""

    def __init__(self, name, argv, env=None, json_lines=True):
        self.name = name
        self.json_lines = json_lines
        self.lines = queue.Queue()
        self.seen = []
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self.stderr = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\r\n")
            if self.json_lines:
                try:
                    value = json.loads(line)
                except json.JSONDecodeError:
                    self.lines.put({"type": "_bad_line", "line": line})
                    continue
                self.lines.put(value)
            else:
                self.lines.put(line)
        self.lines.put(None)

    def _read_err(self):
        for line in self.proc.stderr:
            self.stderr.append(line.rstrip("\r\n"))

    def send(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def wait(self, what, pick, patience=PATIENCE):
        deadline = time.monotonic() + patience
        while True:
            left = deadline - time.monotonic()
            try:
                value = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                value = "timeout"
            if value is None or value == "timeout":
                tail = "\n  ".join(str(v) for v in self.seen[-15:])
                err = "\n  ".join(self.stderr[-15:])
                why = "exited" if value is None else f"nothing for {patience:.0f}s"
                raise SystemExit(
                    f"wine smoke FAILED: {self.name}: no {what} ({why}); last lines:\n  {tail}\n"
                    f"stderr:\n  {err}"
                )
            self.seen.append(value)
            if isinstance(value, dict) and value.get("type") == "_bad_line":
                raise SystemExit(
                    f"wine smoke FAILED: {self.name} printed a line that is not JSON: "
                    f"{value['line']!r}"
                )
            if pick(value):
                return value

    def wait_type(self, ty, patience=PATIENCE):
        return self.wait(ty, lambda v: v.get("type") == ty, patience)

    def finish(self, patience=PATIENCE):
        """Closes stdin (the CLI logs out and exits 0) and waits."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        return self.proc.wait(timeout=patience)

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()


class Machines:
    def __init__(self, args):
        self.args = args
        self.procs = []

    def linux(self, name, lanchat_args, **kw):
        argv = ["ip", "netns", "exec", self.args.lin_ns, self.args.linux_bin, *lanchat_args]
        argv += ["--iface", self.args.lin_addr]
        p = Proc(name, argv, **kw)
        self.procs.append(p)
        return p

    def windows(self, name, lanchat_args, **kw):
        # scripts/test-windows.sh's wrapper: `ip netns exec WIN wine lanchat.exe ARGS`.
        argv = [self.args.wine_run, *lanchat_args, "--iface", self.args.win_addr]
        p = Proc(name, argv, **kw)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in self.procs:
            p.kill()


def win_path(path):
    """A Unix path as the Windows process sees it (Wine's Z: drive is /)."""
    return "Z:" + path.replace("/", "\\")


def coordinator_fingerprint(coord):
    line = coord.wait("fingerprint", lambda l: l.startswith("full fingerprint: "))
    return line.split(": ", 1)[1].strip()


def cli_args(user, data, realm, fingerprint, register=True, extra=()):
    # The fingerprint the coordinator printed, as an administrator hands it out: the client
    # trusts the coordinator that discovery finds with it, and pins it.
    args = ["cli", "--json", "--user", user, "--data", data, "--realm", realm,
            "--fingerprint", fingerprint, *extra]
    if register:
        args.append("--register")
    return args


def ready(bot, coordinator_name):
    found = bot.wait_type("coordinator")
    assert found["name"] == coordinator_name, found
    bot.wait_type("ready")
    return found


def make_file(work, name, size, seed):
    """A file of `size` patterned bytes in `work`: (its path, its bytes)."""
    content = bytes(((i * 7 + i // 251 + seed) & 0xFF) for i in range(size))
    path = os.path.join(work, name)
    with open(path, "wb") as f:
        f.write(content)
    return path, content


def chat_both_ways(a, b, text_ab, text_ba):
    """a says text_ab in #general, b sees it; b sends text_ba to a directly, a sees it."""
    a.send(text_ab)
    b.wait(f"{a.name}'s message", lambda v: v.get("type") == "message" and v.get("text") == text_ab)
    b.send(f"/msg @{a.name} {text_ba}")
    dm = a.wait(f"{b.name}'s DM", lambda v: v.get("type") == "message" and v.get("conv") == f"@{b.name}")
    assert dm["text"] == text_ba, dm


def transfer(sender, receiver, sender_path, inbox, inbox_for_cli, name, content, direct):
    """sender offers sender_path to receiver, who accepts into inbox; both see it verified."""
    sender.send(f"/send @{receiver.name} {sender_path}")
    offer = receiver.wait_type("file_offer")
    assert offer["name"] == name and offer["size"] == len(content), offer
    receiver.send(f"/accept {offer['id']} {inbox_for_cli}")
    got = receiver.wait_type("transfer_done", patience=120)
    sent = sender.wait_type("transfer_done", patience=120)
    assert got["direct"] is direct and sent["direct"] is direct, (got, sent)
    with open(os.path.join(inbox, name), "rb") as f:
        assert f.read() == content, f"{name}: received bytes differ"


def windows_coordinator_linux_clients(m, work):
    realm = "wine smoke one"
    data = os.path.join(work, "win-coordinator")
    coord = m.windows(
        "windows coordinator",
        ["coordinator", "--data", win_path(data), "--listen", f"{m.args.win_addr}:0",
         "--name", "win-office", "--realm", realm],
        json_lines=False,
    )
    fingerprint = coordinator_fingerprint(coord)
    log(f"Windows coordinator up, fingerprint {fingerprint[:19]}…")
    env = {"LANCHAT_PASSWORD": PASSWORD, "LANCHAT_LOG": "warn"}
    alice = m.linux(
        "alice", cli_args("alice", os.path.join(work, "alice"), realm, fingerprint), env=env
    )
    bob = m.linux(
        "bob",
        cli_args("bob", os.path.join(work, "bob"), realm, fingerprint, extra=["--no-direct"]),
        env=env,
    )
    for bot in (alice, bob):
        found = ready(bot, "win-office")
        assert found["addr"].startswith(m.args.win_addr + ":"), found
    # The pin is the coordinator's full fingerprint.
    with open(os.path.join(work, "alice", "known_coordinators")) as f:
        assert fingerprint.replace("-", "").lower()[:16] in f.read().replace("-", "").lower()
    log("alice and bob (Linux) found it by multicast, pinned it, registered")
    chat_both_ways(alice, bob, "hello from linux", "hi back through windows")
    log("messages both ways through the Windows coordinator")
    src, content = make_file(work, "report.pdf", 300_000, 1)
    inbox = os.path.join(work, "bob-inbox")
    transfer(alice, bob, src, inbox, inbox, "report.pdf", content, direct=False)
    log("a file alice -> bob through the Windows coordinator's relay, verified")
    assert alice.finish() == 0 and bob.finish() == 0
    coord.kill()


def linux_coordinator_windows_client(m, work):
    realm = "wine smoke two"
    coord = m.linux(
        "linux coordinator",
        ["coordinator", "--data", os.path.join(work, "lin-coordinator"), "--listen",
         f"{m.args.lin_addr}:0", "--name", "lin-office", "--realm", realm],
        env={"LANCHAT_LOG": "warn"},
        json_lines=False,
    )
    fingerprint = coordinator_fingerprint(coord)
    env = {"LANCHAT_PASSWORD": PASSWORD, "LANCHAT_LOG": "warn"}
    carol_data = os.path.join(work, "carol")
    carol_inbox = os.path.join(work, "carol-inbox")
    carol = m.windows(
        "carol",
        cli_args("carol", win_path(carol_data), realm, fingerprint,
                 extra=["--downloads", win_path(carol_inbox), "--peer-listen",
                        f"{m.args.win_addr}:0"]),
        env=env,
    )
    dave = m.linux(
        "dave",
        cli_args("dave", os.path.join(work, "dave"), realm, fingerprint,
                 extra=["--peer-listen", f"{m.args.lin_addr}:0"]),
        env=env,
    )
    found = ready(carol, "lin-office")
    assert found["addr"].startswith(m.args.lin_addr + ":"), found
    assert os.path.exists(os.path.join(carol_data, "known_coordinators")), "carol pinned nothing"
    ready(dave, "lin-office")
    log("carol (Windows cli) found the Linux coordinator by multicast, pinned it, registered")
    chat_both_ways(carol, dave, "hello from windows", "hi windows")
    log("messages both ways between the Windows and the Linux client")
    src, content = make_file(work, "plan.odt", 200_000, 2)
    transfer(dave, carol, src, carol_inbox, win_path(carol_inbox), "plan.odt", content, direct=True)
    log("a file dave -> carol (received on Windows, direct), verified")
    src2, content2 = make_file(work, "minutes.txt", 150_000, 3)
    dave_inbox = os.path.join(work, "dave-inbox")
    transfer(carol, dave, win_path(src2), dave_inbox, dave_inbox, "minutes.txt", content2, direct=True)
    log("a file carol -> dave (sent from Windows, direct), verified")
    assert carol.finish() == 0, "carol's exit status"
    assert dave.finish() == 0
    coord.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wine-run", required=True, help="runs lanchat.exe ARGS under Wine in WIN")
    ap.add_argument("--linux-bin", required=True)
    ap.add_argument("--lin-ns", required=True)
    ap.add_argument("--win-addr", required=True)
    ap.add_argument("--lin-addr", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    m = Machines(args)
    started = time.monotonic()
    try:
        windows_coordinator_linux_clients(m, os.path.join(args.work, "one"))
        linux_coordinator_windows_client(m, os.path.join(args.work, "two"))
    except AssertionError as e:
        raise SystemExit(f"wine smoke FAILED: {e!r}")
    finally:
        m.stop_all()
    log(f"passed in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
