"""Property tests of the pricing engine: reconciliation, totals, caps, splits, idempotence."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_assets.core.contract import Contract
from billing_assets.core.money import round_hours
from billing_assets.core.pricing import LedgerState, PricingEntry, price_month

PEOPLE = ["Ana Souza", "Raj Patel", "Kim Lee", "Ola Berg"]
PROJECTS = ["Alpha", "Beta"]
D = Decimal


@st.composite
def contracts(draw) -> Contract:
    data: dict = {"client": "acme", "name": "Acme", "roles": {"senior": D("250"), "analyst": D("150.5")},
                  "people": {"Ana Souza": "senior", "Raj Patel": "analyst"},
                  "work_types": {"rush": {"multiplier": D("1.5"), "counts_against_retainer": draw(st.booleans())}}}
    if draw(st.booleans()):
        data["default_rate"] = D("120")
    if draw(st.booleans()):
        data["rate_overrides"] = [{"person": "Kim Lee", "rate": D("175")},
                                  {"person": "Ana Souza", "project": "Beta", "rate": D("199.99")}]
    mode = draw(st.sampled_from(["none", "up", "nearest"]))
    if mode != "none":
        data["rounding"] = {"increment_hours": draw(st.sampled_from([D("0.1"), D("0.25"), D("0.5")])), "mode": mode}
    if draw(st.booleans()):
        data["retainer"] = {"monthly_fee": D("5000"), "included_hours": D(draw(st.integers(0, 30))),
                            "overage_multiplier": draw(st.sampled_from([D("1"), D("1.25")]))}
        if draw(st.booleans()):
            data["retainer"]["rollover"] = {"max_hours": D(draw(st.integers(0, 20))),
                                            "expires_after_months": draw(st.integers(1, 3))}
    if draw(st.booleans()):
        data["tiers"] = [{"from_hours": D("0"), "factor": D("1")}, {"from_hours": D("7.5"), "factor": D("0.9")},
                         {"from_hours": D("20"), "factor": D("0.8")}]
    caps = []
    if draw(st.booleans()):
        caps.append({"name": "Alpha NTE", "project": "Alpha", "period": draw(st.sampled_from(["month", "lifetime"])),
                     "amount": D(draw(st.integers(0, 5000)))})
    if draw(st.booleans()):
        caps.append({"name": "Monthly", "period": "month", "amount": D(draw(st.integers(0, 8000)))})
    data["caps"] = caps
    data["discount_pct"] = draw(st.sampled_from([D("0"), D("5"), D("12.5")]))
    data["minimum_monthly_fee"] = draw(st.sampled_from([D("0"), D("3000")]))
    return Contract.model_validate(data)


entry_strategy = st.tuples(
    st.sampled_from(PEOPLE), st.sampled_from(PROJECTS),
    st.decimals(min_value=D("0.01"), max_value=D("9.99"), places=2),
    st.sampled_from(["standard", "standard", "rush", "non_billable"]), st.booleans(), st.booleans())


def _entries(raw) -> list[PricingEntry]:
    return [PricingEntry(f"e{i}", project, person, "", hours, work_type, None, held=held and i % 3 == 0,
                         write_off=write_off and i % 5 == 0)
            for i, (person, project, hours, work_type, held, write_off) in enumerate(raw)]


@settings(max_examples=150, deadline=None)
@given(contracts(), st.lists(entry_strategy, max_size=40), st.lists(st.decimals(D("0"), D("30"), places=2),
                                                                      max_size=2))
def test_pricing_invariants(contract: Contract, raw, lots) -> None:
    entries = _entries(raw)
    prior = LedgerState(tuple(), {"Alpha NTE": D("1000")})
    if contract.retainer and contract.retainer.rollover:
        from billing_assets.core.pricing import Lot
        prior = LedgerState(tuple(Lot(f"2026-0{5 + i}", h) for i, h in enumerate(lots)), prior.cap_billed)
    result = price_month(contract, "2026-07", entries, [], prior)

    # hours reconciliation: every source hour lands in exactly one outcome
    assert sum((o.source_hours for o in result.outcomes), D(0)) == sum((e.hours for e in entries), D(0))
    assert [o.entry_id for o in result.outcomes] == [e.entry_id for e in entries]
    # total = sum of lines, lines numbered 1..n in kind order
    assert result.totals.total == sum((ln.amount for ln in result.lines), D(0))
    assert [ln.line_no for ln in result.lines] == list(range(1, len(result.lines) + 1))
    # split pieces sum to the (rounded) entry, and only priced entries are on lines
    pieces: dict[str, Decimal] = defaultdict(lambda: D(0))
    for _, entry_id, hours in result.line_entries:
        pieces[entry_id] += hours
    for outcome in result.outcomes:
        if outcome.outcome == "priced":
            expected = round_hours(outcome.source_hours, contract.rounding.increment_hours, contract.rounding.mode)
            assert pieces[outcome.entry_id] == expected
        else:
            assert outcome.entry_id not in pieces
    # caps never exceeded
    for row in result.cap_ledger:
        cap = next(c for c in contract.caps if c.name == row.cap_name)
        if cap.period == "month":
            assert row.charges + row.adjustment <= cap.amount
        assert row.billed_to_date <= max(cap.amount, prior.cap_billed.get(cap.name, D(0)))
        assert row.adjustment <= 0
    # the retainer ledger balances
    for lot in result.retainer_ledger:
        assert lot.hours_used + lot.hours_expired + lot.hours_carried == lot.hours_available
    if contract.retainer and contract.retainer.rollover:
        assert sum((r.hours_carried for r in result.retainer_ledger), D(0)) <= contract.retainer.rollover.max_hours
    # minimum respected
    fees_after_discount = result.totals.fees + result.totals.discount + result.totals.minimum_adjustment
    assert fees_after_discount >= contract.minimum_monthly_fee or result.totals.minimum_adjustment == 0
    # re-pricing is idempotent
    assert price_month(contract, "2026-07", entries, [], prior) == result


def test_entry_crossing_retainer_and_tier_boundaries_is_split() -> None:
    contract = Contract.model_validate({
        "client": "acme", "name": "Acme", "roles": {"senior": D("100")}, "people": {"A B": "senior"},
        "retainer": {"monthly_fee": D("1000"), "included_hours": D("4")},
        "tiers": [{"from_hours": D("0"), "factor": D("1")}, {"from_hours": D("2"), "factor": D("0.5")}]})
    result = price_month(contract, "2026-07", [PricingEntry("e1", "P", "A B", "", D("10"), "standard", None)], [])
    by_kind = {(ln.kind, ln.unit_price): ln.quantity for ln in result.lines}
    assert by_kind == {("retainer_fee", D("1000.00")): D("1"), ("retainer_covered", D("0")): D("4"),
                       ("overage", D("100.00")): D("2"), ("overage", D("50.00")): D("4")}
    assert result.totals.total == D("1400.00")
    assert sorted(h for _, _, h in result.line_entries) == [D("2"), D("4"), D("4")]
    # found by an auditor: the two overage lines read "Overage: P / senior" twice, as if one were a duplicate
    assert [(ln.description, ln.unit_price) for ln in result.lines if ln.kind != "retainer_fee"] == [
        ("Retainer hours: P / senior", D("0")), ("Overage: P / senior at 100.00", D("100.00")),
        ("Overage: P / senior at 50.00", D("50.00"))]


def test_lifetime_cap_room_uses_prior_billed_total() -> None:
    contract = Contract.model_validate({
        "client": "acme", "name": "Acme", "default_rate": D("100"),
        "caps": [{"name": "NTE", "project": "P", "period": "lifetime", "amount": D("1000"), "since": "2026-01"}]})
    entries = [PricingEntry("e1", "P", "X Y", "", D("5"), "standard", None)]
    result = price_month(contract, "2026-07", entries, [], LedgerState((), {"NTE": D("800")}))
    assert [ln.amount for ln in result.lines if ln.kind == "cap_adjustment"] == [D("-300.00")]
    assert result.cap_ledger[0].billed_to_date == D("1000")
    assert result.totals.total == D("200.00")


def test_rollover_lots_expire_and_cut_oldest_first() -> None:
    contract = Contract.model_validate({
        "client": "acme", "name": "Acme", "default_rate": D("100"),
        "retainer": {"monthly_fee": D("100"), "included_hours": D("10"),
                     "rollover": {"max_hours": D("12"), "expires_after_months": 2}}})
    from billing_assets.core.pricing import Lot
    prior = LedgerState((Lot("2026-05", D("3")), Lot("2026-06", D("6"))))
    result = price_month(contract, "2026-07", [PricingEntry("e1", "P", "X", "", D("4"), "standard", None)], [], prior)
    rows = {r.origin_month: r for r in result.retainer_ledger}
    # 2026-05 (usable through 07) is used first: 3 h, then 1 h of 2026-06
    assert (rows["2026-05"].hours_used, rows["2026-05"].hours_carried) == (D("3"), D("0"))
    assert rows["2026-06"].hours_used == D("1")
    # 5 (06) + 10 (07) = 15 > 12: cut 3 from the oldest (2026-06)
    assert rows["2026-06"].hours_carried == D("2") and rows["2026-06"].hours_expired == D("3")
    assert rows["2026-07"].hours_carried == D("10")
