"""The warm fork server end to end: real `billing` processes, a real server process, a real Unix socket.

Each test has its own BILLING_SERVER_DIR and stops (or kills) the servers it started. A server start preloads
for ~8 s on a 2-core machine, so the tests overlap it with other work where they can."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest

from billing_assets.warm import paths as warm_paths
from billing_assets.warm import protocol as warm_protocol
from tests.conftest import GOLDEN, REPO

BILLING = [sys.executable, "-c", "import sys; from billing_assets.cli import main; sys.exit(main())"]
if (Path(sys.executable).parent / "billing").exists():
    BILLING = [str(Path(sys.executable).parent / "billing")]
CASE_A = GOLDEN / "01_retainer_rush_rollover"  # northwind 2026-07..2026-10
CASE_B = GOLDEN / "02_rate_cards_rounding"  # globex 2026-08..2026-09


@pytest.fixture
def server_dirs():
    """A function making private server directories; every server found in them is stopped afterwards."""
    made: list[Path] = []

    def make() -> Path:
        path = Path(tempfile.mkdtemp(prefix="bws-", dir="/tmp"))  # short: a socket path holds 108 bytes
        path.chmod(0o700)
        made.append(path)
        return path

    yield make
    for path in made:
        for lock in path.glob("*.lock"):
            pid = _lock_pid(lock)
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
                _wait_until(lambda lock=lock: not _held(lock), 10)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)  # only a server that ignored SIGTERM for 10 s
        shutil.rmtree(path, ignore_errors=True)


def _lock_pid(lock: Path) -> int | None:
    if not _held(lock):
        return None
    text = lock.read_text().strip()
    return int(text) if text.isdigit() else None


def _held(lock: Path) -> bool:
    return warm_paths._lock_held(lock)


def _wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _env(server_dir: Path, home: Path | None = None, mode: str = "auto", **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ANTHROPIC_API_KEY", "BILLING_CLASSIFIER", "BILLING_SOURCE", "BILLING_PUSH", "BILLING_HOME",
                        "BILLING_DB", "DAGSTER_HOME")}
    env.update(BILLING_SERVER=mode, BILLING_SERVER_DIR=str(server_dir), GX_ANALYTICS_ENABLED="false", **extra)
    if home is not None:
        env.update(BILLING_HOME=str(home), DAGSTER_HOME=str(home.parent / f"{home.name}_dagster"))
    return env


def _billing(args: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(BILLING + args, env=env, cwd=cwd or REPO, capture_output=True, text=True, timeout=180)


def _start(env: dict[str, str], *extra: str) -> subprocess.Popen:
    """`billing server start` in the background (it returns once the server answers)."""
    return subprocess.Popen(BILLING + ["server", "start", *extra], env=env, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _started(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, out + err
    return out


def _paths(server_dir: Path, root: Path = REPO) -> warm_paths.Paths:
    return warm_paths.Paths(server_dir, warm_paths.server_key(root))


def _status(paths: warm_paths.Paths) -> dict | None:
    return warm_protocol.request(paths, {"op": "status"})


def _running(paths: warm_paths.Paths) -> dict:
    """What the server runs, once it runs something."""
    assert _wait_until(lambda: _status(paths)["running"] is not None, 20)
    return _status(paths)["running"]


def _home(tmp_path: Path, name: str, case: Path) -> Path:
    home = tmp_path / name
    shutil.copytree(case, home, ignore=shutil.ignore_patterns("expected.json", "CASE.md"))
    return home


def _tables(home: Path) -> dict[str, list]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in ("invoices", "invoice_lines")}


def test_warm_close_matches_cold_with_each_request_in_its_own_environment(tmp_path, server_dirs) -> None:
    server_dir = server_dirs()
    paths = _paths(server_dir)
    cold_home, warm_home, other_home = (_home(tmp_path, "cold", CASE_A), _home(tmp_path, "warm", CASE_A),
                                        _home(tmp_path, "other", CASE_B))
    starting = _start(_env(server_dir))  # preloads while the cold close runs
    close_a = ["close", "--month", "2026-07..2026-10"]
    cold = _billing(close_a, _env(server_dir, cold_home, mode="off"), cwd=tmp_path)
    assert cold.returncode == 0, cold.stdout + cold.stderr
    assert "pid:" in _started(starting)
    assert _status(paths)["requests"] == 0

    warm = _billing(close_a, _env(server_dir, warm_home), cwd=tmp_path)
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    cold_summary = cold.stdout
    assert _tables(warm_home) == _tables(cold_home)
    assert _status(paths)["requests"] == 1  # it went through the server

    other = _billing(["close", "--month", "2026-08..2026-09"], _env(server_dir, other_home), cwd=other_home)
    assert other.returncode == 0, other.stdout + other.stderr
    assert "globex" in other.stdout and "northwind" not in other.stdout
    assert {r[0] for r in _tables(other_home)["invoices"]} == {"globex"}
    assert {r[0] for r in _tables(warm_home)["invoices"]} == {"northwind"}  # untouched by the second request
    for home in (warm_home, other_home):  # each request's DAGSTER_HOME, from its own environment
        assert (home.parent / f"{home.name}_dagster" / "dagster.yaml").exists()
    status = _status(paths)
    assert status["requests"] == 2 and status["refused"] == 0
    log = paths.log.read_text()
    assert f"in {tmp_path}: exit 0" in log and f"in {other_home}: exit 0" in log

    # Exit codes and messages are the cold process's: a bad --month (SystemExit with a message) and argparse.
    bad_month = ["close", "--month", "2026-13"]
    for args, code in ((bad_month, 1), (["close"], 2)):
        cold = _billing(args, _env(server_dir, cold_home, mode="off"))
        warm = _billing(args, _env(server_dir, warm_home))
        assert cold.returncode == code and cold.stderr.startswith(("billing: --month", "usage: billing close"))
        assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert _status(paths)["requests"] == 4

    # A variable some module read while the server imported (numpy here) differs: refused, the client runs cold.
    refused = _billing(bad_month, _env(server_dir, warm_home, NUMPY_MADVISE_HUGEPAGE="0"))
    assert (refused.returncode, refused.stderr.splitlines()[-1]) == (1, "billing: --month must be YYYY-MM or "
                                                                         "YYYY-MM..YYYY-MM, got '2026-13'")
    status = _status(paths)
    assert (status["requests"], status["refused"]) == (4, 1)
    assert "NUMPY_MADVISE_HUGEPAGE" in paths.log.read_text().splitlines()[-1]

    # SIGINT to the client reaches the child (Dagster stops the run: DagsterExecutionInterruptedError, or a
    # KeyboardInterrupt outside a step); the client exits with the child's code.
    client = subprocess.Popen(BILLING + close_a, env=_env(server_dir, warm_home), cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    running = _running(paths)  # the server answers status while a child runs
    assert running["argv"] == close_a and running["cwd"] == str(tmp_path)
    time.sleep(0.15)  # into the run (the warm close of four months takes ~1 s; later, it may have finished)
    client.send_signal(signal.SIGINT)
    out, err = client.communicate(timeout=60)
    assert _wait_until(lambda: "request 5:" in paths.log.read_text(), 10)
    line = next(x for x in paths.log.read_text().splitlines() if "request 5:" in x)
    assert line.split(": exit ")[1].split()[0] == str(client.returncode), (line, client.returncode, err)
    assert client.returncode != 0 and "Interrupt" in out + err, (out, err)

    # A client killed outright: its child is interrupted, so the run frees its Dagster concurrency slot and the
    # next close of this DAGSTER_HOME does not wait for it forever.
    client = subprocess.Popen(BILLING + close_a, env=_env(server_dir, warm_home), cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _running(paths)
    time.sleep(0.5)
    client.kill()
    client.wait()
    assert _wait_until(lambda: "request 6:" in paths.log.read_text(), 30)
    assert "disappeared; interrupting the child (SIGINT)" in paths.log.read_text()
    again = subprocess.run(BILLING + close_a, env=_env(server_dir, warm_home), cwd=tmp_path, capture_output=True,
                           text=True, timeout=60)
    assert again.returncode == 0 and again.stdout == cold_summary, again.stdout + again.stderr
    assert _status(paths)["requests"] == 7


def test_stale_code_version_makes_the_server_exit_and_the_client_run_cold(tmp_path, server_dirs) -> None:
    """A checkout copy (on PYTHONPATH) whose file changes after the server started."""
    checkout = tmp_path / "checkout"
    for name in ("billing_assets", "resources", "sensors", "sql"):
        shutil.copytree(REPO / name, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "dagster.yaml", checkout / "dagster.yaml")
    server_dir = server_dirs()
    paths = _paths(server_dir, checkout)
    home = _home(tmp_path, "home", CASE_A)
    env = _env(server_dir, home, PYTHONPATH=str(checkout))
    _started(_start(env))
    assert _status(paths)["code_version"] == warm_paths.code_version(checkout)

    changed = checkout / "billing_assets" / "settings.py"
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 1_000_000_000))
    result = _billing(["validate"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith(f"0 problem(s) in {home}")
    assert "stale: request has code version" in paths.log.read_text()
    assert _wait_until(lambda: not _held(paths.lock), 10)  # the server exited ...
    assert not paths.sock.exists()  # ... and removed its socket
    assert _status(paths) is None


def test_idle_timeout_stop_and_dead_socket(server_dirs) -> None:
    idle_dir, stop_dir = server_dirs(), server_dirs()
    idle, stop = _paths(idle_dir), _paths(stop_dir)
    starting = [_start(_env(idle_dir), "--idle-timeout", "2"), _start(_env(stop_dir))]  # both preload at once
    for process in starting:
        _started(process)

    assert _wait_until(lambda: not _held(idle.lock), 15), "the idle server did not exit"
    assert "idle for 2 s; exiting" in idle.log.read_text()
    assert not idle.sock.exists()

    status = _billing(["server", "status"], _env(stop_dir))
    assert status.returncode == 0 and f"pid:           {_status(stop)['pid']}" in status.stdout
    stopped = _billing(["server", "stop"], _env(stop_dir))
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not _held(stop.lock) and not stop.sock.exists()
    assert _billing(["server", "status"], _env(stop_dir)).returncode == 1

    # A socket file nobody listens on (a server that was SIGKILLed) is removed by the next client.
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(stop.sock))
    dead.close()
    assert stop.sock.exists()
    result = _billing(["server", "status"], _env(stop_dir))
    assert result.returncode == 1 and "not running" in result.stdout
    assert not stop.sock.exists()

