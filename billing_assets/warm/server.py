"""The server process: hold the lock, preload, listen, and serve one request at a time in a fresh fork."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Sequence

from billing_assets.warm.child import _child, _client_base_path
from billing_assets.warm.log import _log
from billing_assets.warm.paths import Paths, _try_lock, code_version, interpreter_state, locate, server_dir, source_root
from billing_assets.warm.preload import IMPORT_TIME_IRRELEVANT, STARTUP_ENV, _effective_env, _sensitive, preload
from billing_assets.warm.protocol import FORWARDED_SIGNALS, Channel, _peer_uid

DEFAULT_IDLE_TIMEOUT = 900.0
CLIENT_GONE_GRACE = 60.0  # after interrupting a child whose client disappeared, SIGKILL it this much later


class _Stop(BaseException):  # not an error: unwinds the server loop (SIGTERM, stop, stale)
    pass


class Server:
    def __init__(self, paths: Paths, idle_timeout: float) -> None:
        self.paths = paths
        self.idle_timeout = idle_timeout
        self.root = source_root()
        self.lock_fd: int | None = None
        self.listener: socket.socket | None = None
        self.inode: tuple[int, int] | None = None
        self.started = time.time()
        self.code_version = ""
        self.requests = 0
        self.refused = 0
        self.busy = False
        self.stop_requested = False
        self.preload_seconds = 0.0
        self.sensitive: dict[str, str | None] = {}
        self.env_writes: dict[str, str | None] = {}
        self.pending: list[tuple[socket.socket, Channel, dict]] = []
        self.running: dict | None = None
        self.interpreter: dict = {}
        self.base_path: list[str] = []
        self.log_fd = -1

    # -- life cycle

    def acquire(self) -> bool:
        deadline = time.monotonic() + 2.0  # a client may hold the lock for a moment while it looks
        while True:
            self.lock_fd = _try_lock(self.paths.lock)
            if self.lock_fd is not None:
                os.ftruncate(self.lock_fd, 0)
                os.write(self.lock_fd, f"{os.getpid()}\n".encode())
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def on_signal(self, signum, _frame) -> None:
        self.stop_requested = True
        if not self.busy:
            raise _Stop(signal.Signals(signum).name)

    def serve(self) -> int:
        if not self.acquire():
            _log("another server holds the lock; exiting")
            return 0
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        try:
            self.code_version = code_version(self.root)  # before the imports: an edit during them makes us stale
            _log(f"starting: key {self.paths.key}, code version {self.code_version}, python {sys.executable}")
            environ_before = dict(os.environ)
            self.base_path = list(sys.path)  # what a client's sys.path[1:] must be (python -P: no script dir)
            report = preload(self.root)
            self.preload_seconds = report["seconds"]
            self.interpreter = interpreter_state()
            names = {k for k in report["env_reads"] if k not in IMPORT_TIME_IRRELEVANT} \
                | {k for k in environ_before if _sensitive(k)} | STARTUP_ENV
            self.sensitive = {k: _effective_env(environ_before).get(k) for k in sorted(names)}
            # Each child logs the modules it still imports: that a close imports none is the check of this list.
            _log(f"preloaded {len(sys.modules)} modules in {report['seconds']:.1f} s (the instance/run probe "
                 f"imported {report['probe_imported']}); failed {report['failed']}")
            self.env_writes = report["env_writes"]
            _log(f"environment variables read while importing (requests must match): {sorted(self.sensitive)}")
            _log(f"environment variables set while importing (re-applied in every child): {self.env_writes}")
            tasks = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else -1
            fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else []
            _log(f"python threads {__import__('threading').active_count()}, OS threads {tasks}, open fds {fds}")
            self.log_fd = os.dup(2)
            os.set_inheritable(self.log_fd, False)
            self.listen()
            _log(f"ready on {self.paths.sock} (idle timeout {self.idle_timeout:.0f} s)")
            self.loop()
        except _Stop as stop:
            _log(f"stopping: {stop}")
        finally:
            self.cleanup()
        return 0

    def listen(self) -> None:
        temporary = self.paths.dir / f".{self.paths.key}.{os.getpid()}.sock"
        temporary.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(os.fspath(temporary))
        listener.listen(64)
        os.replace(temporary, self.paths.sock)  # atomic: the socket path never names a dead socket
        info = os.stat(self.paths.sock)
        self.inode = (info.st_dev, info.st_ino)
        listener.settimeout(1.0)
        self.listener = listener

    def owns_socket(self) -> bool:
        try:
            info = os.stat(self.paths.sock)
        except OSError:
            return False
        return (info.st_dev, info.st_ino) == self.inode

    def cleanup(self) -> None:
        if self.listener is not None:
            if self.owns_socket():
                self.paths.sock.unlink(missing_ok=True)
            self.listener.close()
            self.listener = None
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None

    def loop(self) -> None:
        last_active = time.monotonic()
        while not self.stop_requested:
            if not self.owns_socket():
                _log("socket file removed or replaced; exiting")
                return
            if self.pending:  # run requests that arrived while a child ran, in order
                conn, channel, message = self.pending.pop(0)
            else:
                if time.monotonic() - last_active > self.idle_timeout:
                    _log(f"idle for {self.idle_timeout:.0f} s; exiting")
                    return
                try:
                    conn, _ = self.listener.accept()
                except TimeoutError:
                    continue
                channel, message = self.receive(conn)
                if message is None:
                    conn.close()
                    continue
            self.busy = True
            try:
                with conn:
                    if self.dispatch(channel, message):
                        last_active = time.monotonic()
            except _Stop:
                raise
            except Exception as exc:  # one bad request must not take the server down
                _log(f"request failed: {exc!r}")
            finally:
                self.busy = False
                for fd in channel.fds:
                    with contextlib.suppress(OSError):
                        os.close(fd)
        _log("stopping: requested")
        for conn, channel, _message in self.pending:  # their clients see the connection close before "started"
            for fd in channel.fds:
                os.close(fd)
            conn.close()

    # -- requests

    def status(self) -> dict:
        return {"status": "ok", "pid": os.getpid(), "uptime": time.time() - self.started,
                "code_version": self.code_version, "requests": self.requests, "refused": self.refused,
                "idle_timeout": self.idle_timeout, "socket": str(self.paths.sock), "log": str(self.paths.log),
                "preload_seconds": self.preload_seconds, "modules": len(sys.modules),
                "sensitive_env": sorted(self.sensitive), "running": self.running, "queued": len(self.pending)}

    def receive(self, conn: socket.socket) -> tuple[Channel, dict | None]:
        conn.settimeout(10.0)
        channel = Channel(conn)
        if _peer_uid(conn) != os.getuid():
            return channel, None
        try:
            return channel, channel.receive(with_fds=True)
        except (OSError, EOFError, ValueError) as exc:
            for fd in channel.fds:
                os.close(fd)
            channel.fds = []
            _log(f"bad request: {exc!r}")
            return channel, None

    def answer(self, channel: Channel, message: dict) -> bool:
        """Answer a status/stop/unknown request (closing any fds it carried); False for a run request."""
        op = message.get("op")
        if op == "run":
            return False
        for fd in channel.fds:
            os.close(fd)
        channel.fds = []
        if op == "status":
            channel.send(self.status())
        elif op == "stop":
            channel.send({"status": "stopping", "pid": os.getpid()})
            self.stop_requested = True
            _log("stop requested" + (" (after the running request)" if self.running else ""))
        else:
            channel.send({"status": "error", "error": f"unknown op {op!r}"})
        return True

    def dispatch(self, channel: Channel, message: dict) -> bool:
        """Serve one request; True when it was a run (which counts as activity for the idle timeout)."""
        if self.answer(channel, message):
            if self.stop_requested:
                raise _Stop("stop requested")
            return False
        fds, channel.fds = channel.fds, []
        try:
            if message.get("code_version") != self.code_version:
                _log(f"stale: request has code version {message.get('code_version')}, ours is {self.code_version}")
                self.cleanup()  # socket gone and lock free before the client hears it: it may start a new server
                channel.send({"status": "stale"})
                raise _Stop("stale code version")
            reason = self.refusal(message, fds)
            if reason:
                self.refused += 1
                _log(f"refused {message.get('argv')}: {reason}")
                channel.send({"status": "refused", "reason": reason})
                return False
            self.run(channel, message, fds)
            return True
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def refusal(self, message: dict, fds: list[int]) -> str:
        import threading

        if len(fds) != 3:
            return f"expected 3 file descriptors, got {len(fds)}"
        if threading.active_count() != 1:
            return f"the server has {threading.active_count()} threads; forking it is not safe"
        if message.get("interpreter") != self.interpreter:
            return "different interpreter flags or options"
        sys_path = _client_base_path(message)
        if sys_path != self.base_path:
            return f"different sys.path (client {sys_path}, server {self.base_path})"
        env = _effective_env(message.get("env") or {})
        differ = sorted(k for k in set(self.sensitive) | {k for k in env if _sensitive(k)}
                        if env.get(k) != self.sensitive.get(k))
        if differ:
            return f"environment differs in variables read at import time: {differ}"
        return ""

    def run(self, channel: Channel, message: dict, fds: list[int]) -> None:
        started = time.monotonic()
        go_read, go_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(go_write)
            _child(self, channel, message, fds, go_read, self.env_writes)  # never returns
        os.close(go_read)
        for fd in fds:
            os.close(fd)
        fds.clear()
        try:
            channel.send({"status": "started", "pid": pid})
            os.write(go_write, b"g")
        except OSError:  # the client gave up waiting (QUEUE_WAIT) and runs the command cold itself
            os.close(go_write)  # without "g" the child exits at once, having run nothing
            os.waitpid(pid, 0)
            _log(f"client left before the run started; {message.get('argv')} not run")
            return
        os.close(go_write)
        self.running = {"pid": pid, "argv": message.get("argv"), "cwd": message.get("cwd"), "since": time.time()}
        pidfd = os.pidfd_open(pid)
        try:
            client_gone = self.wait(channel, pidfd, pid)
            _, wait_status = os.waitpid(pid, 0)
        finally:
            os.close(pidfd)
            self.running = None
        code = os.waitstatus_to_exitcode(wait_status)
        self.requests += 1
        _log(f"request {self.requests}: pid {pid} {message.get('argv')} in {message.get('cwd')}: exit {code} "
             f"after {time.monotonic() - started:.2f} s" + (" (the client had gone)" if client_gone else ""))
        if not client_gone:
            with contextlib.suppress(OSError):
                channel.send({"exit": code})

    def wait(self, channel: Channel, pidfd: int, pid: int) -> bool:
        """Until the child exits: forward the client's signals, answer status/stop and queue runs on the listener,
        and interrupt the child if its client disappears. True when the client disappeared."""
        import select

        poller = select.poll()
        for fd in (pidfd, channel.sock.fileno(), self.listener.fileno()):
            poller.register(fd, select.POLLIN)
        client_gone = False
        kill_at = None
        channel.sock.setblocking(True)
        while True:
            timeout = None if kill_at is None else max(0, int((kill_at - time.monotonic()) * 1000))
            events = dict(poller.poll(timeout))
            if pidfd in events:
                return client_gone
            if kill_at is not None and time.monotonic() >= kill_at:
                _log(f"child {pid} still running {CLIENT_GONE_GRACE:.0f} s after SIGINT; killing it")
                with contextlib.suppress(ProcessLookupError):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                kill_at = None
            if self.listener.fileno() in events:
                self.accept_while_busy()
            if channel.sock.fileno() in events:
                try:
                    messages = channel.receive_available()
                except (OSError, EOFError, ValueError):
                    # The client died without its handlers running (SIGKILL, a crash). Its cold process would
                    # have died at once; an interrupt lets Dagster end the run and free its concurrency slots
                    # instead of leaving a STARTED run holding them (later runs would wait for them forever).
                    poller.unregister(channel.sock)
                    _log(f"client of child {pid} disappeared; interrupting the child (SIGINT)")
                    with contextlib.suppress(ProcessLookupError):
                        signal.pidfd_send_signal(pidfd, signal.SIGINT)
                    client_gone = True
                    kill_at = time.monotonic() + CLIENT_GONE_GRACE
                    continue
                for message in messages:
                    signum = message.get("signal")
                    if signum in {int(s) for s in FORWARDED_SIGNALS}:
                        with contextlib.suppress(ProcessLookupError):
                            signal.pidfd_send_signal(pidfd, signum)

    def accept_while_busy(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except (TimeoutError, BlockingIOError):
            return
        channel, message = self.receive(conn)
        if message is None:
            conn.close()
            return
        try:
            if self.answer(channel, message):
                conn.close()
                return
        except OSError:
            conn.close()
            return
        self.pending.append((conn, channel, message))  # its client waits for "started" (up to QUEUE_WAIT)


def serve_main(argv: Sequence[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m billing_assets.warm")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the warm server in this process")
    serve.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_TIMEOUT)
    args = parser.parse_args(argv)
    paths = locate(create=True)
    if paths is None:
        print(f"billing server: no usable socket directory {server_dir()}", file=sys.stderr)
        return 1
    try:
        code = Server(paths, args.idle_timeout).serve()
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    # No interpreter shutdown: it would only report the frozen (gc.freeze) extension objects as leaks.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
