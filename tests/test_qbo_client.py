"""QuickBooks push: invoice payloads, previews, and the live client through the real python-quickbooks and
intuit-oauth libraries against the loopback emulator (tests/emulators/qbo_server.py). Tokens, auth and the token
stores are in tests/test_qbo_auth.py."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_assets.core.invoice import (
    doc_number,
    dumps_payload,
    item_names,
    line_description,
    line_qty_price,
    outbox_payload,
    qbo_invoice_payload,
    render_html_preview,
    round2,
)
from resources.quickbooks.errors import QboConflictError, QboError, QboUnavailable
from resources.quickbooks.invoices import QuickBooksPusher
from resources.quickbooks.limits import RateLimiter, RetryPolicy
from tests.emulators.qbo_server import QboEmulator, parse_query
from tests.qbo_helpers import D, api_calls, line, make_draft, make_pusher


@pytest.fixture
def emu():
    with QboEmulator() as emulator:
        yield emulator


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "secrets" / "qbo_tokens.json"


# --- pure invoice shaping -----------------------------------------------------------------------------

def test_doc_number_is_deterministic_short_and_distinct():
    first = doc_number("acme-corporation-international", "2026-10")
    assert first == doc_number("acme-corporation-international", "2026-10")
    assert len(first) <= 21 and first.startswith("ACMECOR-202610-")
    assert doc_number("acme-corporation-east", "2026-10") != first  # same prefix, other client
    assert doc_number("acme-corporation-international", "2026-11") != first
    assert len(doc_number("", "2026-10")) <= 21
    with pytest.raises(ValueError):
        doc_number("acme", "2026-1")


@settings(max_examples=300, deadline=None)
@given(qty=st.decimals(min_value=D("0.01"), max_value=D("300"), places=2),
       rate=st.decimals(min_value=D("0"), max_value=D("900"), places=2))
def test_qty_times_unit_price_equals_amount_under_any_rounding(qty, rate):
    ln = line(1, "hourly", "x", str(qty), str(rate))
    sent_qty, sent_price = line_qty_price(ln)
    product = sent_qty * sent_price
    for mode in (ROUND_HALF_UP, ROUND_HALF_EVEN):
        assert product.quantize(D("0.01"), mode) == ln.amount
    if abs(qty * rate - ln.amount) < D("0.005"):
        assert (sent_qty, sent_price) == (qty, rate)  # the contract rate is kept whenever unambiguous


def test_qty_price_edge_cases():
    assert line_qty_price(line(1, "hourly", "tie", "0.5", "10.01")) == (D("0.5"), D("10.02"))  # 5.005 -> 5.01
    assert line_qty_price(line(1, "retainer_covered", "covered", "7.25", "0")) == (D("7.25"), D("0"))
    assert line_qty_price(line(1, "cap_adjustment", "cap", "0", "0", amount="-42.50")) == (D(1), D("-42.50"))
    assert line_qty_price(line(1, "overage", "odd", "3", "10", amount="10.00")) == (D(3), D("3.33333"))


def test_a_moved_unit_price_says_the_rate_in_the_description():
    """0.5 h at 150.25 is 75.13 half-up, sent as 0.5 x 150.26: the client saw a rate the contract does not have."""
    moved = line(1, "hourly", "Hourly: Advisory", "0.5", "150.25")
    assert line_qty_price(moved) == (D("0.5"), D("150.26"))
    assert line_description(moved) == "Hourly: Advisory (0.5 at 150.25)"
    assert line_description(line(1, "hourly", "Hourly: Advisory", "2", "150.25")) == "Hourly: Advisory"


def test_a_description_beyond_quickbooks_4000_characters_is_cut_with_an_ellipsis():
    long = "Expense: " + "taxi and train " * 300
    sent = line_description(line(1, "expense", long, "1", "10"))
    assert len(sent) == 4000 and sent == long[:3999] + "\u2026"
    moved = line_description(line(1, "hourly", long, "0.5", "150.25"))
    assert len(moved) == 4000 and moved.endswith("\u2026 (0.5 at 150.25)")
    assert line_description(line(1, "expense", long[:4000], "1", "10")) == long[:4000]  # 4,000 fit whole


def test_qbo_payload_shape():
    draft = make_draft()
    refs = {name: str(i) for i, name in enumerate(item_names(draft), start=10)}
    payload = qbo_invoice_payload(draft, "77", refs)
    assert payload["DocNumber"] == doc_number("acme", "2026-10")
    assert payload["CustomerRef"] == {"value": "77", "name": "Acme Corp"}
    assert payload["EmailStatus"] == "NotSet"
    assert payload["PrivateNote"] == f"billing:acme|2026-10 hash:{draft.content_hash}"
    assert (payload["TxnDate"], payload["DueDate"]) == ("2026-11-01", "2026-12-01")
    assert payload["CurrencyRef"] == {"value": "USD"}
    covered = payload["Line"][1]
    assert covered["Amount"] == 0 and covered["SalesItemLineDetail"]["Qty"] == D(20)
    assert covered["SalesItemLineDetail"]["ItemRef"]["name"] == "Retainer hours - Senior"
    for ln in payload["Line"]:
        detail = ln["SalesItemLineDetail"]
        assert ln["DetailType"] == "SalesItemLineDetail"
        assert round2(detail["Qty"] * detail["UnitPrice"]) == ln["Amount"]
    with pytest.raises(ValueError, match="no QuickBooks item id"):
        qbo_invoice_payload(draft, "77", {})


def test_outbox_payload_names_and_exact_json():
    draft = make_draft(hours="0.1", rate="333.33")
    payload = outbox_payload(draft)
    assert payload["CustomerRef"] == {"name": "Acme Corp"}
    assert {ln["SalesItemLineDetail"]["ItemRef"]["name"] for ln in payload["Line"]} == set(item_names(draft))
    text = dumps_payload(payload)
    assert '"Amount": 33.33' in text and '"UnitPrice": 333.33' in text
    assert json.loads(text, parse_float=Decimal)["Line"][2]["Amount"] == D("33.33")


def test_html_preview_escapes_and_totals():
    evil = line(5, "expense", "<script>alert('x')</script> & travel", "1", "1234.5")
    draft = make_draft(name="Smith & <Sons>", extra=(evil,))
    page = render_html_preview(draft)
    assert page.startswith("<!DOCTYPE html>") and "<script>" not in page
    assert "Smith &amp; &lt;Sons&gt;" in page and "&lt;script&gt;" in page
    assert "October 2026" in page and doc_number("acme", "2026-10") in page
    assert f"{draft.total:,.2f}" in page and "2026-12-01" in page
    assert "http" not in page.replace("http-equiv", "")  # self-contained: no external resources


# --- acceptance through the emulator ------------------------------------------------------------------

CLIENTS = (("acme", "Acme Corp"), ("globex", "Globex, Inc."), ("initech", "O'Brien & Initech"))


def push_month(pusher: QuickBooksPusher, drafts, records=None):
    records = records or {}
    return {d.client: pusher.upsert(d, records.get(d.client)) for d in drafts}


def test_push_month_creates_one_invoice_per_client(emu, store):
    drafts = [make_draft(client, name) for client, name in CLIENTS]
    results = push_month(make_pusher(emu, store), drafts)
    assert {r.status for r in results.values()} == {"created"}
    assert len(emu.invoices) == 3 and len(emu.customers) == 3
    assert sorted(i["Name"] for i in emu.items.values()) == sorted(item_names(drafts[0]))  # shared items
    for draft in drafts:
        result = results[draft.client]
        invoice = emu.invoices[result.qbo_id]
        assert invoice["DocNumber"] == result.doc_number == doc_number(draft.client, draft.month)
        assert invoice["CustomerRef"]["name"] == draft.customer_name
        assert invoice["EmailStatus"] == "NotSet" and "DeliveryInfo" not in invoice
        assert invoice["PrivateNote"] == f"billing:{draft.key} hash:{draft.content_hash}"
        assert invoice["TotalAmt"] == draft.total and invoice["DueDate"] == draft.due_date.isoformat()
        assert result.request_id and result.sync_token == "0" and result.record() is not None
    posts = [r for r in api_calls(emu) if r.method == "POST" and not r.path.endswith("/query")]
    assert posts and all(r.requestid and len(r.requestid) <= 50 for r in posts)
    assert all(r.minorversion == "75" for r in api_calls(emu))


def test_second_push_creates_nothing_new(emu, store):
    drafts = [make_draft(client, name) for client, name in CLIENTS]
    first = push_month(make_pusher(emu, store), drafts)
    before = len(emu.requests)
    again = push_month(make_pusher(emu, store), drafts, {c: r.record() for c, r in first.items()})
    assert {r.status for r in again.values()} == {"unchanged"}
    assert not [r for r in emu.requests[before:] if r.method == "POST" and not r.path.endswith("/query")]
    # Even without our records (lost database), a re-run finds the invoices by DocNumber.
    lost = push_month(make_pusher(emu, store), drafts)
    assert {(r.status, r.recovered) for r in lost.values()} == {("unchanged", True)}
    assert len(emu.invoices) == 3 and len(emu.creates("invoice")) == 3


def test_changed_draft_updates_untouched_invoice_in_place(emu, store):
    pusher = make_pusher(emu, store)
    first = pusher.upsert(make_draft())
    changed = make_draft(hours="14.25")
    result = pusher.upsert(changed, first.record())
    assert (result.status, result.qbo_id, result.sync_token) == ("updated", first.qbo_id, "1")
    invoice = emu.invoices[first.qbo_id]
    assert len(emu.invoices) == 1 and invoice["TotalAmt"] == changed.total
    assert invoice["PrivateNote"].endswith(changed.content_hash)
    assert pusher.upsert(changed, result.record()).status == "unchanged"


def test_sent_invoice_is_never_modified(emu, store):
    pusher = make_pusher(emu, store)
    first = pusher.upsert(make_draft())
    emu.send_invoice(first.qbo_id)  # someone sends it from QuickBooks
    snapshot = json.dumps(emu.invoices[first.qbo_id], default=str)
    updates_before = len(emu.calls("POST", "/invoice"))
    result = pusher.upsert(make_draft(hours="30"), first.record())
    assert result.status == "conflict_sent" and result.record() is None
    assert "-Line: Senior consulting beyond the retainer | Hourly services - Senior | 12.5 x 150" in result.diff
    assert "+Line: Senior consulting beyond the retainer | Hourly services - Senior | 30 x 150" in result.diff
    assert json.dumps(emu.invoices[first.qbo_id], default=str) == snapshot
    assert len(emu.calls("POST", "/invoice")) == updates_before


def test_paid_invoice_is_never_modified(emu, store):
    pusher = make_pusher(emu, store)
    first = pusher.upsert(make_draft())
    emu.pay_invoice(first.qbo_id, D("500"))
    result = pusher.upsert(make_draft(hours="1"), first.record())
    assert result.status == "conflict_sent" and "payment" in result.reason
    assert emu.invoices[first.qbo_id]["TotalAmt"] == make_draft().total


def test_invoice_edited_in_quickbooks_is_flagged_with_diff(emu, store):
    pusher = make_pusher(emu, store)
    first = pusher.upsert(make_draft())

    def edit(invoice):
        invoice["Line"][0]["Description"] = "Retainer (renegotiated)"

    emu.edit_invoice(first.qbo_id, edit)
    for draft in (make_draft(), make_draft(hours="2")):
        result = pusher.upsert(draft, first.record())
        assert result.status == "conflict_edited" and result.record() is None
        assert "-Line: Retainer (renegotiated)" in result.diff and "+Line: Monthly retainer" in result.diff
    assert emu.invoices[first.qbo_id]["SyncToken"] == "1"


def test_edit_racing_our_update_is_a_conflict(emu, store):
    pusher = make_pusher(emu, store)
    first = pusher.upsert(make_draft())
    emu.inject("action", method="POST", path="/invoice", body='"Id"',
               action=lambda e: e.edit_invoice(first.qbo_id, {"DueDate": "2027-01-15"}))
    result = pusher.upsert(make_draft(hours="3"), first.record())
    assert result.status == "conflict_edited" and "while we updated" in result.reason
    assert "-DueDate: 2027-01-15" in result.diff
    assert emu.invoices[first.qbo_id]["PrivateNote"].endswith(make_draft().content_hash)


def test_deleted_invoice_is_reported_not_recreated(emu, store):
    pusher = make_pusher(emu, store)
    first = pusher.upsert(make_draft())
    emu.delete_invoice(first.qbo_id)
    result = pusher.upsert(make_draft(hours="5"), first.record())
    assert result.status == "conflict_deleted" and result.reason == "deleted" and not emu.invoices
    assert result.diff == (f"invoice {first.qbo_id} ({first.doc_number}) was deleted in QuickBooks; nothing was "
                           "pushed. To draft it again: billing close --month 2026-10 --client acme --recreate-deleted "
                           "(in the UI, launch the run with the tag billing/recreate_deleted=true)")


def test_a_deleted_draft_is_created_again_when_asked_and_only_once(emu, store):
    """`recreate_deleted`: a new invoice under the same DocNumber; a rerun that never recorded it finds it by its
    DocNumber (as it would one a person drafted again under it) instead of creating a second."""
    pusher = make_pusher(emu, store)
    first = pusher.upsert(make_draft())
    emu.delete_invoice(first.qbo_id)
    again = pusher.upsert(make_draft(hours="5"), first.record(), recreate_deleted=True)
    assert again.status == "created" and again.qbo_id != first.qbo_id and again.doc_number == first.doc_number
    assert list(emu.invoices) == [again.qbo_id]
    assert emu.invoices[again.qbo_id]["TotalAmt"] == make_draft(hours="5").total
    rerun = pusher.upsert(make_draft(hours="5"), first.record(), recreate_deleted=True)  # the record was lost
    assert rerun.status == "unchanged" and rerun.recovered and list(emu.invoices) == [again.qbo_id]


def test_crash_after_commit_then_rerun_makes_no_duplicate(emu, store):
    emu.inject("drop_after_commit", method="POST", path="/invoice")
    crashing = make_pusher(emu, store, retry=RetryPolicy(max_attempts=1))
    with pytest.raises(QboUnavailable):
        crashing.upsert(make_draft())  # the run dies before recording anything
    assert len(emu.invoices) == 1
    rerun = make_pusher(emu, store).upsert(make_draft())
    assert (rerun.status, rerun.recovered) == ("unchanged", True)
    assert rerun.qbo_id in emu.invoices and len(emu.invoices) == 1 and len(emu.creates("invoice")) == 1
    # The untouched recovered invoice can still be updated in place without a record.
    changed = make_pusher(emu, store).upsert(make_draft(hours="1.5"))
    assert (changed.status, changed.qbo_id, len(emu.invoices)) == ("updated", rerun.qbo_id, 1)


def test_dropped_create_is_found_by_doc_number_before_retrying(emu, store):
    emu.inject("drop_after_commit", method="POST", path="/invoice")
    result = make_pusher(emu, store).upsert(make_draft())
    assert result.status == "created" and len(emu.invoices) == 1
    assert len(emu.creates("invoice")) == 1  # looked up, not re-posted
    paths = [r.path.rsplit("/", 1)[-1] for r in api_calls(emu)]
    assert paths[-2:] == ["invoice", "query"]


def test_stale_lookup_after_dropped_create_is_saved_by_requestid_replay(emu, store):
    emu.inject("drop_after_commit", method="POST", path="/invoice")
    # pre-check, the look for a renamed customer's earlier invoices (a customer is created), recovery lookup
    emu.inject("empty_query", path="/query", body="FROM Invoice", times=3)
    result = make_pusher(emu, store).upsert(make_draft())
    creates = emu.creates("invoice")
    assert result.status == "created" and len(emu.invoices) == 1
    assert len(creates) == 2 and creates[0].requestid == creates[1].requestid and creates[1].replayed


def test_duplicate_doc_number_means_it_exists(emu, store):
    first = make_pusher(emu, store).upsert(make_draft())
    emu.inject("empty_query", path="/query", body="FROM Invoice")  # a stale pre-check
    # No record and a changed draft (so a new requestid): the create meets 6140, we fetch and reconcile.
    result = make_pusher(emu, store).upsert(make_draft(hours="9"))
    assert (result.status, result.qbo_id, result.recovered) == ("updated", first.qbo_id, True)
    assert len(emu.invoices) == 1 and emu.creates("invoice")[-1].status == 400
    # The same draft again, same stale lookup: the create's requestid is replayed, nothing is duplicated.
    emu.inject("empty_query", path="/query", body="FROM Invoice")
    replay = make_pusher(emu, store).upsert(make_draft())
    assert replay.qbo_id == first.qbo_id and emu.creates("invoice")[-1].replayed and len(emu.invoices) == 1


def test_updated_invoice_without_record_is_not_overwritten(emu, store):
    pusher = make_pusher(emu, store)
    first = pusher.upsert(make_draft())
    pusher.upsert(make_draft(hours="2"), first.record())  # SyncToken 1, then our record is lost
    result = make_pusher(emu, store).upsert(make_draft(hours="3"))
    assert result.status == "conflict_edited" and "cannot tell" in result.reason
    assert emu.invoices[first.qbo_id]["SyncToken"] == "1"


def test_injected_duplicate_doc_number_without_invoice_is_an_error(emu, store):
    emu.inject("dup_docnumber", method="POST", path="/invoice")
    with pytest.raises(QboError, match="taken"):
        make_pusher(emu, store).upsert(make_draft())


def test_throttling_and_server_errors_are_retried(emu, store):
    waits: list[float] = []
    pusher = make_pusher(emu, store, retry=RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05,
                                                        throttle_delay=0.02), sleep=waits.append)
    for kind in ("429_xml", "429_json", "503"):
        emu.inject(kind, method="POST", path="/invoice")
    result = pusher.upsert(make_draft())
    assert result.status == "created" and len(emu.invoices) == 1
    assert [r.fault for r in emu.creates("invoice")] == ["429_xml", "429_json", "503", None]
    assert len(waits) == 3 and all(0 < w < 1 for w in waits)


def test_retry_after_header_and_backoff_are_capped():
    policy = RetryPolicy(base_delay=1, max_delay=8, throttle_delay=60, jitter=0.1)
    assert all(w <= 8 for w in (policy.backoff(n) for n in range(1, 20)))
    assert 60 <= policy.throttle(None) <= 66 and 5 <= policy.throttle("5") <= 5.5


def test_hung_request_times_out_and_is_retried(emu, store):
    pusher = make_pusher(emu, store, timeout=0.3)
    emu.inject("hang", path="/query", seconds=3)
    assert pusher.upsert(make_draft()).status == "created"
    assert [r.fault for r in api_calls(emu) if r.path.endswith("/query")][:2] == ["hang", None]


def test_gives_up_after_max_attempts(emu, store):
    emu.inject("500", path="/query", times=10)
    with pytest.raises(QboUnavailable, match="gave up after 4 attempts"):
        make_pusher(emu, store).upsert(make_draft())


def test_validation_faults_are_not_retried(emu, store):
    with pytest.raises(QboError) as info:
        make_pusher(emu, store).upsert(make_draft(name="Bad: name"))
    assert info.value.code == 2050 and len(emu.creates("customer")) == 1


def test_customer_and_items_are_reused_when_they_exist(emu, store):
    emu.add_customer("Acme Corp")
    make_pusher(emu, store).upsert(make_draft())
    assert len(emu.customers) == 1 and not emu.creates("customer")


def test_send_records_who_and_when(emu, store):
    pusher = make_pusher(emu, store)
    first = pusher.upsert(make_draft())
    with pytest.raises(ValueError, match="approver"):
        pusher.send(first.qbo_id, " ")
    with pytest.raises(QboConflictError):
        pusher.send(first.qbo_id, "dana@firm.example", expected_sync_token="7")
    sent = pusher.send(first.qbo_id, "dana@firm.example", send_to="ap@acme.example", expected_sync_token="0")
    assert (sent.approved_by, sent.email_status, sent.sent_to) == ("dana@firm.example", "EmailSent",
                                                                   "ap@acme.example")
    assert sent.sent_at.endswith("+00:00") and sent.delivery_time and not sent.already_sent
    assert emu.invoices[first.qbo_id]["EmailStatus"] == "EmailSent"
    assert len(emu.calls("POST", f"/invoice/{first.qbo_id}/send")) == 1
    again = pusher.send(first.qbo_id, "dana@firm.example")
    assert again.already_sent and len(emu.calls("POST", "/send")) == 1
    assert pusher.upsert(make_draft(hours="2"), first.record()).status == "conflict_sent"


def test_send_with_lost_response_is_not_repeated(emu, store):
    pusher = make_pusher(emu, store)
    first = pusher.upsert(make_draft())
    emu.inject("drop_after_commit", method="POST", path="/send")
    sent = pusher.send(first.qbo_id, "dana", send_to="ap@acme.example")
    assert sent.email_status == "EmailSent" and len(emu.calls("POST", "/send")) == 1


# --- rate limiting ------------------------------------------------------------------------------------

def test_rate_limiter_token_buckets():
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(per_second=10, per_minute=500, clock=lambda: now[0], sleep=sleep)
    for _ in range(10):
        limiter.acquire()
    assert not waits
    limiter.acquire()
    assert waits == [pytest.approx(0.1)]
    for _ in range(489):
        limiter.acquire()
    waits.clear()
    limiter.acquire()  # the 501st request within the minute waits for the minute bucket
    assert sum(waits) == pytest.approx(60 / 500, rel=0.5) and now[0] > 48


# --- the emulator itself ------------------------------------------------------------------------------

def test_emulator_requestid_replay_and_validation_through_the_library(emu, store):
    qb = make_pusher(emu, store).qb
    body = json.dumps({"DisplayName": "Replay Co"})
    first = qb.create_object("Customer", body, request_id="rid-1")
    second = qb.create_object("Customer", body, request_id="rid-1")
    assert first["Customer"]["Id"] == second["Customer"]["Id"] and len(emu.customers) == 1
    item = qb.create_object("Item", json.dumps({"Name": "Work", "Type": "Service",
                                                "IncomeAccountRef": {"value": "1"}}))["Item"]
    bad = {"CustomerRef": {"value": first["Customer"]["Id"]}, "Line": [{
        "Amount": 10.0, "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 3, "UnitPrice": 3.33}}]}
    from quickbooks.exceptions import QuickbooksException
    with pytest.raises(QuickbooksException) as info:
        qb.create_object("Invoice", json.dumps(bad))
    assert info.value.error_code == 6070


def test_emulator_query_subset():
    query = parse_query("select * from Invoice where DocNumber = 'A\\'B' AND TotalAmt >= 10 "
                        "and Id IN ('1', '2') ORDERBY TxnDate DESC STARTPOSITION 2 MAXRESULTS 5")
    assert (query.entity, query.start, query.max_results, query.order) == ("Invoice", 2, 5, [("TxnDate", True)])
    assert [c.values for c in query.where] == [["A'B"], [D(10)], ["1", "2"]]
    assert parse_query("SELECT COUNT(*) FROM Customer WHERE DisplayName LIKE 'Ac%'").count
    with pytest.raises(ValueError):
        parse_query("SELECT * FROM Invoice WHERE Id = '1' OR Id = '2'")


# --- faults: lost records, Retry-After ----------------------------------------------------------------

def test_update_accepted_but_never_recorded_is_recognised_as_ours(emu, store):
    first = make_pusher(emu, store).upsert(make_draft())
    lost = make_pusher(emu, store).upsert(make_draft(hours="2"), first.record())  # the run dies before recording
    assert lost.status == "updated" and emu.invoices[first.qbo_id]["SyncToken"] == "1"
    posts = len(emu.calls("POST", "/invoice"))
    rerun = make_pusher(emu, store).upsert(make_draft(hours="2"), first.record())  # only the old record
    assert (rerun.status, rerun.recovered, rerun.sync_token) == ("updated", True, "1")
    assert len(emu.calls("POST", "/invoice")) == posts, "nothing written again"
    emu.edit_invoice(first.qbo_id, {"DueDate": "2027-01-15"})  # a person's edit after that is still a conflict
    assert make_pusher(emu, store).upsert(make_draft(hours="3"), rerun.record()).status == "conflict_edited"


def test_sent_invoice_that_matches_the_draft_is_unchanged_not_a_conflict(emu, store):
    first = make_pusher(emu, store).upsert(make_draft())
    emu.send_invoice(first.qbo_id)
    again = make_pusher(emu, store).upsert(make_draft(), first.record())
    assert (again.status, again.recovered) == ("unchanged", False)
    unrecorded = make_pusher(emu, store).upsert(make_draft())
    assert (unrecorded.status, unrecorded.recovered) == ("unchanged", True)
    assert make_pusher(emu, store).upsert(make_draft(hours="4"), first.record()).status == "conflict_sent"


def test_retry_after_header_sets_the_wait(emu, store):
    waits: list[float] = []
    pusher = make_pusher(emu, store, retry=RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05,
                                                        throttle_delay=30, jitter=0.1), sleep=waits.append)
    emu.inject("429_retry_after", method="POST", path="/invoice", seconds=0.2)
    emu.inject("429_json", method="POST", path="/invoice")  # no Retry-After: the policy's throttle delay
    assert pusher.upsert(make_draft()).status == "created" and len(emu.invoices) == 1
    assert [r.fault for r in emu.creates("invoice")] == ["429_retry_after", "429_json", None]
    assert 0.2 <= waits[0] <= 0.22 and 30 <= waits[1] <= 33


def test_our_unrecorded_update_followed_by_another_change_is_updated_not_a_conflict(emu, store):
    """A close killed right after QuickBooks accepted our update (1 h -> 2 h), then the hours changed to 3 before
    the next close: QuickBooks held our 2 h version under the record of the 1 h push, and every close called it
    "edited in QuickBooks" forever. The one write since the record is ours (our note, SyncToken + 1): updated to
    3 h. A person's edit on top of it is still a conflict."""
    first = make_pusher(emu, store).upsert(make_draft(hours="1"))
    make_pusher(emu, store).upsert(make_draft(hours="2"), first.record())  # the run dies before recording
    rerun = make_pusher(emu, store).upsert(make_draft(hours="3"), first.record())
    assert (rerun.status, rerun.recovered) == ("updated", True)
    held = emu.invoices[first.qbo_id]
    assert held["SyncToken"] == "2" and Decimal(str(held["Line"][2]["SalesItemLineDetail"]["Qty"])) == Decimal(3)

    lost = make_pusher(emu, store).upsert(make_draft(hours="4"), rerun.record())  # lost again, then a person edits
    emu.edit_invoice(first.qbo_id, {"DueDate": "2027-01-15"})
    assert lost.sync_token == "3"
    assert make_pusher(emu, store).upsert(make_draft(hours="5"), rerun.record()).status == "conflict_edited"
