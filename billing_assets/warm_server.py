"""A warm fork server for the `billing` CLI (the multiprocessing-forkserver / gradle-daemon pattern).

Cold, `billing close` spends most of a small re-close importing dagster, pandas, duckdb, great_expectations and
our modules and loading the modules a DagsterInstance imports lazily. The server does that once, then forks one
child per request; the child takes the client's stdin/stdout/stderr (passed over the socket), environment, cwd,
umask, argv and signal dispositions and runs `billing_assets.cli.main` exactly as a fresh process would.

    python -m billing_assets.warm_server serve [--idle-timeout SECONDS]    (or: billing server start)

The client half (`run_warm`, called first thing by `cli.main`) only imports the standard library. BILLING_SERVER:
`auto` (default) uses a running server and starts one in the background after a cold run; `off` never does.

One server per interpreter + checkout (the socket name is a hash of sys.executable, sys.prefix and the source
root), not per billing home: every request brings its own environment. A request is refused (the client runs
cold) when the server could not behave like a fresh process: different code on disk (the server answers `stale`
and exits), a thread in the server, or a difference in the environment variables that were read while the
server imported its modules (numpy/pandas/dagster import-time flags, PYTHON*, locale, HOME, ...).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import stat
import struct
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

WARM_COMMANDS = frozenset({"close", "review", "approve", "validate", "demo"})
SPAWN_COMMANDS = frozenset({"close", "review", "approve", "demo"})  # a cold run of these starts a server
DEFAULT_IDLE_TIMEOUT = 900.0
STARTING_WAIT = 30.0  # a client waits this long for a server that is still preloading (lock held, no socket)
QUEUE_WAIT = 60.0  # ... and this long for "started" while the server serves another request; then it runs cold
READY_WAIT = 180.0  # `billing server start` waits this long for the server to answer
PRELOAD = ("billing_assets.cli", "billing_assets.close", "billing_assets.definitions", "billing_assets.checks",
           "billing_assets.validate", "billing_assets.approve", "billing_assets.gate", "billing_assets.demo")
OPTIONAL_PRELOAD = ("great_expectations",)
# Imported lazily by a close after everything above and the probe (seen in the children's log lines).
EXTRA_PRELOAD = ("encodings.utf_8_sig", "multiprocessing.synchronize", "pandas.core.methods.to_dict",
                 "dagster._core.definitions.repository_definition.repository_data_builder")
OWN_PACKAGES = ("billing_assets", "resources", "sensors", "billing_sql")
# Our functions that read the environment when called, and are called again by every command: reads made
# inside them while the server imports (e.g. the module-level `defs = build_defs()`) are not import-time state
# the commands use.
PER_CALL_BUILDERS = frozenset({"build_defs", "build_resources", "build_late_entries_sensor"})
# Read by the interpreter or by .pth files before any of our code runs.
STARTUP_ENV = frozenset({"LANG", "LANGUAGE", "COLOREDLOGS_AUTO_INSTALL", "SETUPTOOLS_USE_DISTUTILS"})
# Read at import time only to find executables that import-time code runs (platform.architecture() runs `file`):
# a request may differ in them (an activated venv changes PATH).
IMPORT_TIME_IRRELEVANT = frozenset({"PATH"})
# Never given to a server process (it must not find a billing home or hold secrets it does not need).
SCRUBBED_ENV = frozenset({"BILLING_HOME", "BILLING_DB", "DAGSTER_HOME"})
SECRET_MARKERS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
SUPPORTED = sys.platform.startswith("linux") and hasattr(os, "pidfd_open")  # pidfds, SO_PEERCRED
CLIENT_GONE_GRACE = 60.0  # after interrupting a child whose client disappeared, SIGKILL it this much later
MAX_MESSAGE = 16 * 1024 * 1024
MAX_LOG_BYTES = 1024 * 1024

_IN_CHILD = False  # True in a forked request child: cli.main must not go through a server again
_spawn_after_cold = False  # set by run_warm when no usable server answered
_entry_env: dict[str, str] = {}  # os.environ when run_warm was called (before a cold run changes it)


# --------------------------------------------------------------------------------------------------- locations


def source_root() -> Path:
    return Path(__file__).resolve().parent.parent


def server_key(root: Path | None = None) -> str:
    """One server per interpreter, environment (venv) and checkout."""
    ident = "\0".join((os.path.realpath(sys.executable), os.path.realpath(sys.prefix), str(root or source_root())))
    return hashlib.sha1(ident.encode()).hexdigest()[:12]


class Paths:
    """The socket, lock and log file of one server (no dataclass: the client imports only what it needs)."""

    def __init__(self, directory: Path, key: str) -> None:
        self.dir = directory
        self.key = key

    @property
    def sock(self) -> Path:
        return self.dir / f"{self.key}.sock"

    @property
    def lock(self) -> Path:
        return self.dir / f"{self.key}.lock"

    @property
    def log(self) -> Path:
        return self.dir / f"{self.key}.log"


def server_dir() -> Path:
    explicit = os.environ.get("BILLING_SERVER_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp") / f"billing-server-{os.getuid()}"


def locate(create: bool) -> Paths | None:
    """The socket directory, created 0700 when asked; None when it is missing, unsafe or its path too long."""
    directory = server_dir()
    if create:
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return None
    try:
        info = directory.lstat()
    except OSError:
        return None
    # Requests carry the whole environment (API keys included): only a private directory of ours will do.
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    paths = Paths(directory, server_key())
    if len(os.fsencode(paths.sock)) >= 100:  # sun_path holds 108 bytes
        return None
    return paths


def code_version(root: Path | None = None) -> str:
    """A hash over (path, mtime, size) of the code a command runs, and the site-packages directories' mtimes."""
    import sysconfig

    root = root or source_root()
    digest = hashlib.sha1()
    for top in ("billing_assets", "resources", "sensors", "sql"):
        for folder, dirs, files in os.walk(root / top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".sql", ".yaml", ".yml")):
                    path = os.path.join(folder, name)
                    try:
                        info = os.stat(path)
                    except OSError:
                        continue
                    digest.update(f"{os.path.relpath(path, root)}\0{info.st_mtime_ns}\0{info.st_size}\n".encode())
    paths = sysconfig.get_paths()
    for name in (str(root / "dagster.yaml"), paths["purelib"], paths["platlib"]):
        try:
            info = os.stat(name)
            digest.update(f"{name}\0{info.st_mtime_ns}\0{info.st_size}\n".encode())
        except OSError:
            digest.update(f"{name}\0missing\n".encode())
    return digest.hexdigest()[:16]


def interpreter_state() -> dict:
    """What must match between a client's interpreter and the server's for a child to behave like the client."""
    flags = {name: getattr(sys.flags, name) for name in dir(sys.flags)
             if not name.startswith("_") and name not in ("count", "index", "n_fields", "n_sequence_fields",
                                                           "n_unnamed_fields", "safe_path")}
    return {"flags": flags, "warnoptions": list(sys.warnoptions), "xoptions": sorted(map(str, sys._xoptions)),
            "prefix": os.path.realpath(sys.prefix)}


def _try_lock(path: Path) -> int | None:
    """An fd holding an exclusive flock on `path`, or None when another process holds it."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _lock_held(path: Path) -> bool:
    fd = _try_lock(path)
    if fd is None:
        return True
    os.close(fd)
    return False


# ---------------------------------------------------------------------------------------------------- protocol


class Channel:
    """Newline-delimited JSON over a Unix stream socket; the first message may carry file descriptors."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.fds: list[int] = []

    def send(self, message: dict, fds: Sequence[int] = ()) -> None:
        data = (json.dumps(message) + "\n").encode()
        if fds:
            sent = socket.send_fds(self.sock, [data], list(fds))
            data = data[sent:]
        if data:
            self.sock.sendall(data)

    def receive(self, with_fds: bool = False) -> dict:
        while b"\n" not in self.buffer:
            if with_fds:
                chunk, fds, _flags, _addr = socket.recv_fds(self.sock, 65536, 3, socket.MSG_CMSG_CLOEXEC)
                self.fds.extend(fds)
            else:
                chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buffer += chunk
            if len(self.buffer) > MAX_MESSAGE:
                raise ValueError("message too long")
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def receive_available(self) -> list[dict]:
        """The complete messages after one read (the socket is readable); EOFError when the peer closed."""
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buffer += chunk
        messages = []
        while b"\n" in self.buffer:
            line, _, self.buffer = self.buffer.partition(b"\n")
            messages.append(json.loads(line))
        return messages


def _peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def _connect(paths: Paths, timeout: float | None = 5.0) -> socket.socket | None:
    """A connection to a live server of ours; None if there is none (a dead socket file is removed)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(os.fspath(paths.sock))
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        _remove_dead_socket(paths)
        return None
    except OSError:
        sock.close()
        return None
    if _peer_uid(sock) != os.getuid():
        sock.close()
        return None
    return sock


def _remove_dead_socket(paths: Paths) -> None:
    """No listener answered: with the server lock free no server is alive or starting, so the file is dead."""
    if not paths.sock.exists():
        return
    fd = _try_lock(paths.lock)
    if fd is None:
        return
    try:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(os.fspath(paths.sock))
        except OSError:
            paths.sock.unlink(missing_ok=True)
        finally:
            probe.close()
    finally:
        os.close(fd)


def request(paths: Paths, message: dict, timeout: float = 10.0) -> dict | None:
    """One status/stop request; None when no server answers."""
    sock = _connect(paths, timeout)
    if sock is None:
        return None
    with sock:
        channel = Channel(sock)
        try:
            channel.send(message)
            return channel.receive()
        except (OSError, EOFError, ValueError):
            return None


# ------------------------------------------------------------------------------------------------------ client


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
    command = [sys.executable, "-P", "-m", "billing_assets.warm_server", "serve"]
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


# ---------------------------------------------------------------------------------------- `billing server ...`


def server_command(action: str, idle_timeout: float | None = None, foreground: bool = False) -> int:
    paths = locate(create=True)
    if paths is None:
        print(f"billing: no usable server directory {server_dir()} (must be ours, mode 0700, short path)",
              file=sys.stderr)
        return 1
    if action == "status":
        status = request(paths, {"op": "status"})
        if status is None:
            state = "starting (preloading)" if _lock_held(paths.lock) else "not running"
            print(f"billing server: {state} (socket {paths.sock})")
            return 1
        _print_status(status)
        return 0
    if action == "stop":
        reply = request(paths, {"op": "stop"})
        if reply is None:
            print(f"billing server: not running (socket {paths.sock})")
            return 0
        deadline = time.monotonic() + 10
        while _lock_held(paths.lock) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _lock_held(paths.lock):
            print(f"billing server: stopping after the command it runs (pid {reply.get('pid')})")
        else:
            print(f"billing server: stopped (pid {reply.get('pid')})")
        return 0
    # start
    status = request(paths, {"op": "status"})
    if status is not None:
        if status.get("code_version") == code_version():
            _print_status(status)
            return 0
        request(paths, {"op": "stop"})
        deadline = time.monotonic() + 10
        while _lock_held(paths.lock) and time.monotonic() < deadline:
            time.sleep(0.05)
    if foreground:
        command = _server_command(idle_timeout)
        os.execve(command[0], command, server_env(dict(os.environ)))
    process = spawn_server(paths, idle_timeout)
    deadline = time.monotonic() + READY_WAIT
    while time.monotonic() < deadline:
        status = request(paths, {"op": "status"})
        if status is not None:
            _print_status(status)
            return 0
        if process.poll() is not None and not _lock_held(paths.lock):
            break
        time.sleep(0.1)
    print(f"billing: the server did not start; see {paths.log}", file=sys.stderr)
    return 1


def _describe_running(running: dict | None) -> str:
    if not running:
        return "nothing"
    return (f"pid {running['pid']}: billing {' '.join(running['argv'])} (in {running['cwd']}, for "
            f"{time.time() - running['since']:.0f} s)")


def _print_status(status: dict) -> None:
    match = "match" if status.get("code_version") == code_version() else "STALE (the code changed since it started)"
    print(f"socket:        {status.get('socket')}\n"
          f"pid:           {status.get('pid')}\n"
          f"uptime:        {status.get('uptime', 0):.0f} s (idle timeout {status.get('idle_timeout'):.0f} s)\n"
          f"code version:  {status.get('code_version')} ({match})\n"
          f"requests:      {status.get('requests')} served, {status.get('refused')} refused, "
          f"{status.get('queued', 0)} queued\n"
          f"running:       {_describe_running(status.get('running'))}\n"
          f"preload:       {status.get('preload_seconds', 0):.1f} s, {status.get('modules')} modules\n"
          f"log:           {status.get('log')}")


# ------------------------------------------------------------------------------------------------------ server


def _log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with contextlib.suppress(OSError):
        os.write(2, f"{stamp} [{os.getpid()}] {message}\n".encode(errors="replace"))


class _EnvReads:
    """Records the environment variables read (one by one, not by copying all of os.environ) and written while
    installed."""

    SKIP = ("<frozen os>", "<frozen _collections_abc>", os.__file__, getattr(__import__("_collections_abc"),
                                                                             "__file__", "<none>"))

    def __init__(self, root: Path) -> None:
        self.root = str(root) + os.sep
        self.reads: dict[str, str] = {}  # name -> where (file:line)
        self.written: set[str] = set()
        self._bulk: set[tuple] = set()
        self._saved = None

    def _caller(self):
        frame = sys._getframe(2)
        while frame is not None and frame.f_code.co_filename in self.SKIP:
            frame = frame.f_back
        return frame

    def _per_call(self, frame) -> bool:
        while frame is not None:
            if frame.f_code.co_name in PER_CALL_BUILDERS and frame.f_code.co_filename.startswith(self.root):
                return True
            frame = frame.f_back
        return False

    def install(self) -> _EnvReads:
        cls = type(os.environ)
        getitem, iterate, setitem, delitem = cls.__getitem__, cls.__iter__, cls.__setitem__, cls.__delitem__
        self._saved = (cls, getitem, iterate, setitem, delitem)
        tracker = self

        def tracked_getitem(env, key):
            frame = tracker._caller()
            name = os.fsdecode(key) if isinstance(key, bytes) else key
            if frame is not None and (id(frame), frame.f_lasti, frame.f_code) not in tracker._bulk \
                    and name not in tracker.reads and not tracker._per_call(frame):
                tracker.reads[name] = f"{frame.f_code.co_filename}:{frame.f_lineno}"
            return getitem(env, key)

        def tracked_iter(env):
            frame = tracker._caller()
            if frame is not None:  # dict(os.environ), os.environ.copy(): every key follows from this call site
                tracker._bulk.add((id(frame), frame.f_lasti, frame.f_code))
            return iterate(env)

        def tracked_setitem(env, key, value):
            tracker.written.add(os.fsdecode(key) if isinstance(key, bytes) else key)
            return setitem(env, key, value)

        def tracked_delitem(env, key):
            tracker.written.add(os.fsdecode(key) if isinstance(key, bytes) else key)
            return delitem(env, key)

        cls.__getitem__, cls.__iter__, cls.__setitem__, cls.__delitem__ = (tracked_getitem, tracked_iter,
                                                                           tracked_setitem, tracked_delitem)
        return self

    def uninstall(self) -> None:
        cls, getitem, iterate, setitem, delitem = self._saved
        cls.__getitem__, cls.__iter__, cls.__setitem__, cls.__delitem__ = getitem, iterate, setitem, delitem
        self._bulk.clear()


def _sensitive(name: str) -> bool:
    return name.startswith(("PYTHON", "LC_")) or name in STARTUP_ENV


def _effective_env(env: dict[str, str]) -> dict[str, str]:
    """The environment as the CLI has it when its imports run (prepare_environment sets this default first)."""
    env = dict(env)
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    return env


def _probe(root: Path) -> list[str]:
    """In a forked child: create a DagsterInstance from the repo's dagster.yaml on a throwaway DAGSTER_HOME and run
    a one-op job in process on it; the names of the modules that imported, in import order. (Run again after the
    preload, it imports nothing new; each request child logs what it still imports.)"""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read_fd)
            import shutil
            import tempfile

            before = set(sys.modules)
            home = tempfile.mkdtemp(prefix="billing-warm-probe-")
            try:
                shutil.copyfile(root / "dagster.yaml", os.path.join(home, "dagster.yaml"))
                os.environ["DAGSTER_HOME"] = home
                os.environ["BILLING_HOME"] = os.path.join(home, "billing_home")
                from dagster import DagsterInstance, job, op

                @op
                def probe_op() -> int:
                    return 1

                @job
                def probe_job() -> None:
                    probe_op()

                with DagsterInstance.get() as instance:
                    instance.get_dynamic_partitions("client")
                    probe_job.execute_in_process(instance=instance, raise_on_error=False, run_config={
                        "loggers": {"console": {"config": {"log_level": "WARNING"}}}})
            finally:
                shutil.rmtree(home, ignore_errors=True)
            new = [name for name in sys.modules if name not in before]
            os.write(write_fd, json.dumps(new).encode())
        except BaseException as exc:  # the probe only informs the preload
            _log(f"probe failed: {exc!r}")
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks = []
    while chunk := os.read(read_fd, 65536):
        chunks.append(chunk)
    os.close(read_fd)
    os.waitpid(pid, 0)
    try:
        return json.loads(b"".join(chunks) or b"[]")
    except ValueError:
        return []


def _own_modules() -> list[str]:
    import importlib
    import pkgutil

    names = []
    for package in OWN_PACKAGES:
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        names.append(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if info.name != __name__ and not info.name.endswith("__main__"):
                names.append(info.name)
    return names


def _import_all(names: Iterable[str]) -> list[str]:
    import importlib

    failed = []
    for name in names:
        if name in sys.modules or name == "__main__":
            continue
        try:
            importlib.import_module(name)
        except (Exception, SystemExit) as exc:  # a module we cannot preload is imported by the child if used
            failed.append(f"{name} ({type(exc).__name__})")
    return failed


def preload(root: Path) -> dict:
    """Import everything the commands need, without touching any billing home; what was imported and read."""
    import gc
    import warnings

    started = time.monotonic()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    tracker = _EnvReads(root).install()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            failed = _import_all(PRELOAD)
            for name in OPTIONAL_PRELOAD:
                _import_all([name])
            failed += _import_all(_own_modules())
            discovered = _probe(root)
            failed += _import_all(discovered)
            failed += _import_all(EXTRA_PRELOAD)
    finally:
        tracker.uninstall()
    gc.collect()
    gc.freeze()  # the children never scan (and so never copy) the preloaded objects' pages in a collection
    # What importing did to os.environ (e.g. a module-level os.environ.setdefault): a fresh process has it after
    # the same imports, so every child re-applies it over the client's environment.
    writes = {name: os.environ.get(name) for name in sorted(tracker.written)}
    return {"seconds": time.monotonic() - started, "failed": failed, "probe_imported": len(discovered),
            "env_reads": tracker.reads, "env_writes": writes}


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


# ------------------------------------------------------------------------------------------------------- child


def _child(server: Server, channel: Channel, message: dict, fds: list[int], go_read: int,
           env_writes: dict[str, str | None]) -> None:
    """The forked request child: become the client's process, run the CLI, exit like a fresh interpreter."""
    global _IN_CHILD
    _IN_CHILD = True
    log_fd = server.log_fd
    try:
        server.listener.close()
        channel.sock.close()
        for conn, queued, _message in server.pending:  # other clients' connections and stdio are not ours
            conn.close()
            for fd in queued.fds:
                os.close(fd)
        os.close(server.lock_fd)  # the lock is the server's alone (it must not outlive the server in us)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        if os.read(go_read, 1) != b"g":
            os._exit(0)
        os.close(go_read)
        _become_client(message, fds, env_writes)
    except BaseException as exc:
        try:
            os.write(log_fd, f"child {os.getpid()}: setup failed: {exc!r}\n".encode())
            # fd 2 is the client's stderr once the set-up got that far (else the log again)
            os.write(2, f"billing: the warm server could not set up the command ({exc!r}); run it again with "
                        "BILLING_SERVER=off\n".encode())
        finally:
            os._exit(70)
    modules_before = set(sys.modules)
    started = time.monotonic()
    code, die_by = _run_cli(list(message["argv"]))
    try:
        new = [name for name in sys.modules if name not in modules_before]
        os.write(log_fd, (f"{time.strftime('%Y-%m-%d %H:%M:%S')} [{os.getpid()}] child: cli.main "
                          f"{time.monotonic() - started:.2f} s, imported {len(new)} new modules {new[:10]}\n").encode())
        os.close(log_fd)
    except OSError:
        pass
    if die_by:
        signal.signal(die_by, signal.SIG_DFL)
        os.kill(os.getpid(), die_by)
    os._exit(code)


def _client_base_path(message: dict) -> list[str]:
    """The client's sys.path without its script directory (which python -P, like the server, does not add)."""
    path = list(message.get("sys_path") or [])
    return path if message.get("safe_path") else path[1:]


def _become_client(message: dict, fds: list[int], env_writes: dict[str, str | None]) -> None:
    import io

    for target, fd in enumerate(fds):
        os.dup2(fd, target, inheritable=True)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.environ.clear()
    os.environ.update(message["env"])
    for name, value in env_writes.items():  # as the imports left it (their reads of it matched: see refusal)
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    time.tzset()
    os.chdir(message["cwd"])
    os.umask(int(message["umask"]))
    sys.argv[:] = message["sys_argv"]
    if not message.get("safe_path"):
        sys.path.insert(0, message["sys_path"][0])  # the client's script directory; the rest is ours (and equal)
    sys.executable = message["executable"]
    ignored = set(message.get("ignored_signals") or [])
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE, signal.SIGXFSZ,
                   signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGCHLD):
        if int(signum) in ignored:
            signal.signal(signum, signal.SIG_IGN)
        elif signum == signal.SIGINT:
            signal.signal(signum, signal.default_int_handler)
        elif signum in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(signum, signal.SIG_IGN)  # as Python sets them at start-up
        else:
            signal.signal(signum, signal.SIG_DFL)
    streams = []
    for fd, spec, name in zip((0, 1, 2), message["stdio"], ("<stdin>", "<stdout>", "<stderr>"), strict=True):
        if spec is None:
            streams.append(None)
            continue
        raw = io.FileIO(fd, "rb" if fd == 0 else "wb", closefd=False)
        raw.name = name
        buffered = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
        streams.append(io.TextIOWrapper(buffered, encoding=spec["encoding"], errors=spec["errors"], newline="\n",
                                        line_buffering=spec["line_buffering"], write_through=spec["write_through"]))
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams
    _fix_import_time_state(message["cwd"])


def _fix_import_time_state(cwd: str) -> None:
    """Values known to be captured from the process (not the environment) while modules import."""
    if "multiprocessing.process" in sys.modules:
        sys.modules["multiprocessing.process"].ORIGINAL_DIR = os.path.abspath(cwd)
    if "rich" in sys.modules and hasattr(sys.modules["rich"], "_IMPORT_CWD"):
        sys.modules["rich"]._IMPORT_CWD = os.path.abspath(cwd)
    if "numpy" in sys.modules:  # the legacy global RandomState was seeded once, in the server
        sys.modules["numpy"].random.seed()


def _run_cli(argv: list[str]) -> tuple[int, int]:
    """`sys.exit(billing_assets.cli.main(argv))` with the interpreter's handling of how it ends and its shutdown."""
    import atexit
    import threading

    die_by = 0
    try:
        from billing_assets import cli

        raise SystemExit(cli.main(argv))
    except SystemExit as exc:
        code = _system_exit_code(exc)
    except KeyboardInterrupt:
        _print_exception()
        code, die_by = 1, signal.SIGINT
    except BaseException:
        _print_exception()
        code = 1
    with contextlib.suppress(BaseException):
        threading._shutdown()
    atexit._run_exitfuncs()
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            code = 120  # as CPython when it cannot flush the standard streams at exit
    return code, die_by


def _system_exit_code(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    with contextlib.suppress(OSError, ValueError):
        print(code, file=sys.stderr)
    return 1


def _print_exception() -> None:
    kind, value, tb = sys.exc_info()
    if tb is not None and tb.tb_frame.f_code is _run_cli.__code__:
        tb = tb.tb_next  # start at cli.main, as the cold traceback does below the console script
    with contextlib.suppress(BaseException):
        sys.excepthook(kind, value, tb)


# -------------------------------------------------------------------------------------------------- entry point


def serve_main(argv: Sequence[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m billing_assets.warm_server")
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


if __name__ == "__main__":
    from billing_assets import warm_server

    sys.exit(warm_server.serve_main(sys.argv[1:]))
