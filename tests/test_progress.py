"""Progress of a close: lines on a terminal (a real pty), nothing extra when the output is piped."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from billing_assets.cli import main
from tests.conftest import GOLDEN

BILLING = Path(sys.executable).with_name("billing")
LINE = re.compile(r"closing: (\d+)/4 client-months done, stage (\w+), (\d+[smh]\S*) elapsed, "
                  r"(about \S+ left|estimating time left)")
FINAL = re.compile(r"closing: 4/4 client-months done in \d+[smh]\S*\s*\n")


def test_a_close_on_a_terminal_shows_progress(billing_env) -> None:
    billing_env(GOLDEN / "01_retainer_rush_rollover")
    leader, follower = pty.openpty()
    run = subprocess.Popen([str(BILLING), "close", "--month", "2026-07..2026-10"], stdin=subprocess.DEVNULL,
                           stdout=follower, stderr=subprocess.PIPE, env=os.environ.copy())
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert run.wait(timeout=300) == 0, run.stderr.read()
    screen = b"".join(chunks).decode()
    lines = [m.groups() for m in LINE.finditer(screen)]
    stages = [stage for _, stage, _, _ in lines]
    done = [int(d) for d, *_ in lines]
    assert done == sorted(done) and done[0] == 0, screen
    assert set(stages) == {"contracts", "raw_expenses", "raw_time_entries", "raw_time_entry_checks",
                           "classified_time_entries", "classified_entry_checks", "review_queue", "priced_line_items",
                           "priced_checks", "quickbooks_draft_invoices", "input_checks"}, stages
    assert stages[0] == "contracts" and stages[-1] == "quickbooks_draft_invoices"
    assert FINAL.search(screen), screen
    assert any(left.startswith("about ") for *_, left in lines)
    assert "\r" in screen  # one line rewritten in place
    summary = screen[screen.index("client "):]
    assert "closing:" not in summary and "northwind                    2026-10" in summary


def test_a_piped_close_prints_only_the_summary(billing_env, capsys) -> None:
    billing_env(GOLDEN / "01_retainer_rush_rollover")
    assert main(["close", "--month", "2026-07..2026-08"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["client", "month", "total", "cur", "billed", "h", "held", "h", "status"]
    assert "closing:" not in out and "\r" not in out
    lines = out.splitlines()
    assert len(lines) == 2 + 2 + 2 + 2  # header, rule, two rows, blank, count, August's two warnings
    assert [line.split(": ")[2] for line in lines[6:]] == ["hours_in_trailing_range", "retainer_burn_before_20th"]
    assert all(line.startswith("warning: northwind 2026-08: ") for line in lines[6:])
