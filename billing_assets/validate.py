"""`billing validate`: every problem in contracts, exports and overrides, each naming its file and key/row."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from billing_assets.core import quality as q
from billing_assets.core.classify import NO_CODE_SOURCES, coded_item, project_code_of
from billing_assets.core.contract import Contract, ContractFile, contract_paths, load_contracts, names_in
from billing_assets.core.engagement import rows_outside
from billing_assets.core.model import NON_BILLABLE, TimeEntry
from billing_assets.core.money import shown_hours
from billing_assets.core.overrides import Override, contradicted, read_decisions
from billing_assets.core.parsed import (
    ParsedSource,
    currency_code,
    foreign_expenses,
    identified,
    name_key,
    renamed_rows,
    repeated_rows,
    row_ranges,
    stopping_nobody,
    stopping_nobody_line,
    stray_rows,
)
from billing_assets.core.rates import misspelt_names
from billing_assets.core.sources import read_folder
from billing_assets.partitions import CLIENT_ID
from resources.home import BillingHome

HUNDREDTH = Decimal("0.01")  # hours compared across export files to the hundredth (no_cross_file_duplicates)


def _client_names(contract_file: ContractFile, months: list[str]) -> set[str]:
    names: set[str] = set()
    for month in months or ["9999-12"]:
        contract = contract_file.for_month(month)
        names |= contract.names
    return names


def validate_home(home: Path) -> list[str]:
    """All problems: contract validation, file names, unreadable rows, rows of unknown clients, overrides."""
    return validate_report(home)[0]


def validate_report(home: Path, parsed: ParsedSource | None = None, sent: dict[str, set[str]] | None = None
                    ) -> tuple[list[str], list[str], list[str]]:
    """(problems, warnings, one line per export file saying how it was read). `parsed`: what an API source read
    (Harvest); else the folder's exports. `sent`: each client's months whose invoice was sent, from the warehouse
    (their rows outside the engagement now were billed on it, and are said so)."""
    problems: list[str] = []
    good, bad = load_contracts(home / "contracts")
    for _, messages in sorted(bad.items()):
        problems.extend(messages)
    for client, paths in sorted(contract_paths(home / "contracts").items()):
        if not CLIENT_ID.fullmatch(client):
            problems.append(f"contracts/{paths[0].name}: file name is not a client id [a-z0-9][a-z0-9_-]{{0,62}}")
    parsed = read_folder(home) if parsed is None else parsed
    names: dict[str, str] = {}  # load_contracts moved clients sharing a name or alias to `bad`
    for client, contract_file in good.items():
        for name in _client_names(contract_file, sorted({e.month for e in parsed.entries})):
            names[name] = client
    # names of the contracts in `bad` are known clients (stopped for their own problem), not unknown ones
    stopped = {n for paths in contract_paths(home / "contracts").values() for p in paths for n in names_in(p, None)}
    near = {name_key(n): n for n in names}
    nobodys = [p for p in stopping_nobody(parsed.problems, set(names) | stopped) if name_key(p.client_name) not in near]
    problems.extend(str(p) for p in parsed.problems if p not in nobodys)
    nameless = BillingHome(path=str(home)).nameless_contracts()
    unknown = sorted({(e.source_file, e.client_name) for e in parsed.entries
                      if e.client_name not in names and e.client_name not in stopped})
    unclaimed = [stopping_nobody_line(p) for p in nobodys]  # as the close says them
    for source_file, client_name in unknown:
        found = [e for e in parsed.entries if e.source_file == source_file and e.client_name == client_name]
        rows = row_ranges([e.source_row for e in found])  # an API entry's row is its id
        where = f"{source_file}: rows {rows}: " if source_file else f"Harvest API: entries {rows}: "
        if meant := near.get(name_key(client_name)):
            problems.append(f"{where}client {client_name!r} differs from contracts/{names[meant]}.yaml's {meant!r} "
                            "only in case, spaces or punctuation; add it to the contract's aliases to bill these rows "
                            "(inputs_readable stops its months)")
        else:  # a warning, as the close says it: firms keep internal or unbilled clients in their time tool
            billable = sum((e.hours for e in found if e.billable), Decimal(0))
            # a contract that cannot be read at all may be this client's (the close says so too): correct it first
            advice = (f"{', '.join(nameless)} could not be read: {'it' if len(nameless) == 1 else 'one'} may be "
                      "theirs; correct it first" if nameless else
                      "add the name to a contract's aliases if it is a client's time")
            unclaimed.append(f"{where}unknown client {client_name!r} (no {'readable ' if nameless else ''}contract "
                             f"name or alias matches; unknown_client): {shown_hours(billable):f} h billable billed to "
                             f"nobody; {advice}")
    problems.extend(_renamed_rows(parsed, good, BillingHome(path=str(home))))
    # the code is the last three letters, as the currency_matches check reads it ("United States Dollar - USD")
    currencies = {(e.source_file, names[e.client_name], currency_code(e.currency),
                   good[names[e.client_name]].for_month(e.month).currency)
                  for e in parsed.entries if e.client_name in names and e.currency.strip()}
    for source_file, client, found, expected in sorted(c for c in currencies if c[2] != c[3]):
        problems.append(f"{source_file}: amounts in {found}, but contracts/{client}.yaml bills in {expected} "
                        "(currency_matches will stop its months)")
    for name, month in sorted(k for k in parsed.grouped()[1] if k[0] in names):
        problems.extend(foreign_expenses(parsed, {name}, month, good[names[name]].for_month(month).currency))
    overrides, override_problems, override_conflicts = read_decisions(home / "overrides")
    problems.extend(_entry_problems(parsed, good, names, overrides))
    problems.extend(str(p) for p in override_problems)
    unknown_ids, bad_overrides = _override_findings(overrides, parsed, good, names)
    problems.extend(bad_overrides)
    warnings = [str(w) for w in parsed.warnings] + unclaimed + unknown_ids
    warnings += _unlisted_project_codes(parsed, good, names)
    warnings += _misspelt_contract_names(parsed, good, names) + repeated_rows(parsed) + stray_rows(parsed, names)
    warnings += [w for _, contract_file in sorted(good.items()) for w in contract_file.undefined_people_roles()]
    warnings += [w for _, contract_file in sorted(good.items()) for w in contract_file.unordered_amendments()]
    warnings += [w for client, contract_file in sorted(good.items())
                 for w in rows_outside(client, contract_file, parsed, (sent or {}).get(client, set()))]
    warnings += override_conflicts
    return problems, warnings, [f.summary() for f in parsed.files]


def _unlisted_project_codes(parsed: ParsedSource, good: dict[str, ContractFile], names: dict[str, str]
                            ) -> list[str]:
    """Entries whose Project Code no SOW item of their contract lists, when some item lists codes: they are
    classified from their notes instead, or go to the contract's only hourly item (spec section 3), which a typo
    or a spreadsheet that dropped a code's leading zeros would otherwise do unseen; and rows of a tool with no Project
    Code column (Toggl, Clockify, QuickBooks Time) whose project names start with no code. A warning, one per file,
    client and code."""
    # (file, client, code) -> (codes listed, where the entries go, rows)
    found: dict[tuple[str, str, str], tuple[set[str], str, list[int]]] = {}
    for e in parsed.entries:
        client = names.get(e.client_name)
        if client is None:
            continue
        contract = good[client].for_month(e.month)
        code = project_code_of(contract, e)
        if not code and e.source not in NO_CODE_SOURCES:
            continue
        codes = contract.project_codes
        if codes and code not in codes:
            hourly = [i.id for i in (contract.sow.items if contract.sow else []) if i.billing == "hourly"]
            fate = (f"go to {hourly[0]}, the contract's only hourly SOW item" if len(hourly) == 1
                    else "are classified from their notes")
            found.setdefault((e.source_file, client, code), (codes, fate, []))[2].append(e.source_row)

    def loose(code: str) -> str:  # what a spreadsheet or a typist changes: case, spaces, leading zeros
        return code.casefold().strip().lstrip("0")

    out = []
    for (source_file, client, code), (codes, fate, numbers) in sorted(found.items()):
        if not code:  # Toggl, Clockify, QuickBooks Time: a code is read from the start of the project's name
            out.append(f"{source_file}: rows {row_ranges(numbers)}: no project code (this tool has no Project Code "
                       f"column, and their project names start with none of contracts/{client}.yaml's codes: "
                       f"{', '.join(sorted(codes))}); these entries {fate}. Name the projects in the time tool "
                       f"'<code> ...' to place them by code")
            continue
        near = sorted(c for c in codes if loose(c) == loose(code))
        hint = f" (meant {near[0]!r}? codes match exactly)" if near else ""
        out.append(f"{source_file}: rows {row_ranges(numbers)}: project code {code!r} is listed by no SOW item of "
                   f"contracts/{client}.yaml (its codes: {', '.join(sorted(codes))}){hint}; these entries {fate}")
    return out


def _override_findings(overrides: dict[str, Override], parsed: ParsedSource, good: dict[str, ContractFile],
                       names: dict[str, str]) -> tuple[list[str], list[str]]:
    """(warnings, problems): an override naming no entry of the exports applies to nothing (a warning: the entry
    may have been deleted, or come from the Harvest API); a work type or SOW item the entry's contract lacks
    would fail work_types_present / sow_items_exist (a problem naming the override file and row)."""
    entries = {e.entry_id: e for e in parsed.entries}
    warnings, problems = [], []
    for override in sorted(overrides.values(), key=lambda o: o.source):
        entry = entries.get(override.entry_id)
        if entry is None:
            warnings.append(f"{override.where}: entry id {override.entry_id!r} matches no time entry in the "
                            "exports; the row applies to nothing")
            continue
        client = names.get(entry.client_name)
        if client is None:
            continue
        contract = good[client].for_month(entry.month)
        problems += contradicted(overrides, [entry], client, contract.names)
        item, work_type = override.released_as(contract.sow_item_ids, contract.work_type_names)
        if override.work_type and work_type not in contract.work_type_names:
            problems.append(f"{override.where}: work_type {override.work_type!r} is not a work type of "
                            f"{good[client].label} (known: {', '.join(sorted(contract.work_type_names))}); "
                            "work_types_present will stop its month")
        if override.sow_item and item not in contract.sow_item_ids:
            known = ", ".join(sorted(contract.sow_item_ids)) or "none"
            problems.append(f"{override.where}: sow_item {override.sow_item!r} is not a SOW item of "
                            f"{good[client].label} (known: {known}); sow_items_exist will stop its month")
    return warnings, problems


def _renamed_rows(parsed: ParsedSource, good: dict[str, ContractFile], home: BillingHome) -> list[str]:
    """Rows under a name a client's contract gives it only in other months (an amendment renamed the client), in a
    month no contract claims that name (the names the close reads, `BillingHome.claimed_names`): inputs_readable
    stops those months (billing_assets.status)."""
    entries, expenses = parsed.grouped()
    out = []
    for month in sorted({m for _, m in [*entries, *expenses]}):
        for client, contract_file in sorted(good.items()):
            now = contract_file.for_month(month)
            other = names_in(contract_file.path, contract_file) - now.names
            out += [f"{line} (inputs_readable stops {client} {month})"
                    for line in renamed_rows(parsed, other, month, home.claimed_names(month))]
    return out


def _misspelt_contract_names(parsed: ParsedSource, good: dict[str, ContractFile], names: dict[str, str]
                             ) -> list[str]:
    """A `people` or `rate_overrides` person, or a rate override's project, that no entry of the client has but
    that is close to one that does ("Raj Patl" beside "Raj Patel"): names match exactly (spec section 2), so
    the rate silently applies to nobody. A warning, and only when a close spelling worked: people listed who
    did not work this period are not typos."""
    worked: dict[str, tuple[set[str], set[str], set[str]]] = {}  # client -> (persons, projects, months)
    for e in parsed.entries:
        if e.client_name in names:
            persons, projects, months = worked.setdefault(names[e.client_name], (set(), set(), set()))
            persons.add(e.person)
            projects.add(e.project)
            months.add(e.month)
    found: dict[tuple[str, str], str] = {}
    for client, (persons, projects, months) in sorted(worked.items()):
        for month in sorted(months):
            for key, value, close in misspelt_names(good[client].for_month(month), persons, projects):
                found[(client, key)] = (f"{good[client].label}: {key}: {value!r} has no time in the exports, but "
                                        f"{close!r} has (names match exactly); the setting applies to nobody")
    return [found[k] for k in sorted(found)]


def _reexports(parsed: ParsedSource, names: dict[str, str]) -> list[str]:
    """Files exported again with edits (quality.reexported_rows, as the close's no_cross_file_duplicates reads
    them)."""
    months: dict[tuple[str, str], list[dict]] = {}
    for _, e in identified(parsed):
        months.setdefault((names.get(e.client_name, e.client_name), e.month), []).append(
            {"source_file": e.source_file, "entry_id": e.entry_id, "entry_date": e.date, "person": e.person,
             "project": e.project, "hours": e.hours, "notes": e.notes, "billable": e.billable})
    repeated: dict[tuple[str, ...], int] = {}
    for rows in months.values():
        if len({r["source_file"] for r in rows}) > 1:
            for found in q.reexported_rows(rows):
                repeated[tuple(found["files"])] = repeated.get(tuple(found["files"]), 0) + 1
    return [f"{' and '.join(files)}: {count} row(s) in both files with the same date, person and note, most of "
            "the files' rows (exported again with hours, task or project edited?); no_cross_file_duplicates will stop "
            "their months (if they are more time, not a re-export, word their notes otherwise)"
            for files, count in sorted(repeated.items())]


def _entry_problems(parsed: ParsedSource, good: dict[str, ContractFile], names: dict[str, str],
                    overrides: dict[str, Override]) -> list[str]:
    """What the blocking raw checks would find, before anything runs: rows without a person, the same row in
    two files (a re-export), billable work of a person the contract has no rate for (unless a decision writes
    it off or makes it non-billable, or the contract's task map does: no rate is then needed)."""
    from billing_assets.core.rates import base_rate, resolve_role

    problems = [f"{e.source_file}: row {e.source_row}: no person (First Name / Last Name or User is blank; "
                "required_fields will stop its month)" for e in parsed.entries if not e.person]
    files_by_identity: dict[tuple, set[str]] = {}
    for _, e in identified(parsed):  # as the close's no_cross_file_duplicates compares them: values as read, so a
        # re-export in another date or number format is the same row; notes, the client's spelling (renamed since)
        # and the project code (filled in since) aside; hours to the hundredth (1:20 is 1.33 in another export)
        identity = (e.date, names.get(e.client_name, e.client_name), e.project, e.task,
                    e.hours.quantize(HUNDREDTH, rounding=ROUND_HALF_UP), e.person)
        files_by_identity.setdefault(identity, set()).add(e.source_file)
    repeated: dict[tuple[str, ...], int] = {}
    for files in files_by_identity.values():
        if len(files) > 1:
            repeated[tuple(sorted(files))] = repeated.get(tuple(sorted(files)), 0) + 1
    problems += [f"{' and '.join(files)}: {count} row(s) in both files with the same date, person, project, task "
                 "and hours (a re-export, a note perhaps edited since?); no_cross_file_duplicates will stop their "
                 "months" for files, count in sorted(repeated.items())]
    problems += _reexports(parsed, names)
    missing = set()
    for e in parsed.entries:
        client = names.get(e.client_name)
        decided = overrides.get(e.entry_id)
        decided_type = decided.work_type if decided is not None else ""
        # a decision's work type other than non_billable bills a `Billable? = No` row (spec section 3 step 1; found
        # by an auditor: validate called the month clean, and rates_present stopped it)
        if client is None or not (e.billable or decided_type not in ("", NON_BILLABLE)) or not e.person:
            continue
        contract = good[client].for_month(e.month)
        if (decided is not None and decided.action == "write_off") or decided_type == NON_BILLABLE or \
                (not decided_type and contract.task_work_type(e.task) == NON_BILLABLE) or \
                _on_fixed_fee(contract, e, decided):
            continue
        if base_rate(contract, e.person, e.project, resolve_role(contract, e.person, e.roles)) is None:
            missing.add((client, e.person, e.month))
    problems += [f"contracts/{client}.yaml: no rate for {person} (people, roles, rate_overrides or "
                 f"default_rate), who has billable time in {month}: rates_present will stop it"
                 for client, person, month in sorted(missing)]
    return problems


def _on_fixed_fee(contract: Contract, entry: TimeEntry, decided: Override | None) -> bool:
    """Whether a decision or the entry's Project Code puts it on a fixed-fee item, which bills its schedule, not
    hours: its person needs no rate (found by an auditor: validate said rates_present would stop a month that the
    close priced and pushed)."""
    item = contract.sow_item(decided.sow_item) if decided is not None and decided.sow_item else \
        coded_item(contract, entry)
    return item is not None and item.billing == "fixed_fee"
