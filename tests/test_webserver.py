"""Through the real webserver: `dagster dev` on 127.0.0.1, one client-month re-materialised by a GraphQL launch
shaped like the UI's "Materialize" (the implicit asset job, one partition), polled to success like the UI: it
succeeds in one process and leaves the invoice unchanged."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
CASE = REPO / "tests" / "golden" / "01_retainer_rush_rollover"
BIN = Path(sys.executable).parent
ASSETS = ["contracts", "raw_time_entries", "raw_expenses", "classified_time_entries", "review_queue",
          "priced_line_items", "quickbooks_draft_invoices"]

LOCATION = """{ workspaceOrError { __typename ... on Workspace { locationEntries { name
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } ... on InvalidStepError { invalidStepKey }
  ... on InvalidOutputError { invalidOutputName } ... on RunConfigValidationInvalid { errors { message } } } }"""
RUN = """query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status
  stats { ... on RunStatsSnapshot { materializations stepsFailed } } } } }"""
EVENTS = """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events { __typename
  ... on MessageEvent { timestamp stepKey message } } } } }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(url: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


def _total(home: Path) -> Decimal:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return Decimal(conn.execute("SELECT total FROM invoices WHERE client = 'northwind' AND month = '2026-08'")
                   .fetchone()[0])


def _timeline(events: list[dict]) -> str:
    """The run's events with seconds since the first, one line each (what a slow run spent its time on)."""
    stamps = [(float(e["timestamp"]) / 1000, e) for e in events if e.get("timestamp")]
    first = stamps[0][0] if stamps else 0
    return "\n".join(f"{t - first:6.2f} {e['__typename']} {e.get('stepKey') or ''} {(e.get('message') or '')[:60]}"
                     for t, e in stamps)


def _wait_for_location(url: str, server: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, f"dagster dev exited {server.returncode}:\n{log.read_text()[-3000:]}"
        try:
            entries = _graphql(url, LOCATION)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            entries = []
        loaded = [e["locationOrLoadError"] for e in entries if e["name"] == "billing"]
        if loaded and loaded[0] and loaded[0]["__typename"] == "RepositoryLocation":
            return
        assert not loaded or not loaded[0] or loaded[0]["__typename"] != "PythonError", loaded[0]
        time.sleep(0.5)
    raise AssertionError(f"the code location did not load in {timeout} s:\n{log.read_text()[-3000:]}")


def test_materialize_one_client_month_from_the_webserver_is_fast_and_changes_nothing(tmp_path: Path) -> None:
    home, dagster_home = tmp_path / "home", tmp_path / "dagster_home"
    shutil.copytree(CASE, home, ignore=shutil.ignore_patterns("expected.json", "CASE.md"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BILLING_", "ANTHROPIC_", "QBO_", "HARVEST_"))}
    env |= {"BILLING_HOME": str(home), "DAGSTER_HOME": str(dagster_home), "GX_ANALYTICS_ENABLED": "false"}
    closed = subprocess.run([str(BIN / "billing"), "close", "--month", "2026-07..2026-08", "--client", "northwind"],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert closed.returncode == 0, closed.stdout + closed.stderr
    before = _total(home)
    assert before == Decimal(json.loads((CASE / "expected.json").read_text())["northwind|2026-08"]["total"])

    port, log = _free_port(), tmp_path / "dagster-dev.log"
    url = f"http://127.0.0.1:{port}/graphql"
    with log.open("w") as out:
        server = subprocess.Popen([str(BIN / "dagster"), "dev", "-h", "127.0.0.1", "-p", str(port), "-w",
                                   str(REPO / "workspace.yaml")], env=env, cwd=REPO, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_location(url, server, log)
        params = {"selector": {"repositoryLocationName": "billing", "repositoryName": "__repository__",
                               "jobName": "__ASSET_JOB", "assetSelection": [{"path": [a]} for a in ASSETS]},
                  "mode": "default", "runConfigData": "{}",
                  "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "northwind|2026-08"},
                                                 {"key": "dagster/partition/client", "value": "northwind"},
                                                 {"key": "dagster/partition/month", "value": "2026-08"}]}}
        launched_at = time.monotonic()
        launched = _graphql(url, LAUNCH, {"p": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]
        while True:
            run = _graphql(url, RUN, {"id": run_id})["runOrError"]
            if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
                break
            assert time.monotonic() - launched_at < 120, f"run {run_id} still {run['status']} after 120 s"
            time.sleep(0.25)
        elapsed = time.monotonic() - launched_at
        events = _graphql(url, EVENTS, {"id": run_id})["logsForRun"]["events"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    timeline = _timeline(events)
    print(f"launch to {run['status']}: {elapsed:.1f} s\n{timeline}")
    assert run["status"] == "SUCCESS", (run, log.read_text()[-3000:])
    assert run["stats"]["stepsFailed"] == 0 and run["stats"]["materializations"] >= len(ASSETS)
    # The <= 15 s target is a speed figure (bench/RESULTS.md, measured on an idle machine), not a timed unit
    # test: under `make test` the other core runs other tests.
    assert _total(home) == before
