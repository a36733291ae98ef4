"""Harvest listings read whole or not at all, and what the Harvest time source skips (zero hours, running
timers) is counted and said, against the loopback emulator."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from billing_assets.close import SourceRows, dropped_decisions, unclaimed_rows
from billing_assets.core.parsed import problems_for
from resources.harvest_api import HarvestClient, HarvestError
from resources.home import BillingHome
from resources.timesource import HarvestTimeSource
from tests.emulators.harvest_server import HarvestEmulator

ACME = "client: acme\nname: Acme Corp\ncurrency: USD\nterms_days: 30\nroles: {senior: 250}\n" \
       "people: {\"Alice Ng\": senior}\n"


def client_for(harvest: HarvestEmulator) -> HarvestClient:
    return HarvestClient(harvest.token, harvest.account_id, base_url=harvest.base_url, backoff=0.01)


def source_for(harvest: HarvestEmulator, home: str = ".") -> HarvestTimeSource:
    return HarvestTimeSource(home=home, access_token=harvest.token, account_id=harvest.account_id,
                             base_url=harvest.base_url)


def september(harvest: HarvestEmulator, days: int = 25) -> list[int]:
    return harvest.add_entries({"spent_date": f"2026-09-{d:02d}", "hours": "1", "notes": f"work {d}"}
                               for d in range(1, days + 1))


def first_pages(harvest: HarvestEmulator) -> int:
    return sum(1 for r in harvest.requests if r.path == "/v2/time_entries" and "page" not in r.query
               and "cursor" not in r.query and r.status == 200)


class OnFirstPage:
    """`after_page` hook: on the first page of listings number `listings`, run `change(page)`."""

    def __init__(self, harvest_ref: list[HarvestEmulator], listings: set[int], change: str):
        self.ref, self.listings, self.change, self.count = harvest_ref, listings, change, 0

    def __call__(self, resource: str, page: dict[str, Any]) -> None:
        if resource != "time_entries" or page["page"] != 1:
            return
        self.count += 1
        if self.count in self.listings and page["next_page"]:
            harvest = self.ref[0]
            if self.change == "delete":  # someone deletes an entry of page 1 while page 2 is not read yet
                harvest.delete_entry(page["time_entries"][0]["id"])
            else:  # someone adds an entry that sorts first: page 2 starts with page 1's last entry again
                harvest.add_entries([{"spent_date": "2026-09-30", "hours": "2", "notes": "late"}])


def emulator(listings: set[int], change: str) -> HarvestEmulator:
    ref: list[HarvestEmulator] = []
    harvest = HarvestEmulator(max_per_page=10, links="page", after_page=OnFirstPage(ref, listings, change))
    ref.append(harvest)
    return harvest


@pytest.mark.parametrize("change", ["delete", "insert"])
def test_page_links_listing_changed_midway_is_read_again(change: str) -> None:
    with emulator({1}, change) as harvest:
        september(harvest)
        with client_for(harvest) as client:
            entries = client.time_entries("2026-09-01", "2026-09-30")
        assert sorted(e.source_row for e in entries) == sorted(harvest.data["time_entries"])
        assert first_pages(harvest) == 2  # the first listing disagreed with its total_entries / repeated an id


def test_listing_that_never_settles_raises_naming_the_counts() -> None:
    with emulator({1, 2, 3}, "delete") as harvest:
        september(harvest)
        with client_for(harvest) as client, pytest.raises(HarvestError, match=r"time_entries.*3 times.*22.*23"):
            client.time_entries("2026-09-01", "2026-09-30")
        assert first_pages(harvest) == 3


def test_zero_hour_entries_are_skipped_and_counted() -> None:
    with HarvestEmulator() as harvest:
        september(harvest, 3)
        [zero] = harvest.add_entries([{"spent_date": "2026-09-26", "hours": "0", "notes": "forgot to track"}])
        parsed = source_for(harvest).load(["2026-09"])
    assert [e.hours for e in parsed.entries] == [Decimal(1)] * 3
    assert f"harvest:{zero}" not in {e.entry_id for e in parsed.entries} and not parsed.problems
    [report] = parsed.files
    assert (report.rows, report.read, report.zero_rows) == (4, 3, 1)
    assert "1 zero-duration skipped" in report.summary()


def test_running_timer_is_skipped_with_a_warning_naming_it() -> None:
    with HarvestEmulator() as harvest:
        september(harvest, 2)
        [running] = harvest.add_entries([{"spent_date": "2026-09-26", "hours": "3.5", "is_running": True,
                                          "user": "Bob Ray"}])
        parsed = source_for(harvest).load(["2026-09"])
    assert len(parsed.entries) == 2
    [warning] = parsed.warnings
    assert (warning.client_name, warning.month, warning.row) == ("Acme Corp", "2026-09", running)
    assert f"harvest:{running}" in str(warning) and "running timer (no end yet): skipped until it is stopped" \
        in str(warning)
    assert problems_for(parsed.warnings, {"Acme Corp"}, "2026-09") == [warning]  # shown on the client-month
    assert parsed.files[0].running_rows == [running]


def test_load_of_no_months_is_empty_and_asks_nothing() -> None:
    with HarvestEmulator() as harvest:
        september(harvest, 1)
        parsed = source_for(harvest).load([])
        assert harvest.requests == []
    assert (parsed.entries, parsed.expenses, parsed.problems, parsed.warnings) == ([], [], [], [])


def test_unclaimed_harvest_client_is_named_by_the_close(tmp_path) -> None:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "acme.yaml").write_text(ACME)
    with HarvestEmulator() as harvest:
        harvest.add_entries({"spent_date": f"2026-09-{d:02d}", "client": "Acme Corporation", "hours": "2"}
                            for d in range(1, 4))
        harvest.add_entries([{"spent_date": "2026-09-05", "client": "Acme Corp", "hours": "1"}])
        defs = SimpleNamespace(resources={"time_source": source_for(harvest, str(tmp_path)),
                                          "home": BillingHome(path=str(tmp_path))})
        lines = unclaimed_rows(defs, ["2026-09"])
    assert lines == ["2026-09: 3 row(s), 6 h billable, under client 'Acme Corporation' (Harvest API): "
                     "no contract's name or alias, so they bill nobody"]


def test_close_warnings_share_one_read_of_the_listing(tmp_path) -> None:
    """Both warnings of the close summary that need the month's rows (time under unknown clients, reviewer
    decisions gone) read the Harvest listing once between them, not once each."""
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "acme.yaml").write_text(ACME)
    with HarvestEmulator() as harvest:
        [kept, decided] = harvest.add_entries([{"spent_date": "2026-09-02", "client": "Acme Corp", "hours": "2"},
                                               {"spent_date": "2026-09-03", "client": "Acme Corp", "hours": "1"}])
        defs = SimpleNamespace(resources={"time_source": source_for(harvest, str(tmp_path)),
                                          "home": BillingHome(path=str(tmp_path))})
        rows = SourceRows(defs, ["2026-09"])
        assert unclaimed_rows(defs, ["2026-09"], rows) == []
        gone = dropped_decisions(defs, ["2026-09"], {("acme", "2026-09"): {f"harvest:{decided}"}},
                                 {("acme", "2026-09"): set()}, rows)
        listings = [r for r in harvest.requests if r.path == "/v2/time_entries"]
    assert gone == [f"acme 2026-09: 1 entry decided by a reviewer at the last close has no override now "
                    f"(harvest:{decided}): was an overrides file replaced or deleted?"]
    assert len(listings) == 1, listings
    assert kept != decided


def test_entries_and_expenses_harvest_marks_billed_are_billed_and_warned_of() -> None:
    """A 4 h entry and a 75.00 expense on Harvest invoice 1001 were billed again with no word (the CSV path warns
    of `Invoiced? = Yes`). Billed as the spec says, with one warning per client-month naming the invoice."""
    with HarvestEmulator() as harvest:
        harvest.add_entries([{"spent_date": "2026-09-02", "hours": "2"}])
        [billed] = harvest.add_entries([{"spent_date": "2026-09-03", "hours": "4", "is_billed": True,
                                         "invoice": 1001}])
        [spent] = harvest.add_expenses([{"spent_date": "2026-09-04", "total_cost": "75.00", "is_billed": True,
                                         "invoice": 1001}])
        parsed = source_for(harvest).load(["2026-09"])
    assert sum(e.hours for e in parsed.entries) == Decimal(6) and [x.amount for x in parsed.expenses] == [
        Decimal("75.00")]
    assert [(w.client_name, w.month, w.message) for w in parsed.warnings] == [
        ("Acme Corp", "2026-09", f"1 billable time entr(ies) (4 h; harvest:{billed}) marked billed in Harvest "
                                 "already (invoice 1001) are billed here too: write them off in overrides/ if that "
                                 "invoice charged them"),
        ("Acme Corp", "2026-09", f"1 billable expense(s) (75; harvest:{spent}) marked billed in Harvest already "
                                 "(invoice 1001) are billed here too: if that invoice charged them, mark them not "
                                 "billable (or remove them) in the time tool or its export; decisions in overrides/ "
                                 "apply to time entries only")]
