"""The forked request child: take over the client's stdio, environment, cwd, umask, argv and signal dispositions,
run `billing_assets.cli.main` and exit as a fresh interpreter would."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from typing import TYPE_CHECKING

from billing_assets.warm import client

if TYPE_CHECKING:
    from billing_assets.warm.protocol import Channel
    from billing_assets.warm.server import Server


def _child(server: Server, channel: Channel, message: dict, fds: list[int], go_read: int,
           env_writes: dict[str, str | None]) -> None:
    """The forked request child: become the client's process, run the CLI, exit like a fresh interpreter."""
    client._IN_CHILD = True  # the module's own flag, read by client.run_warm (never a copy of it)
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
