"""HarvestClient against the loopback Harvest v2 emulator: paging, limits, retries, auth, Decimal hours."""

from __future__ import annotations

import http.client
import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
import pytest

from resources.harvest_api import (
    HarvestAuthError,
    HarvestClient,
    HarvestConfigError,
    HarvestError,
    RateLimiter,
    check_base_url,
    iso_utc,
)
from resources.timesource import HarvestTimeSource
from tests.emulators.harvest_server import HarvestEmulator


def client_for(harvest: HarvestEmulator, **options) -> HarvestClient:
    options.setdefault("backoff", 0.01)
    return HarvestClient(harvest.token, harvest.account_id, base_url=harvest.base_url, **options)


def api_requests(harvest: HarvestEmulator) -> list:
    return [r for r in harvest.requests if r.path.startswith("/v2/")]


# --- paging under the rate limit ------------------------------------------------------------------------


def test_5000_entries_over_pages_arrive_complete_under_rate_limit() -> None:
    hours = [Decimal(i % 300 + 1) / 100 for i in range(5000)]
    with HarvestEmulator(rate_limit=3, rate_window=0.25, max_per_page=500) as harvest:
        harvest.add_entries({"spent_date": (date(2026, 11, 1) + timedelta(days=i % 30)).isoformat(),
                             "hours": h, "notes": f"entry {i}"} for i, h in enumerate(hours))
        with client_for(harvest, rate_limit=3, rate_window=0.25) as client:
            entries = client.time_entries(date(2026, 11, 1), date(2026, 11, 30))
        log = api_requests(harvest)
    assert len(entries) == 5000 and len({e.entry_id for e in entries}) == 5000
    assert sum(e.hours for e in entries) == sum(hours) == Decimal("7425.00")
    assert [e.order_key for e in entries] == sorted(e.order_key for e in entries)
    assert len(log) == 10 and {r.status for r in log} == {200}  # the client-side limiter kept under 3/0.25 s
    assert log[0].query == {"from": "2026-11-01", "to": "2026-11-30", "per_page": "2000"}
    assert all("cursor" in r.query for r in log[1:])
    assert log[0].headers["Authorization"] == f"Bearer {harvest.token}"
    assert log[0].headers["Harvest-Account-Id"] == harvest.account_id and log[0].headers["User-Agent"]


def test_page_links_without_cursor_are_followed() -> None:
    pages = {
        "1": {"time_entries": [_raw(1)], "next_page": 2, "links": {"next": None}},
        "2": {"time_entries": [_raw(2)], "next_page": None, "links": {"next": None}},
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[request.url.params.get("page", "1")])

    with HarvestClient("t", "1", transport=httpx.MockTransport(answer), rate_limit=None) as client:
        assert [e.entry_id for e in client.time_entries("2026-11-01", "2026-11-30")] == ["harvest:1",
                                                                                         "harvest:2"]


def test_next_link_to_another_host_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"time_entries": [], "links": {"next": "https://evil.example/v2/x"}})

    with HarvestClient("t", "1", transport=httpx.MockTransport(answer), rate_limit=None) as client, \
            pytest.raises(HarvestError, match="evil.example"):
        client.time_entries("2026-11-01", "2026-11-30")


# --- 429, 5xx, timeouts ---------------------------------------------------------------------------------


def test_429_waits_retry_after_then_retries() -> None:
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    with HarvestEmulator(rate_limit=2, rate_window=1.0, max_per_page=1) as harvest:
        harvest.add_entries([{"hours": "1"}, {"hours": "2"}, {"hours": "3"}])
        with client_for(harvest, rate_limit=None, sleep=sleep) as client:
            entries = client.time_entries("2026-11-01", "2026-11-30")
        log = api_requests(harvest)
    assert sum(e.hours for e in entries) == Decimal(6)
    assert [r.status for r in log] == [200, 200, 429, 200]
    assert slept == [1.0]  # the emulator's Retry-After
    assert log[3].at - log[2].at >= 1.0


def test_5xx_is_retried_with_backoff() -> None:
    with HarvestEmulator() as harvest:
        harvest.add_entries([{"hours": "1.5"}])
        harvest.fail_next(503, times=2)
        with client_for(harvest) as client:
            entries = client.time_entries("2026-11-01", "2026-11-30")
        assert [r.status for r in api_requests(harvest)] == [503, 503, 200]
    assert [e.hours for e in entries] == [Decimal("1.5")]


def test_persistent_5xx_gives_up_with_clear_error() -> None:
    with HarvestEmulator() as harvest:
        harvest.fail_next(500, times=10)
        with client_for(harvest, max_retries=2) as client, \
                pytest.raises(HarvestError, match="500 .* 3 attempts"):
            client.time_entries("2026-11-01", "2026-11-30")


def test_timeout_is_retried() -> None:
    with HarvestEmulator() as harvest:
        harvest.add_entries([{"hours": "0.5"}])
        harvest.delay_next(0.6)
        with client_for(harvest, timeout=0.2) as client:
            entries = client.time_entries("2026-11-01", "2026-11-30")
    assert [e.hours for e in entries] == [Decimal("0.5")]


def test_rate_limiter_sliding_window() -> None:
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(2, 15.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limiter.wait()
        limiter.record()
        now[0] += 1.0
    assert sleeps == [13.0]  # third request waits until the first leaves the 15 s window


# --- auth and headers -----------------------------------------------------------------------------------


def test_wrong_token_raises_auth_error_naming_account() -> None:
    with HarvestEmulator() as harvest:
        with HarvestClient("wrong", harvest.account_id, base_url=harvest.base_url) as client, \
                pytest.raises(HarvestAuthError, match=f"account {harvest.account_id} \\(401\\)"):
            client.time_entries("2026-11-01", "2026-11-30")
        assert len(api_requests(harvest)) == 1  # not retried


def test_wrong_account_raises_auth_error() -> None:
    with HarvestEmulator() as harvest, \
            HarvestClient(harvest.token, "999", base_url=harvest.base_url) as client, \
            pytest.raises(HarvestAuthError, match="account 999 \\(403\\)"):
        client.expenses("2026-11-01", "2026-11-30")


def test_emulator_requires_user_agent() -> None:
    with HarvestEmulator() as harvest:
        parts = urlsplit(harvest.base_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        conn.request("GET", "/v2/time_entries", headers={"Authorization": f"Bearer {harvest.token}",
                                                         "Harvest-Account-Id": harvest.account_id})
        response = conn.getresponse()
        assert response.status == 400 and "User-Agent" in json.loads(response.read())["error_description"]
        conn.close()
    with pytest.raises(HarvestConfigError, match="User-Agent"):
        HarvestClient("t", "1", user_agent="")


# --- incremental sync and exact numbers -----------------------------------------------------------------


def test_updated_since_returns_exactly_the_edited_entry() -> None:
    with HarvestEmulator() as harvest:
        ids = harvest.add_entries({"hours": "1", "notes": f"n{i}"} for i in range(20))
        start = harvest.clock.now()
        harvest.clock.advance(3600)
        harvest.edit_entry(ids[7], hours="2.75", notes="corrected")
        with client_for(harvest) as client:
            changed = client.changed_since(start + timedelta(minutes=30))
            in_month = client.time_entries("2026-11-01", "2026-11-30",
                                           updated_since=start + timedelta(seconds=1))
            everything = client.changed_since(start)
        assert api_requests(harvest)[0].query["updated_since"] == "2026-11-01T12:30:00Z"
    assert [(e.entry_id, e.hours, e.notes) for e in changed] == [(f"harvest:{ids[7]}", Decimal("2.75"),
                                                                  "corrected")]
    assert [e.entry_id for e in in_month] == [f"harvest:{ids[7]}"]
    assert len(everything) == 20


def test_hours_and_money_are_exact_decimals() -> None:
    with HarvestEmulator() as harvest:
        harvest.add_entries([{"hours": "0.1"}, {"hours": "0.2"}, {"hours": "1234567.123456789"},
                             {"hours": "3", "is_running": True}])
        harvest.add_expenses([{"total_cost": "0.10", "expense_category": "Meals"},
                              {"total_cost": "1234567.89", "billable": False}])
        with client_for(harvest) as client:
            entries = client.time_entries("2026-11-01", "2026-11-30")
            expenses = client.expenses("2026-11-01", "2026-11-30")
    assert [str(e.hours) for e in entries] == ["0.1", "0.2", "1234567.123456789"]  # running timer skipped
    assert sum(e.hours for e in entries[:2]) == Decimal("0.3")
    assert all(isinstance(e.hours, Decimal) for e in entries)
    assert [str(x.amount) for x in expenses] == ["0.10", "1234567.89"]
    assert expenses[0].category == "Meals" and expenses[0].expense_id.startswith("harvest:")
    assert expenses[1].billable is False


def test_api_fields_map_onto_time_entry() -> None:
    with HarvestEmulator() as harvest:
        [entry_id] = harvest.add_entries([{
            "spent_date": "2026-11-05", "client": "Acme Corp", "project": "Website Redesign",
            "project_code": "ACME-P1", "task": "Design", "notes": None, "hours": "2.50", "billable": False,
            "user": "Alice Ng"}])
        with client_for(harvest) as client:
            [entry] = client.time_entries(date(2026, 11, 1), date(2026, 11, 30))
    assert entry.entry_id == f"harvest:{entry_id}" and entry.source_row == entry_id
    assert (entry.source, entry.source_file, entry.date) == ("harvest", "", date(2026, 11, 5))
    assert (entry.client_name, entry.project, entry.project_code, entry.task) == (
        "Acme Corp", "Website Redesign", "ACME-P1", "Design")
    assert (entry.notes, entry.hours, entry.billable) == ("", Decimal("2.50"), False)
    assert entry.person == "Alice Ng"


# --- configuration --------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["https://api.harvestapp.com/v2", "http://127.0.0.1:8080/v2",
                                 "http://localhost:9/v2", "http://[::1]:9/v2"])
def test_allowed_base_urls(url: str) -> None:
    assert check_base_url(url + "/") == url


@pytest.mark.parametrize("url", ["http://api.harvestapp.com/v2", "http://10.0.0.1/v2", "ftp://127.0.0.1/v2",
                                 "api.harvestapp.com"])
def test_plain_http_refused_off_loopback(url: str) -> None:
    with pytest.raises(HarvestConfigError, match="loopback"):
        HarvestClient("t", "1", base_url=url)


def test_harvest_time_source_reads_through_the_client() -> None:
    with HarvestEmulator() as harvest:
        source = HarvestTimeSource(access_token=harvest.token, account_id=harvest.account_id,
                                   base_url=harvest.base_url, user_agent="Northbeam billing (ops@northbeam.example)")
        harvest.add_entries([{"hours": "1", "spent_date": "2026-10-05"}])
        parsed = source.load(["2026-10"])
        assert [e.hours for e in parsed.entries] == [Decimal("1")]
        assert harvest.requests[-1].headers["User-Agent"] == "Northbeam billing (ops@northbeam.example)"
    with HarvestTimeSource(access_token="t", account_id="1").client() as client:
        assert client.base_url == "https://api.harvestapp.com/v2"
    with pytest.raises(HarvestConfigError, match="access token and an account id"):
        HarvestTimeSource(access_token="", account_id="1").client()


def test_iso_utc() -> None:
    assert iso_utc(datetime(2026, 11, 1, 12, 0)) == "2026-11-01T12:00:00Z"
    assert iso_utc(datetime(2026, 11, 1, 13, 0, tzinfo=UTC).astimezone()) == "2026-11-01T13:00:00Z"


def _raw(entry_id: int) -> dict:
    return {"id": entry_id, "spent_date": "2026-11-02", "hours": 1.5, "billable": True, "notes": None,
            "client": {"id": 1, "name": "Acme Corp"}, "project": {"id": 2, "name": "P", "code": None},
            "task": {"id": 3, "name": "T"}, "user": {"id": 4, "name": "Alice Ng"}, "is_running": False}
