"""The client half, called first thing by `cli.main`: run a command in the warm server, or start a server after
a cold run. Imports only the standard library."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Sequence

from billing_assets.warm.paths import Paths, _lock_held, code_version, interpreter_state, locate
from billing_assets.warm.protocol import FORWARDED_SIGNALS, Channel, _connect

WARM_COMMANDS = frozenset({"close", "review", "approve", "validate", "demo"})
SPAWN_COMMANDS = frozenset({"close", "review", "approve", "demo"})  # a cold run of these starts a server
STARTING_WAIT = 30.0  # a client waits this long for a server that is still preloading (lock held, no socket)
QUEUE_WAIT = 60.0  # ... and this long for "started" while the server serves another request; then it runs cold
# Never given to a server process (it must not find a billing home or hold secrets it does not need).
SCRUBBED_ENV = frozenset({"BILLING_HOME", "BILLING_DB", "DAGSTER_HOME"})
SECRET_MARKERS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")
SUPPORTED = sys.platform.startswith("linux") and hasattr(os, "pidfd_open")  # pidfds, SO_PEERCRED
MAX_LOG_BYTES = 1024 * 1024

# Module state: other modules read and set it as `client.<name>`, never through a copy (`from ... import`).
_IN_CHILD = False  # True in a forked request child (set by child.py): cli.main must not go through a server again
_spawn_after_cold = False  # set by run_warm when no usable server answered
_entry_env: dict[str, str] = {}  # os.environ when run_warm was called (before a cold run changes it)


def _stream_spec(stream) -> dict | None:
    if stream is None:
        return None
    return {"encoding": getattr(stream, "encoding", None) or "utf-8", "errors": getattr(stream, "errors", None)
            or "strict", "line_buffering": bool(getattr(stream, "line_buffering", False)),
            "write_through": bool(getattr(stream, "write_through", False))}


def _ignored_signals() -> list[int]:
    return [int(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE,
                             signal.SIGXFSZ, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM)
            if signal.getsignal(s) == signal.SIG_IGN]


def _wait_for_listener(paths: Paths, deadline: float) -> socket.socket | None:
    """Connect; while a server holds the lock but is not listening yet (preloading), wait for it."""
    while True:
        sock = _connect(paths)
        if sock is not None or not _lock_held(paths.lock) or time.monotonic() > deadline:
            return sock
        time.sleep(0.05)


def run_warm(argv: Sequence[str]) -> int | None:
    """Run `billing <argv>` in the warm server; the exit code, or None when the caller must run it cold."""
    global _spawn_after_cold, _entry_env
    _spawn_after_cold = False
    if _IN_CHILD or not argv or argv[0] not in WARM_COMMANDS or not SUPPORTED:
        return None
    _entry_env = dict(os.environ)
    if os.environ.get("BILLING_SERVER", "auto").strip().lower() == "off":
        return None
    spawn = argv[0] in SPAWN_COMMANDS
    try:
        started = _start_remote(argv)
    except Exception:  # the warm path must never break a command that can still run cold
        started = None
    if started is None or started[0] != "started":
        # No server, or it went away (stale code, exiting) before starting the run: start a new one afterwards.
        # A refusal comes from a live server that just cannot serve this environment: nothing to start.
        _spawn_after_cold = spawn and (started is None or started[0] != "refused")
        return None
    _, channel, pid, paths = started
    with channel.sock:
        return _follow(channel, pid, paths)


def _start_remote(argv: Sequence[str]) -> tuple | None:
    """Connect and send the request; ("started", channel, pid, paths), (status,) or None without a server."""
    paths = locate(create=False)
    if paths is None:
        return None
    for fd in (0, 1, 2):
        os.fstat(fd)  # a closed standard fd cannot be passed on (OSError: run cold)
    sock = _wait_for_listener(paths, time.monotonic() + STARTING_WAIT)
    if sock is None:
        return None
    try:
        stdio = (sys.stdin, sys.stdout, sys.stderr)
        umask = os.umask(0o022)
        os.umask(umask)
        message = {"op": "run", "argv": list(argv), "sys_argv": list(sys.argv), "cwd": os.getcwd(),
                   "env": dict(os.environ), "code_version": code_version(), "umask": umask,
                   "sys_path": list(sys.path), "safe_path": bool(sys.flags.safe_path), "executable": sys.executable,
                   "interpreter": interpreter_state(), "stdio": [_stream_spec(s) for s in stdio],
                   "ignored_signals": _ignored_signals()}
        for stream in stdio:
            if stream is not None:
                stream.flush()
        channel = Channel(sock)
        channel.send(message, fds=(0, 1, 2))
        sock.settimeout(QUEUE_WAIT)
        reply = channel.receive()
        if reply.get("status") != "started":
            sock.close()
            return (str(reply.get("status")),)
        return ("started", channel, int(reply["pid"]), paths)
    except BaseException:
        sock.close()  # before "started" the server never runs the request once we are gone
        raise


def _follow(channel: Channel, pid: int, paths: Paths) -> int:
    """Wait for the child's exit code, forwarding SIGINT/SIGTERM/SIGHUP to it through the server."""
    channel.sock.settimeout(None)

    def forward(signum, _frame) -> None:
        with contextlib.suppress(OSError):
            channel.send({"signal": int(signum)})

    previous = {}
    for signum in FORWARDED_SIGNALS:
        if signal.getsignal(signum) != signal.SIG_IGN:
            previous[signum] = signal.signal(signum, forward)
    try:
        reply = channel.receive()
        code = int(reply["exit"])
    except (OSError, EOFError, ValueError, KeyError, TypeError):
        print(f"billing: warm server lost the run (pid {pid}); see {paths.log}", file=sys.stderr)
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if code < 0:  # the child died of a signal: so does this process, as the cold one would have
        sys.stdout.flush()
        sys.stderr.flush()
        with contextlib.suppress(OSError, ValueError):  # SIGKILL has no handler to reset
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        return 128 - code
    return code


def after_cold(argv: Sequence[str]) -> None:
    """After a cold run that found no usable server: start one in the background for the next call."""
    global _spawn_after_cold
    if not _spawn_after_cold:
        return
    _spawn_after_cold = False
    paths = locate(create=True)
    if paths is not None and not _lock_held(paths.lock):
        with contextlib.suppress(OSError):
            spawn_server(paths, environ=_entry_env)


def server_env(environ: dict[str, str]) -> dict[str, str]:
    """The environment a server process starts with: the caller's minus billing homes and secrets."""
    return {k: v for k, v in environ.items()
            if k not in SCRUBBED_ENV and not any(marker in k.upper() for marker in SECRET_MARKERS)}


def _server_command(idle_timeout: float | None) -> list[str]:
    command = [sys.executable, "-P", "-m", "billing_assets.warm", "serve"]
    if idle_timeout is not None:
        command += ["--idle-timeout", str(idle_timeout)]
    return command


def spawn_server(paths: Paths, idle_timeout: float | None = None, environ: dict[str, str] | None = None):
    """A detached server process (own session; stdio on its log file, never the caller's pipes)."""
    import subprocess

    try:
        if paths.log.stat().st_size > MAX_LOG_BYTES:
            paths.log.unlink()
    except OSError:
        pass
    fd = os.open(paths.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    try:
        return subprocess.Popen(_server_command(idle_timeout), stdin=subprocess.DEVNULL, stdout=fd, stderr=fd,
                                cwd="/", env=server_env(environ or dict(os.environ)), start_new_session=True,
                                close_fds=True)
    finally:
        os.close(fd)
