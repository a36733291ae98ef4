"""The Northbeam Partners demo firm: a complete, deterministic billing home (spec section 1).

`write_demo_home(home, seed)` writes twelve client contracts, three closed months (2026-08 .. 2026-10) of
Harvest "Detailed time" and expense exports, an empty `overrides/` folder and a README that says which
client exercises which billing rule. Everything comes from templates and one seeded `random.Random`, with
no wall clock and no set-iteration order, so two runs with the same seed write byte-identical trees.

Run it as `python -m billing_assets.demo <dir> [--seed N]`.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import json
import random
import re
import string
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

D = Decimal
FIRM = "Northbeam Partners"
MONTHS: tuple[str, ...] = ("2026-08", "2026-09", "2026-10")
CURRENCY_LABEL = "United States Dollar - USD"
HOLIDAYS: tuple[date, ...] = (date(2026, 9, 7),)  # Labor Day: nobody logs time
MAX_DAY_HOURS = D("8.5")

HARVEST_TIME_HEADER: tuple[str, ...] = (
    "Date", "Client", "Project", "Project Code", "Task", "Notes", "Hours", "Hours Rounded", "Billable?",
    "Invoiced?", "Approved?", "First Name", "Last Name", "Employee Id", "Roles", "Employee?", "Billable Rate",
    "Billable Amount", "Cost Rate", "Cost Amount", "Currency", "External Reference URL",
)
HARVEST_EXPENSE_HEADER: tuple[str, ...] = (
    "Date", "Client", "Project", "Project Code", "Category", "Notes", "Amount", "Billable?", "Invoiced?",
    "First Name", "Last Name", "Currency",
)


# --------------------------------------------------------------------------------------------------------
# The firm
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A Northbeam employee as Harvest exports them."""

    first: str
    last: str
    title: str
    roles_column: str  # Harvest's Roles column ("" when the person has no Harvest role)
    employee_id: str
    unit: Decimal  # the granularity this person logs in: quarter or tenth hours

    @property
    def name(self) -> str:
        """The person as the spec names them: "{First Name} {Last Name}"."""
        return f"{self.first} {self.last}"


QUARTER, TENTH = D("0.25"), D("0.1")

PEOPLE: tuple[Person, ...] = (
    Person("Helena", "Marsh", "Managing Partner", "", "NB-001", QUARTER),
    Person("Daniel", "Okoye", "Partner, Finance & Strategy", "", "NB-002", TENTH),
    Person("Priya", "Raman", "Principal, Strategy", "", "NB-003", QUARTER),
    Person("Marcus", "Lindqvist", "Principal Engineer", "", "NB-004", QUARTER),
    Person("Sofia", "Alvarez", "Senior Consultant", "Senior", "NB-005", QUARTER),
    Person("Tobias", "Wren", "Senior Engineer", "Senior, Engineering", "NB-006", QUARTER),
    Person("Aisha", "Bello", "Senior Designer", "Senior, Design", "NB-007", QUARTER),
    Person("Kenji", "Watanabe", "Software Engineer", "Engineer", "NB-008", QUARTER),
    Person("Clara", "Dubois", "Product Designer", "Designer", "NB-009", QUARTER),
    Person("Rafael", "Costa", "Software Engineer", "Engineer", "NB-010", TENTH),
    Person("Nora", "Fitzgerald", "Analyst", "Analyst", "NB-011", TENTH),
    Person("Ethan", "Brooks", "Analyst", "Analyst", "NB-012", QUARTER),
    Person("Leila", "Nasser", "Counsel, Privacy & Regulatory", "", "NB-013", TENTH),
    Person("Grace", "Whitfield", "Senior Manager, Accounting Advisory", "", "NB-014", TENTH),
    Person("Samuel", "Achebe", "Engagement Manager", "Manager", "NB-015", QUARTER),
)
PEOPLE_BY_NAME: dict[str, Person] = {p.name: p for p in PEOPLE}


# --------------------------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """One kind of work on one client: where it is logged, who logs it and what they write.

    `label` is the truth a reviewer would agree with: the SOW item id (or a short project label for
    clients without a SOW). `weights` share out a month's entries; `fixed` instead gives an exact count
    per month (used for rush and held rows, so the demo always has a few of them)."""

    label: str
    project: str
    code: str
    tasks: tuple[str, ...]
    people: tuple[str, ...]
    notes: tuple[str, ...]
    hours: tuple[str, str]
    weights: tuple[int, int, int] = (1, 1, 1)
    fixed: tuple[int, int, int] | None = None
    work_type: str = "standard"
    billable: bool = True
    weekend_share: float = 0.0


@dataclass(frozen=True)
class ExpenseTemplate:
    """A recurring or one-off expense; `months` are indexes into MONTHS."""

    project: str
    code: str
    category: str
    notes: str
    amount: tuple[str, str]
    billable: bool
    people: tuple[str, ...]
    months: tuple[int, ...] = (0, 1, 2)


@dataclass(frozen=True)
class Client:
    """A client: its contract (as a plain mapping), its work streams and its expenses."""

    slug: str
    name: str
    engagement: str
    rules: tuple[str, ...]
    contract: dict[str, Any]
    entries: tuple[int, int, int]  # time entries per month
    streams: tuple[Stream, ...]
    fills: dict[str, tuple[str, ...]] = field(default_factory=dict)
    alias_for: tuple[tuple[str, str], ...] = ()  # (person or project, alias): those rows use the alias
    expenses: tuple[ExpenseTemplate, ...] = ()

    @property
    def people(self) -> tuple[str, ...]:
        """Everyone who logs time on this client, in first-seen order."""
        seen: dict[str, None] = {}
        for stream in self.streams:
            for person in stream.people:
                seen.setdefault(person, None)
        return tuple(seen)


def _sow_item(item_id: str, name: str, description: str, billing: str = "hourly",
              codes: tuple[str, ...] = (), schedule: dict[str, Decimal] | None = None) -> dict[str, Any]:
    """A SOW item mapping in the key order of spec section 2."""
    item: dict[str, Any] = {"id": item_id, "name": name, "description": " ".join(description.split()),
                            "billing": billing}
    if codes:
        item["project_codes"] = list(codes)
    if schedule:
        item["schedule"] = schedule
    return item


# ---- 1. Harborline Logistics: engineering support retainer -------------------------------------------------

HBL_RET, HBL_CAR = "Platform Support Retainer", "Carrier Integrations"
HARBORLINE = Client(
    slug="harborline",
    name="Harborline Logistics",
    engagement="Engineering support retainer for Beacon, Harborline's shipment-tracking platform, plus "
               "carrier API integrations.",
    rules=(
        "retainer with included_hours (70 h for 13,500/month)",
        "rush work type outside the retainer (counts_against_retainer: false, 1.5x)",
        "rollover of unused hours (max 20 h, expire after 2 months)",
        "overage_multiplier 1.15 once the allowance is used up",
        "task_map: 'Rush Support' -> rush, 'Internal' -> non_billable",
        "rush_keywords (urgent, hotfix, asap, same-day)",
        "rounding up to 0.25 h",
        "no sow at all; roles from the Roles column for everyone but the principal",
    ),
    contract={
        "client": "harborline",
        "name": "Harborline Logistics",
        "currency": "USD",
        "terms_days": 30,
        "rounding": {"increment_hours": D("0.25"), "mode": "up"},
        "roles": {"principal": 260, "senior": 215, "engineer": 175, "manager": 165},
        "people": {"Marcus Lindqvist": "principal"},
        "work_types": {"rush": {"multiplier": D("1.5"), "counts_against_retainer": False}},
        "task_map": {"Rush Support": "rush", "Internal": "non_billable"},
        "rush_keywords": ["urgent", "hotfix", "asap", "same-day"],
        "retainer": {
            "monthly_fee": 13500,
            "included_hours": 70,
            "overage_multiplier": D("1.15"),
            "rollover": {"max_hours": 20, "expires_after_months": 2},
        },
    },
    entries=(44, 80, 56),
    streams=(
        Stream("platform", HBL_RET, "HBL-RET", ("Engineering", "Code Review", "DevOps"),
               ("Tobias Wren", "Kenji Watanabe"),
               ("fixed pagination bug on shipment search API, cursor skipped the last page",
                "upgraded the Postgres driver, ran the regression suite on staging",
                "added retry with backoff to the {carrier} tracking webhook consumer",
                "refactored rate-quote service config loading, removed dead feature flags",
                "slow dock-schedule query: added composite index on (warehouse_id, slot_start)",
                "PR review: label printing service changes from the Harborline team",
                "tests for the customs docs PDF generator",
                "patched Node base images for the monthly CVE batch",
                "customer portal: CSV export of delivery exceptions",
                "cleaned up Terraform for the staging VPC, fixed drift",
                "ticket triage {ticket}, {ticket2}; reproduced the second one locally",
                "proof-of-delivery photo upload: resize on the device before upload",
                "on-call handoff notes + runbook update for the tracking API",
                "Beacon release {version}: changelog, tagged, deployed to staging",
                "moved nightly invoice export job from cron to the queue workers",
                "investigated memory growth in the geofence worker, heap snapshots"),
               ("0.5", "3.5")),
        Stream("architecture", HBL_RET, "HBL-RET", ("Engineering", "Meetings"), ("Marcus Lindqvist",),
               ("architecture review of the event bus migration w/ {contact}",
                "reviewed Q4 capacity plan for peak season",
                "design doc comments on the routing engine rewrite",
                "sprint planning w/ {contact}, sized the carrier backlog",
                "code review of the label service refactor",
                "1:1 w/ {contact} on platform roadmap for next quarter"),
               ("0.5", "2.0"), weights=(2, 2, 2)),
        Stream("carriers", HBL_CAR, "HBL-CAR", ("Engineering", "Integration"),
               ("Rafael Costa", "Kenji Watanabe", "Tobias Wren"),
               ("{carrier} EDI 214 status mapping to Beacon events",
                "mapped {carrier} exception codes to Beacon delivery statuses",
                "sandbox testing of the {carrier} rate API v2",
                "ported the {carrier} label API client to OAuth client credentials",
                "contract tests for the {carrier} tracking feed",
                "parsed {carrier} invoice files for freight audit"),
               ("1.0", "3.5"), weights=(3, 4, 3)),
        Stream("account", HBL_RET, "HBL-RET", ("Meetings", "Project Management"), ("Samuel Achebe",),
               ("weekly retainer check-in w/ {contact}, reprioritized the backlog",
                "monthly hours recap for {contact}",
                "groomed the support queue, tagged tickets for next sprint",
                "release planning call w/ {contact} and Marcus"),
               ("0.25", "1.25"), weights=(2, 2, 2)),
        Stream("rush-task", HBL_RET, "HBL-RET", ("Rush Support",),
               ("Tobias Wren", "Rafael Costa", "Kenji Watanabe"),
               ("label printing down at the {dc} DC, traced to an expired cert, rotated + redeployed",
                "webhook backlog after the {carrier} outage, replayed 14k tracking events",
                "peak-day scaling of the tracking API, doubled the workers and watched the queue",
                "{contact} called: customer portal logins failing, rolled back the SSO change"),
               ("1.0", "4.0"), fixed=(1, 3, 2), work_type="rush", weekend_share=0.4),
        Stream("rush-keyword", HBL_RET, "HBL-RET", ("Engineering",), ("Tobias Wren", "Marcus Lindqvist"),
               ("URGENT: LTL rate quotes returning 500s, rolled back release {version}",
                "hotfix for duplicate BOL numbers in prod",
                "same-day fix for the customs export file the broker rejected",
                "asap request from {contact}: unblock cross-dock scanning at {dc}"),
               ("0.75", "3.0"), fixed=(1, 2, 2), work_type="rush"),
        Stream("internal", HBL_RET, "HBL-RET", ("Internal",),
               ("Tobias Wren", "Kenji Watanabe", "Rafael Costa"),
               ("internal retro on the September incident",
                "internal knowledge share: Harborline runbooks",
                "internal: tidied our notes on the Beacon codebase"),
               ("0.5", "1.5"), fixed=(1, 2, 1), work_type="non_billable"),
        Stream("internal-nb", HBL_RET, "HBL-RET", ("Engineering",), ("Kenji Watanabe",),
               ("re-ran a flaky deploy after our own pipeline mistake (not billable)",),
               ("0.5", "1.0"), fixed=(0, 1, 1), work_type="non_billable", billable=False),
    ),
    fills={
        "carrier": ("FedEx Freight", "Old Dominion", "XPO", "Estes", "Saia"),
        "contact": ("Grant", "Ines", "Yusuf"),
        "dc": ("Reno", "Memphis", "Columbus", "Savannah"),
        "ticket": tuple(f"HBL-{n}" for n in range(1412, 1490, 7)),
        "ticket2": tuple(f"HBL-{n}" for n in range(1415, 1490, 9)),
        "version": ("4.18.0", "4.18.1", "4.19.0", "4.19.2", "4.20.0"),
    },
    expenses=(
        ExpenseTemplate(HBL_RET, "HBL-RET", "Software", "PagerDuty seats for the Harborline on-call rotation",
                        ("126.00", "126.00"), True, ("Marcus Lindqvist",)),
        ExpenseTemplate(HBL_RET, "HBL-RET", "Mileage", "Mileage to the Reno DC for the scanner rollout",
                        ("48.00", "96.00"), True, ("Tobias Wren",), months=(1,)),
    ),
)

# ---- 2. Quillfield Press: brand + website + catalogs, notes classified by meaning --------------------------

QF_PROJECT = "Brand & Website Relaunch"
QUILLFIELD = Client(
    slug="quillfield-press",
    name="Quillfield Press",
    engagement="Identity refresh, new website and trade catalogs for an independent book publisher and its "
               "two imprints.",
    rules=(
        "six hourly SOW items with descriptions and no project codes: every note is classified by meaning",
        "rush work type (1.25x) decided by meaning only (no rush_keywords); vague notes for review",
        "review.min_confidence 0.75",
        "rounding nearest 0.1 h",
        "people map for the partner/principal, Roles column for the rest",
    ),
    contract={
        "client": "quillfield-press",
        "name": "Quillfield Press",
        "currency": "USD",
        "terms_days": 30,
        "rounding": {"increment_hours": D("0.1"), "mode": "nearest"},
        "roles": {"partner": 380, "principal": 290, "senior": 205, "designer": 160, "engineer": 175},
        "people": {"Helena Marsh": "partner", "Priya Raman": "principal"},
        "work_types": {"rush": {"multiplier": D("1.25"), "counts_against_retainer": False}},
        "review": {"min_confidence": D("0.75")},
        "sow": {"items": [
            _sow_item("Q1", "Brand identity refresh", """
                Refresh of the Quillfield Press identity and its two imprints (Lantern Books for young
                readers, Saltmarsh Editions for poetry): colophon and wordmark redraw, imprint marks,
                typography and colour system, spine and back-cover logo lockups, and a brand guidelines
                PDF. Book cover design and any renaming are out of scope."""),
            _sow_item("Q2", "Website UX and visual design", """
                Sitemap, wireframes and high-fidelity Figma designs for the new quillfieldpress.com: home,
                catalog browse and search, book detail page with formats and retailer links, author pages,
                events calendar, newsletter signup and submissions page, for mobile and desktop, with two
                revision rounds and a component library for developer handoff."""),
            _sow_item("Q3", "Website build and launch", """
                Build of the new site on Astro with Sanity CMS from the approved designs: ONIX 3.0 feed
                import from the title management system, Bookshop.org and retailer buy links, migration of
                about 420 backlist titles and author records, redirects from the old site, accessibility and
                cross-browser QA, launch and DNS cutover, and 30 days of post-launch fixes."""),
            _sow_item("Q4", "Catalogs and sales materials", """
                Design and production of the Fall 2026 and Spring 2027 trade catalogs (print and interactive
                PDF), sell sheets for the sales reps and the rep presentation deck for sales conference,
                including printer proof reviews. Book covers are excluded; catalog copy is supplied by
                Quillfield's editors."""),
            _sow_item("Q5", "Website content and SEO", """
                Website copy, imprint and series landing page copy, author bio edits, SEO keyword plan and
                metadata, newsletter templates and the launch announcement email. Catalog copy and book
                descriptions written by Quillfield's editors are excluded."""),
            _sow_item("Q6", "Project management", """
                Kickoff, weekly status calls with Quillfield's marketing director, project plan and timeline,
                approvals tracking, monthly budget and hours recaps, and change requests."""),
        ]},
    },
    entries=(92, 104, 86),
    streams=(
        Stream("Q1", QF_PROJECT, "", ("Design", "Meetings"), ("Aisha Bello", "Helena Marsh"),
               ("colophon sketches, quill + furrow lines, four routes",
                "redrew the Q in the wordmark, opened up the counter for small sizes",
                "Lantern imprint mark explorations, lantern vs open book",
                "Saltmarsh mark: tried a reed motif, too literal, back to type-only",
                "spine lockups at 12mm and 18mm, checked against {contact}'s spine width list",
                "type pairing, {font} for text? licensing check for print + web",
                "palette: ink blue, paper white, rust accent; checked on uncoated stock",
                "guidelines PDF: clear space, misuse page, imprint hierarchy",
                "presented identity routes to Miriam + Theo, they picked route B",
                "CD review of the imprint marks, asked for heavier strokes",
                "back-cover logo lockup w/ barcode area"),
               ("1.0", "4.0"), weights=(6, 3, 1)),
        Stream("Q2", QF_PROJECT, "", ("Design", "Meetings"), ("Clara Dubois", "Aisha Bello"),
               ("sitemap + nav, folded news into events",
                "wires for the book detail page: formats toggle, buy buttons, excerpt",
                "catalog browse filters: genre, imprint, season",
                "hi-fi author page, bio + titles carousel",
                "mobile nav + search overlay designs",
                "events calendar layouts, bookstore tour listing",
                "Figma component library: buttons, book cards, tags",
                "design review w/ Theo, round 1 feedback on home",
                "round 2 revisions on the book page per Theo's notes",
                "annotated handoff specs for Kenji",
                "newsletter signup + submissions page layouts"),
               ("1.0", "4.0"), weights=(6, 4, 1)),
        Stream("Q3", QF_PROJECT, "", ("Development", "Meetings"), ("Kenji Watanabe",),
               ("ONIX 3.0 import, parsed contributor roles + subject codes",
                "Sanity schema for books, authors, series",
                "Bookshop.org buy links per ISBN",
                "migrated backlist batch of {n} titles, fixed missing cover images",
                "redirect map old /titles/ urls to the new /books/ paths",
                "book detail template + schema.org Book structured data",
                "a11y pass: focus states, alt text on covers, contrast",
                "Safari iOS testing, fixed the sticky header jump",
                "DNS cutover checklist w/ Quillfield IT",
                "post-launch fix: search not indexing newly added titles",
                "events calendar feed from their Google calendar"),
               ("1.5", "5.0"), weights=(1, 6, 6)),
        Stream("Q4", QF_PROJECT, "", ("Design", "Production"), ("Clara Dubois", "Aisha Bello"),
               ("Fall 26 catalog: page grid + title spread template",
                "placed {n} frontlist titles in the catalog, flagged missing jacket art to {contact}",
                "sell sheets x{k} for the lead frontlist titles",
                "printer proofs round 1 for the catalog, colour shift on the rust",
                "interactive PDF: linked every title to its book page",
                "sales conference deck for Jonah's reps",
                "Spring 27 catalog flatplan draft",
                "catalog order form page + rep contacts page"),
               ("1.0", "4.5"), weights=(3, 4, 5)),
        Stream("Q5", QF_PROJECT, "", ("Writing", "Meetings"), ("Priya Raman", "Aisha Bello"),
               ("about page copy, history of the press since 1987",
                "imprint landing copy for Lantern + Saltmarsh",
                "SEO keyword plan: literary fiction publisher, poetry press queries",
                "meta titles/descriptions for the top {n} book pages",
                "edited author bios for consistency, third person, under 120 words",
                "newsletter template copy + launch announcement email draft",
                "submissions page copy, clarified the agented-only policy"),
               ("0.75", "3.0"), weights=(1, 3, 4)),
        Stream("Q6", QF_PROJECT, "", ("Meetings", "Project Management"), ("Priya Raman", "Helena Marsh"),
               ("kickoff w/ Miriam, Theo + {contact}: scope, approvals, who signs off",
                "weekly status call w/ Theo",
                "updated the timeline after catalog dates slipped",
                "monthly hours recap + budget burn to Miriam",
                "change request draft for the extra imprint page",
                "internal team sync, split catalog vs site tasks"),
               ("0.5", "1.5"), weights=(4, 3, 3)),
        Stream("vague", QF_PROJECT, "", ("Meetings",), ("Priya Raman", "Aisha Bello", "Clara Dubois"),
               ("Meetings::call w/ {contact}", "Admin::misc admin", "Design::design tweaks",
                "Project Management::follow-ups from Thursday", "Meetings::review w/ Miriam",
                "Admin::emails + revisions"),
               ("0.25", "1.0"), fixed=(3, 3, 2)),
        Stream("rush", QF_PROJECT, "", ("Design",), ("Kenji Watanabe", "Clara Dubois", "Priya Raman"),
               ("Production::printer needs the catalog files by 8am, stayed late to fix bleed + re-export",
                "Design::Miriam needs sell sheets for a buyer meeting tomorrow morning, turned them around "
                "tonight",
                "Development::site down after the DNS change, fixed the redirect loop right away",
                "Development::author event moved up a week, got the events page live today",
                "Writing::Theo moved the launch email to 7am tomorrow, finalized the copy tonight"),
               ("1.0", "3.0"), fixed=(1, 2, 2), work_type="rush", weekend_share=0.3),
    ),
    fills={
        "contact": ("Dana", "Jonah"),
        "font": ("Tiempos", "Source Serif", "Lyon"),
        "n": ("24", "38", "45", "60", "80"),
        "k": ("4", "6", "8"),
    },
    expenses=(
        ExpenseTemplate(QF_PROJECT, "", "Software", "Font licence: text family, desktop + web (5 seats)",
                        ("640.00", "640.00"), True, ("Aisha Bello",), months=(0,)),
        ExpenseTemplate(QF_PROJECT, "", "Stock Photography", "Stock photos for website hero images",
                        ("60.00", "180.00"), True, ("Clara Dubois",), months=(1,)),
        ExpenseTemplate(QF_PROJECT, "", "Meals", "Team lunch at the kickoff (not rebillable)",
                        ("84.00", "140.00"), False, ("Priya Raman",), months=(0,)),
    ),
)

# ---- 3. Tallgrass Credit Union: strategy engagement with caps, classified by meaning ---------------------

TG_PROJECT = "Member Experience & Digital Strategy"
TALLGRASS = Client(
    slug="tallgrass-cu",
    name="Tallgrass Credit Union",
    engagement="Member experience research and a digital banking strategy for a Kansas credit union.",
    rules=(
        "six hourly SOW items, no project codes: notes classified by meaning, with vague and rush notes",
        "rush work type 1.5x (meaning only)",
        "sow_item-scoped lifetime cap with since (T1 Discovery NTE 30,000 since 2026-08)",
        "unscoped monthly cap (50,000)",
        "aliases: Nora's rows come from the old 'Tallgrass CU' client record",
        "review.min_confidence 0.8",
        "no rounding key (default none)",
    ),
    contract={
        "client": "tallgrass-cu",
        "name": "Tallgrass Credit Union",
        "aliases": ["Tallgrass CU"],
        "currency": "USD",
        "terms_days": 30,
        "roles": {"partner": 425, "principal": 325, "senior": 245, "analyst": 165},
        "people": {"Daniel Okoye": "partner", "Priya Raman": "principal"},
        "work_types": {"rush": {"multiplier": D("1.5"), "counts_against_retainer": False}},
        "caps": [
            {"name": "Discovery NTE", "sow_item": "T1", "period": "lifetime", "amount": 30000,
             "since": "2026-08"},
            {"name": "Monthly NTE", "period": "month", "amount": 50000},
        ],
        "review": {"min_confidence": D("0.8")},
        "sow": {"items": [
            _sow_item("T1", "Member research and discovery", """
                Research with members and staff: up to 24 member interviews, interviews and observation with
                branch and contact-center staff at the 11 branches, a member survey (design, fielding support
                and analysis), and journey maps for account opening, auto loan application and card dispute
                handling. Includes recruiting and scheduling, interview guides and a research synthesis."""),
            _sow_item("T2", "Digital channel assessment", """
                Assessment of the current online and mobile banking channels from Tallgrass data: digital
                adoption and login analytics, online account-opening funnel drop-off, app store reviews,
                contact-center contact reasons, and a benchmark against peer credit unions and fintech
                competitors. Deliverable: channel assessment report with baseline KPIs."""),
            _sow_item("T3", "Digital strategy and roadmap", """
                Target member experience, prioritized initiative portfolio and a 24-month digital roadmap,
                including options for the digital banking platform renewal (incumbent vendor versus two
                alternatives) and the operating model of a digital team. Deliverable: strategy document and
                roadmap."""),
            _sow_item("T4", "Business case", """
                Financial model of the recommended roadmap: deposit and loan growth from better onboarding,
                cost-to-serve savings from channel shift, one-time platform and implementation costs,
                five-year NPV and scenarios. Built with and reviewed by Tallgrass Finance."""),
            _sow_item("T5", "Executive and board facilitation", """
                Preparation and facilitation of the executive strategy offsite and the October board
                strategy session: agendas, pre-reads, decision slides, dry runs, facilitation and a summary
                of decisions."""),
            _sow_item("T6", "Engagement management", """
                Kickoff, workplan, weekly status updates to the Chief Member Experience Officer, RAID log,
                budget tracking, invoices and internal team coordination."""),
        ]},
    },
    entries=(118, 126, 104),
    streams=(
        Stream("T1", TG_PROJECT, "", ("Research", "Meetings"), ("Sofia Alvarez", "Priya Raman"),
               ("member interview guide v2, added questions on switching to fintech apps",
                "recruiting screener for member interviews, sent to Marcy's team",
                "{k} member interviews (auto loan applicants), typed up notes",
                "{branch} branch visit, talked w/ MSRs + the branch manager",
                "contact center listening session, shadowed calls for two hours",
                "survey instrument draft, 18 questions, NPS + channel preference",
                "cleaned survey results, n=1,842 responses",
                "journey map draft: account opening, in-branch vs online",
                "synthesis: top pain points by member segment, pulled quotes",
                "card dispute journey, mapped six handoffs",
                "scheduling member interviews, sent calendar holds"),
               ("1.0", "4.0"), weights=(8, 3, 1)),
        Stream("T2", TG_PROJECT, "", ("Analysis", "Research"), ("Nora Fitzgerald", "Sofia Alvarez"),
               ("digital adoption by age band from the Q2 core extract",
                "account opening funnel: 71% drop at the ID verification step",
                "tagged {n} app store reviews by theme",
                "contact reason codes from the call center, share that is digital",
                "peer CU benchmark: mobile deposit limits, Zelle, card controls",
                "fintech comparison grid on onboarding time",
                "baseline KPI table for the assessment report",
                "assessment report draft, mobile section",
                "login analytics: monthly actives vs enrolled"),
               ("1.0", "4.0"), weights=(5, 5, 1)),
        Stream("T3", TG_PROJECT, "", ("Consulting", "Writing", "Meetings"),
               ("Priya Raman", "Sofia Alvarez", "Daniel Okoye"),
               ("target experience principles draft, six member promises",
                "initiative long list scored on value vs effort",
                "roadmap waves: quick wins first, platform decision by Q2",
                "platform options: renew incumbent vs two alternatives, criteria matrix",
                "digital team org options, centralized vs embedded",
                "RFP considerations memo for the platform renewal",
                "strategy doc section on member onboarding"),
               ("1.0", "3.5"), weights=(1, 4, 7)),
        Stream("T4", TG_PROJECT, "", ("Analysis", "Meetings"), ("Nora Fitzgerald", "Daniel Okoye"),
               ("cost-to-serve per transaction by channel from Dale's GL extract",
                "model: deposit growth scenarios",
                "NPV + sensitivities, discount rate per Dale",
                "reconciled branch staffing costs w/ finance",
                "model review w/ Dale, changed the attrition assumption",
                "CFO summary page"),
               ("1.0", "3.5"), weights=(0, 2, 5)),
        Stream("T5", TG_PROJECT, "", ("Consulting", "Meetings"), ("Daniel Okoye", "Priya Raman"),
               ("offsite agenda + pre-read outline",
                "board deck storyline, 12 slides",
                "dry run of the board session w/ Marcy",
                "facilitated exec offsite, prioritization exercise",
                "board session summary + decisions log",
                "decision slides for the platform choice"),
               ("1.0", "3.0"), weights=(1, 2, 5)),
        Stream("T6", TG_PROJECT, "", ("Meetings", "Project Management"), ("Priya Raman", "Sofia Alvarez"),
               ("kickoff w/ Marcy + Keith, confirmed scope + data asks",
                "weekly status email to Marcy",
                "updated RAID log, flagged the survey vendor delay",
                "budget burn vs plan, shared w/ Marcy",
                "internal team huddle, re-split the interview load"),
               ("0.25", "1.25"), weights=(3, 2, 2)),
        Stream("vague", TG_PROJECT, "", ("Consulting",), ("Priya Raman", "Sofia Alvarez", "Nora Fitzgerald"),
               ("Meetings::call w/ Dana", "Admin::misc admin", "Consulting::follow-up emails",
                "Consulting::prep", "Meetings::review w/ Priya"),
               ("0.25", "1.0"), fixed=(3, 3, 3)),
        Stream("rush", TG_PROJECT, "", ("Consulting",), ("Priya Raman", "Nora Fitzgerald", "Daniel Okoye"),
               ("Consulting::Marcy pulled the board pre-read deadline in by two days, finished the deck "
                "tonight",
                "Consulting::Keith needs the platform comparison for an 8am vendor call, built it tonight",
                "Analysis::Dale wants the revised NPV before tomorrow's ALCO meeting, reran scenarios this "
                "evening",
                "Research::survey link broke right after launch, rebuilt the survey and relaunched "
                "immediately"),
               ("1.0", "3.0"), fixed=(1, 2, 2), work_type="rush", weekend_share=0.3),
    ),
    fills={
        "branch": ("Westfield", "Hays", "Salina", "Emporia", "Garden City"),
        "k": ("2", "3", "4"),
        "n": ("600", "850", "1,100"),
    },
    alias_for=(("Nora Fitzgerald", "Tallgrass CU"),),
    expenses=(
        ExpenseTemplate(TG_PROJECT, "", "Other", "Member interview incentives, gift cards 24 x $50",
                        ("1200.00", "1200.00"), True, ("Sofia Alvarez",), months=(0,)),
        ExpenseTemplate(TG_PROJECT, "", "Mileage", "Mileage: branch visits", ("62.40", "188.20"), True,
                        ("Sofia Alvarez", "Nora Fitzgerald"), months=(0, 1)),
        ExpenseTemplate(TG_PROJECT, "", "Lodging", "Hotel, Wichita, offsite (2 nights)", ("318.00", "402.00"),
                        True, ("Daniel Okoye",), months=(2,)),
        ExpenseTemplate(TG_PROJECT, "", "Meals", "Team dinner after the offsite (not rebillable)",
                        ("140.00", "210.00"), False, ("Priya Raman",), months=(2,)),
    ),
)

# ---- 4. Orchard Lane Hotels: design retainer, notes classified by meaning ----------------------------------

OL_PROJECT = "Brand & Digital Retainer"
ORCHARD = Client(
    slug="orchard-lane",
    name="Orchard Lane Hotels",
    engagement="Monthly design and digital retainer for a group of seven boutique hotels.",
    rules=(
        "retainer (50 h for 9,500/month) without rollover, overage_multiplier 1.0",
        "five hourly SOW items, no project codes: notes classified by meaning",
        "rush by keyword (rush, same-day) and by meaning; rush stays outside the retainer",
        "people map overrides the Roles column (Aisha is creative_lead here, 'Senior' elsewhere)",
        "rounding nearest 0.25 h; expenses with markup 12% and a non-billable expense",
        "review.min_confidence 0.7; terms 15 days",
    ),
    contract={
        "client": "orchard-lane",
        "name": "Orchard Lane Hotels",
        "currency": "USD",
        "terms_days": 15,
        "rounding": {"increment_hours": D("0.25"), "mode": "nearest"},
        "roles": {"creative_lead": 205, "designer": 155, "analyst": 140, "manager": 135},
        "people": {"Aisha Bello": "creative_lead"},
        "work_types": {"rush": {"multiplier": D("1.5"), "counts_against_retainer": False}},
        "rush_keywords": ["rush", "same-day"],
        "retainer": {"monthly_fee": 9500, "included_hours": 50, "overage_multiplier": D("1.0")},
        "expenses": {"markup_pct": 12},
        "review": {"min_confidence": D("0.7")},
        "sow": {"items": [
            _sow_item("O1", "Seasonal campaign creative", """
                Creative for seasonal offers and packages: email campaigns, organic and paid social assets,
                display banners and their copy. Campaign reporting is under Performance reporting; landing
                pages on the website are under Website and booking engine updates."""),
            _sow_item("O2", "Website and booking engine updates", """
                Updates to orchardlanehotels.com and the SynXis booking engine: property and room pages,
                offer landing pages, booking engine styling, photo galleries, page speed and accessibility
                fixes."""),
            _sow_item("O3", "Property collateral", """
                Print and on-property collateral for the seven hotels: in-room guest directories, restaurant
                and bar menus, signage, welcome and turndown cards, and wedding and events sales kits.
                Printing is passed through at cost plus markup."""),
            _sow_item("O4", "Performance reporting", """
                Monthly marketing performance report: GA4 and booking engine conversion, campaign results by
                channel, direct versus OTA booking mix, recommendations, and the monthly review call with the
                revenue manager."""),
            _sow_item("O5", "Account management", """
                Monthly planning, weekly check-ins with the marketing director, request intake and
                prioritisation, retainer hours tracking and invoices."""),
        ]},
    },
    entries=(50, 64, 44),
    streams=(
        Stream("O1", OL_PROJECT, "", ("Design", "Writing"), ("Aisha Bello", "Clara Dubois"),
               ("fall foliage package email: layout + subject line options",
                "social carousel for the {prop} apple-picking weekend",
                "display banners in five sizes for the foliage campaign",
                "holiday gift card campaign concepts, three directions",
                "ski season teaser posts for Stowe",
                "resized foliage creative for Meta placements",
                "copy for the stay-three-pay-two midweek offer",
                "email template refresh, new header + footer"),
               ("0.5", "3.0"), weights=(5, 5, 4)),
        Stream("O2", OL_PROJECT, "", ("Development", "Design"), ("Clara Dubois",),
               ("offer landing page for the foliage package",
                "{prop} room pages: new photos + amenity icons",
                "SynXis booking engine CSS, matched the new buttons",
                "photo gallery component with lazy loading",
                "fixed the mobile date picker overlap",
                "page speed pass on home, compressed the hero video",
                "Stowe ski-and-stay page",
                "alt text + heading fixes from the accessibility audit"),
               ("0.5", "2.5"), weights=(4, 3, 3)),
        Stream("O3", OL_PROJECT, "", ("Design",), ("Aisha Bello", "Clara Dubois"),
               ("{prop} in-room directory update, new spa hours",
                "fall menu layout for the {prop} tavern",
                "wayfinding signage for the Stowe ballroom",
                "wedding sales kit, 12 pages",
                "turndown cards for all seven properties, new illustration",
                "printer proofs for the menus, fixed the bleed"),
               ("0.5", "3.0"), weights=(3, 4, 3)),
        Stream("O4", OL_PROJECT, "", ("Analysis", "Meetings"), ("Ethan Brooks",),
               ("pulled GA4 + SynXis data for the monthly report",
                "direct vs OTA booking mix by property chart",
                "campaign ROAS by channel table",
                "monthly report review call w/ Luis",
                "checked GA4 conversion events on the booking confirmation page"),
               ("0.5", "2.0"), weights=(2, 2, 2)),
        Stream("O5", OL_PROJECT, "", ("Meetings", "Project Management"), ("Samuel Achebe",),
               ("weekly check-in w/ Beatrice",
                "monthly planning: next month's priorities",
                "intake + triage of property requests",
                "retainer hours recap for Beatrice"),
               ("0.25", "1.0"), weights=(3, 3, 3)),
        Stream("vague", OL_PROJECT, "", ("Design",), ("Aisha Bello", "Clara Dubois", "Samuel Achebe"),
               ("Meetings::call w/ Dana", "Design::design tweaks", "Admin::misc admin",
                "Design::revisions per Beatrice"),
               ("0.25", "1.0"), fixed=(2, 2, 2)),
        Stream("rush-keyword", OL_PROJECT, "", ("Design",), ("Aisha Bello", "Clara Dubois"),
               ("rush: {prop} menu reprint, prices change before tonight's service",
                "same-day banner swap, the foliage package sold out",
                "rush reprint of the Stowe welcome cards, wrong wifi password"),
               ("0.5", "2.0"), fixed=(1, 1, 1), work_type="rush"),
        Stream("rush", OL_PROJECT, "", ("Design",), ("Clara Dubois", "Aisha Bello"),
               ("Design::Beatrice moved the holiday email send to 6am tomorrow, built + tested it tonight",
                "Development::booking page broke on mobile after the SynXis update, fixed it immediately",
                "Design::GM needs the wedding kit for a walkthrough tomorrow morning, finished it tonight"),
               ("1.0", "2.5"), fixed=(1, 1, 1), work_type="rush"),
    ),
    fills={"prop": ("Rhinebeck", "Hudson", "Woodstock", "Stowe", "Manchester", "Kingston", "Beacon")},
    expenses=(
        ExpenseTemplate(OL_PROJECT, "", "Printing", "Printer proofs: menus and directories",
                        ("85.00", "240.00"), True, ("Aisha Bello",)),
        ExpenseTemplate(OL_PROJECT, "", "Stock Photography", "Stock photos: foliage set", ("45.00", "120.00"),
                        True, ("Clara Dubois",), months=(0, 1)),
        ExpenseTemplate(OL_PROJECT, "", "Meals", "Coffee w/ Beatrice at the Hudson property (not rebillable)",
                        ("14.50", "28.00"), False, ("Samuel Achebe",), months=(1,)),
    ),
)

# ---- 5. Kestrel Energy: engineering with tiers and a project lifetime cap ---------------------------------

KES_PORTAL, KES_DATA = "Interconnection Portal Rebuild", "Meter Data Pipeline"
KES_SUP = "Account Portal Support"
KES_TASKS = ("Development", "Code Review", "Meetings", "QA")
KESTREL = Client(
    slug="kestrel-energy",
    name="Kestrel Energy",
    engagement="Rebuild of the generator interconnection portal, an AMI meter-data pipeline and support of "
               "the customer account portal, for a regional utility.",
    rules=(
        "volume tiers by monthly hours (0: 1.0, 100: 0.95, 160: 0.9)",
        "project-scoped lifetime cap with since (Portal NTE 75,000 since 2026-08)",
        "rate_override for (person, project): Tobias on the portal",
        "SOW items routed by project codes on every entry",
        "rounding up to 0.1 h; some non-billable rows (Billable? No)",
        "expenses without an expenses key (billed at cost)",
    ),
    contract={
        "client": "kestrel-energy",
        "name": "Kestrel Energy",
        "currency": "USD",
        "terms_days": 45,
        "rounding": {"increment_hours": D("0.1"), "mode": "up"},
        "roles": {"principal": 285, "senior": 230, "engineer": 190, "analyst": 150},
        "people": {"Marcus Lindqvist": "principal"},
        "rate_overrides": [{"person": "Tobias Wren", "project": KES_PORTAL, "rate": 245}],
        "tiers": [
            {"from_hours": 0, "factor": D("1.0")},
            {"from_hours": 100, "factor": D("0.95")},
            {"from_hours": 160, "factor": D("0.9")},
        ],
        "caps": [{"name": "Portal NTE", "project": KES_PORTAL, "period": "lifetime", "amount": 75000,
                  "since": "2026-08"}],
        "sow": {"items": [
            _sow_item("K1", KES_PORTAL, """
                Rebuild of the generator interconnection request portal on Kestrel's Azure tenant: applicant
                accounts, application forms and document upload, study queue status, deposit payments and
                the staff review workflow, with migration of open requests from the legacy system.""",
                      codes=("KES-PORTAL",)),
            _sow_item("K2", KES_DATA, """
                Ingestion of AMI interval reads from the meter data management system into Kestrel's data
                platform: validation, estimation and editing flags, daily load models by feeder, backfill of
                2025 and data quality monitoring.""", codes=("KES-DATA",)),
            _sow_item("K3", KES_SUP, """
                Maintenance of the customer account portal (bills, usage charts, payment plans): dependency
                upgrades, monthly patching and small fixes, billed for the hours used.""",
                      codes=("KES-SUP",)),
        ]},
    },
    entries=(100, 112, 104),
    streams=(
        Stream("K1", KES_PORTAL, "KES-PORTAL", KES_TASKS, ("Tobias Wren", "Rafael Costa", "Marcus Lindqvist"),
               ("application wizard step {k}: site info + one-line diagram upload",
                "queue position API + status page",
                "staff review workflow: assign reviewer, comment threads",
                "deposit payments through the Paymentus integration",
                "applicant sign-in with Azure AD B2C",
                "virus scanning on document upload",
                "e2e tests for application submit",
                "migrated {n} open requests from the legacy Access database",
                "sprint demo w/ {contact}",
                "PR review on the review-workflow branch",
                "email notifications when a study phase completes"),
               ("1.0", "4.0"), weights=(7, 7, 6)),
        Stream("K2", KES_DATA, "KES-DATA", ("Development", "Data Engineering", "Meetings"),
               ("Rafael Costa", "Ethan Brooks"),
               ("parser for 15-minute interval reads from the MDM SFTP drops",
                "VEE rules: gap detection + estimation flags",
                "dbt models for daily load by feeder",
                "backfill of 2025 interval data, chunked by month",
                "data quality dashboard for missing reads",
                "pipeline runbook + alert thresholds",
                "load profile checks vs SCADA totals w/ {contact}"),
               ("1.0", "4.0"), weights=(4, 4, 4)),
        Stream("K3", KES_SUP, "KES-SUP", ("Development",), ("Tobias Wren",),
               ("account portal: usage chart axis fix for net-metering customers",
                "dependency upgrades on the account portal",
                "monthly patching, account portal web + API"),
               ("0.5", "2.0"), weights=(1, 1, 1)),
        Stream("nonbillable", KES_PORTAL, "KES-PORTAL", ("Development",), ("Rafael Costa",),
               ("pairing w/ new hire on the portal codebase (non-billable)",
                "re-did the estimate for the payments story (our miss, not billable)"),
               ("0.5", "1.5"), fixed=(1, 1, 1), work_type="non_billable", billable=False),
    ),
    fills={"contact": ("Anika", "Rob", "Mateo"), "k": ("2", "3", "4"), "n": ("86", "112", "140")},
    expenses=(
        ExpenseTemplate(KES_DATA, "KES-DATA", "Software", "Azure dev/test data storage, rebilled at cost",
                        ("212.40", "388.90"), True, ("Marcus Lindqvist",)),
        ExpenseTemplate(KES_PORTAL, "KES-PORTAL", "Mileage", "Mileage to Kestrel HQ for sprint review",
                        ("38.50", "71.20"), True, ("Tobias Wren",), months=(1, 2)),
    ),
)

# ---- 6. Brightwater Foods: accounting advisory, fixed fee + required project codes ------------------------

BW_CLOSE, BW_AUDIT = "Close Acceleration", "FY2026 Audit Readiness"
BW_COA, BW_GENERAL = "NetSuite COA Redesign", "General Advisory"
BW_TASKS = ("Accounting", "Advisory", "Meetings")
BRIGHTWATER = Client(
    slug="brightwater-foods",
    name="Brightwater Foods",
    engagement="Finance transformation for a specialty food manufacturer: close acceleration, audit "
               "readiness and a NetSuite chart-of-accounts redesign.",
    rules=(
        "fixed-fee SOW item with a schedule (W2 audit readiness 8,500 / 8,500 / 5,000)",
        "hourly SOW items routed by project code",
        "require_project_code: a few 'General Advisory' rows have no code and are held",
        "task_map: 'Admin' -> non_billable",
        "rounding up to 0.1 h (tenth-hour timekeepers); terms 45 days",
    ),
    contract={
        "client": "brightwater-foods",
        "name": "Brightwater Foods",
        "currency": "USD",
        "terms_days": 45,
        "require_project_code": True,
        "rounding": {"increment_hours": D("0.1"), "mode": "up"},
        "roles": {"partner": 395, "manager": 260, "analyst": 145},
        "people": {"Daniel Okoye": "partner", "Grace Whitfield": "manager"},
        "task_map": {"Admin": "non_billable"},
        "sow": {"items": [
            _sow_item("W1", BW_CLOSE, """
                Shorten the month-end close from eleven to six working days: close calendar and task owners,
                accrual templates, bank reconciliation rules in NetSuite, intercompany checklist and flux
                analysis.""", codes=("BWF-CLOSE",)),
            _sow_item("W2", BW_AUDIT, """
                Fixed-fee preparation for the first PE-sponsor audit: PBC list management, technical memos
                (inventory reserve, trade promotion revenue), fixed asset and lease roll-forwards and audit
                committee materials.""", billing="fixed_fee", codes=("BWF-AUDIT",),
                      schedule={"2026-08": 8500, "2026-09": 8500, "2026-10": 5000}),
            _sow_item("W3", BW_COA, """
                Redesign of the NetSuite chart of accounts and segments (department, class, location),
                mapping of historical balances and a sandbox load test.""", codes=("BWF-COA",)),
        ]},
    },
    entries=(58, 66, 52),
    streams=(
        Stream("W1", BW_CLOSE, "BWF-CLOSE", BW_TASKS, ("Grace Whitfield", "Nora Fitzgerald"),
               ("close calendar redesign, day -3 to day +5 with task owners",
                "accrual templates for freight + co-packer invoices",
                "bank rec matching rules in NetSuite",
                "intercompany elimination checklist",
                "walkthrough of AP cutoff w/ Imani",
                "flux analysis template, thresholds at 10% / $25k",
                "close retrospective w/ Pete, day 7 achieved"),
               ("0.5", "3.5"), weights=(5, 4, 4)),
        Stream("W2", BW_AUDIT, "BWF-AUDIT", BW_TASKS, ("Grace Whitfield", "Nora Fitzgerald", "Daniel Okoye"),
               ("PBC list tracker set up w/ Pete",
                "inventory reserve memo draft",
                "revenue recognition memo: trade promotions + slotting fees",
                "fixed asset roll-forward tie-out",
                "lease schedules for the auditors",
                "audit committee prep w/ Carla"),
               ("0.5", "3.5"), weights=(5, 4, 3)),
        Stream("W3", BW_COA, "BWF-COA", BW_TASKS, ("Grace Whitfield", "Nora Fitzgerald"),
               ("current COA mapping, 1,140 accounts down to 420",
                "department + class segment design",
                "mapping table review w/ Pete",
                "sandbox load of the new COA",
                "historical balance remap test, tied out to the trial balance"),
               ("0.5", "3.0"), weights=(2, 4, 5)),
        Stream("partner", BW_CLOSE, "BWF-CLOSE", ("Advisory", "Meetings"), ("Daniel Okoye",),
               ("monthly steering call w/ Carla", "reviewed close metrics with Grace"),
               ("0.5", "1.5"), weights=(1, 1, 1)),
        Stream("admin", BW_CLOSE, "BWF-CLOSE", ("Admin",), ("Grace Whitfield",),
               ("timesheet + engagement admin",),
               ("0.2", "0.6"), fixed=(1, 1, 1), work_type="non_billable"),
        Stream("no-code", BW_GENERAL, "", ("Advisory",), ("Daniel Okoye", "Grace Whitfield"),
               ("call w/ Carla re: covenant calculation question",
                "question from Pete on the capitalization policy threshold"),
               ("0.3", "1.2"), fixed=(1, 1, 1)),
    ),
    expenses=(
        ExpenseTemplate(BW_CLOSE, "BWF-CLOSE", "Mileage", "Mileage to the Fresno plant for close week",
                        ("58.00", "112.00"), True, ("Grace Whitfield",), months=(0, 2)),
        ExpenseTemplate(BW_AUDIT, "BWF-AUDIT", "Meals", "Team lunch during fieldwork (not rebillable)",
                        ("46.00", "92.00"), False, ("Nora Fitzgerald",), months=(1,)),
    ),
)

# ---- 7. Solstice Biotherapeutics: privacy counsel with amendment, discount, aliases ------------------------

SOL_PRIV, SOL_XFER = "Privacy Program", "Clinical Data Transfers"
SOL_TASKS = ("Legal Review", "Drafting", "Meetings")
SOLSTICE = Client(
    slug="solstice-bio",
    name="Solstice Biotherapeutics",
    engagement="Privacy and regulatory program (HIPAA, GDPR) and cross-border clinical trial data transfers "
               "for a clinical-stage biotech.",
    rules=(
        "amendment effective 2026-10 raises the counsel rate (360 -> 385)",
        "discount_pct 5",
        "expenses markup 10% with billable and non-billable expenses",
        "aliases: Clinical Data Transfers rows say 'Solstice Bio', Helena's 'Solstice Biotherapeutics Inc.'",
        "unscoped lifetime cap with since (FY26 privacy budget 80,000 since 2026-08)",
        "rounding up to 0.1 h; no sow",
    ),
    contract={
        "client": "solstice-bio",
        "name": "Solstice Biotherapeutics",
        "aliases": ["Solstice Bio", "Solstice Biotherapeutics Inc."],
        "currency": "USD",
        "terms_days": 30,
        "rounding": {"increment_hours": D("0.1"), "mode": "up"},
        "roles": {"partner": 450, "counsel": 360, "senior": 240},
        "people": {"Helena Marsh": "partner", "Leila Nasser": "counsel"},
        "caps": [{"name": "FY26 privacy budget", "period": "lifetime", "amount": 80000, "since": "2026-08"}],
        "discount_pct": 5,
        "expenses": {"markup_pct": 10},
        "amendments": [{"effective_from": "2026-10", "roles": {"counsel": 385}}],
    },
    entries=(62, 70, 58),
    streams=(
        Stream("privacy", SOL_PRIV, "SOL-PRIV", SOL_TASKS, ("Leila Nasser", "Sofia Alvarez", "Helena Marsh"),
               ("HIPAA authorization language review for the Phase II consent",
                "privacy notice update for the patient portal",
                "records of processing workshop w/ Ben, 14 processing activities",
                "DPIA draft for the wearable sensor sub-study",
                "vendor privacy questionnaire review (eConsent vendor)",
                "call w/ Yara re: breach notification playbook",
                "breach response tabletop prep",
                "GDPR Art. 27 representative options memo",
                "reviewed the data retention schedule for the trial master file",
                "privacy training deck for clinical operations"),
               ("0.4", "3.5"), weights=(6, 6, 5)),
        Stream("transfers", SOL_XFER, "SOL-XFER", SOL_TASKS, ("Leila Nasser", "Sofia Alvarez"),
               ("reviewed the DPA with the CRO, flagged the sub-processor clause",
                "SCC module 1 annexes for EU site data",
                "transfer impact assessment for US cloud storage of trial data",
                "data flow map for the {country} sites",
                "negotiation call w/ CRO counsel on liability caps in the DPA"),
               ("0.5", "3.0"), weights=(4, 4, 3)),
    ),
    fills={"country": ("German", "Spanish", "Polish", "Dutch")},
    alias_for=((SOL_XFER, "Solstice Bio"), ("Helena Marsh", "Solstice Biotherapeutics Inc.")),
    expenses=(
        ExpenseTemplate(SOL_XFER, "SOL-XFER", "Courier", "DHL: signed SCCs to EU sites", ("62.80", "118.40"),
                        True, ("Leila Nasser",), months=(0, 2)),
        ExpenseTemplate(SOL_PRIV, "SOL-PRIV", "Travel", "Train to Boston for the DPIA workshop",
                        ("164.00", "236.00"), True, ("Sofia Alvarez",), months=(1,)),
        ExpenseTemplate(SOL_PRIV, "SOL-PRIV", "Research",
                        "Legal research database (firm subscription, not rebillable)",
                        ("95.00", "95.00"), False, ("Leila Nasser",)),
    ),
)

# ---- 8. Vantage Mobility: app build with default rate and rate overrides ----------------------------------

VAN_APP, VAN_OPS = "Rider App 3.0", "Fleet Ops Dashboard"
VANTAGE = Client(
    slug="vantage-mobility",
    name="Vantage Mobility",
    engagement="Rider app rebuild and a fleet operations dashboard for an e-scooter and e-bike operator.",
    rules=(
        "default_rate 150 (the engagement manager's 'Manager' role has no rate here)",
        "rate_overrides: Kenji on Rider App 3.0 (person + project) and Tobias (person only)",
        "no people map: every role comes from the Roles column",
        "amendment effective 2026-09 raises the engineer rate (185 -> 195)",
        "rounding nearest 0.25 h; onboarding rows with Billable? No; no sow",
    ),
    contract={
        "client": "vantage-mobility",
        "name": "Vantage Mobility",
        "currency": "USD",
        "terms_days": 30,
        "rounding": {"increment_hours": D("0.25"), "mode": "nearest"},
        "default_rate": 150,
        "roles": {"senior": 225, "engineer": 185, "designer": 165},
        "rate_overrides": [
            {"person": "Kenji Watanabe", "project": VAN_APP, "rate": 195},
            {"person": "Tobias Wren", "rate": 235},
        ],
        "amendments": [{"effective_from": "2026-09", "roles": {"engineer": 195}}],
    },
    entries=(96, 108, 100),
    streams=(
        Stream("app", VAN_APP, "VAN-APP", ("Development", "Code Review", "QA"),
               ("Kenji Watanabe", "Tobias Wren"),
               ("ride summary screen + receipt",
                "BLE unlock flow, retry on timeout",
                "end-of-ride parking photo + geofence check",
                "Apple Pay / Google Pay for wallet top-ups",
                "QA on low-end Android devices, fixed list jank",
                "App Store submission prep, screenshots + privacy labels",
                "crash triage from Sentry, top three crashes fixed",
                "PR review: trip history pagination",
                "push notification deep links to the ride screen",
                "offline mode for the map tiles in low-signal areas"),
               ("1.0", "4.0"), weights=(6, 6, 6)),
        Stream("app-design", VAN_APP, "VAN-APP", ("Design",), ("Clara Dubois",),
               ("onboarding flow v2 with licence scan",
                "ride summary + receipt visual design",
                "dark mode pass on core screens",
                "usability test notes, parking photo step"),
               ("1.0", "3.5"), weights=(4, 3, 2)),
        Stream("ops", VAN_OPS, "VAN-OPS", ("Development", "Design"),
               ("Tobias Wren", "Kenji Watanabe", "Clara Dubois"),
               ("fleet map clustering for 4k vehicles",
                "battery swap task list for the ops team",
                "rebalancing heatmap by hour of day",
                "vehicle detail drawer: last ride, battery, faults",
                "CSV export of damaged vehicles for the repair shop"),
               ("1.0", "3.5"), weights=(2, 3, 4)),
        Stream("pm", VAN_APP, "VAN-APP", ("Meetings", "Project Management"), ("Samuel Achebe",),
               ("sprint planning + backlog grooming w/ {contact}",
                "release notes + stakeholder update",
                "sprint review, demoed to {contact}",
                "standup + blocker follow-ups"),
               ("0.25", "1.5"), weights=(3, 3, 3)),
        Stream("onboarding", VAN_APP, "VAN-APP", ("Development",), ("Kenji Watanabe",),
               ("onboarding: repo setup + local env (non-billable per SOW)",),
               ("1.0", "2.0"), fixed=(2, 0, 0), work_type="non_billable", billable=False),
    ),
    fills={"contact": ("Jess", "Tomas", "Lin")},
    expenses=(
        ExpenseTemplate(VAN_APP, "VAN-APP", "Equipment", "Test devices: two budget Android phones",
                        ("318.00", "318.00"), True, ("Kenji Watanabe",), months=(0,)),
    ),
)

# ---- 9. Copperleaf Capital: due diligence with a project monthly cap and discount -------------------------

CPC_ATLAS, CPC_BIRCH = "Project Atlas CDD", "Project Birch CDD"
CPC_TASKS = ("Research", "Analysis", "Writing", "Meetings")
COPPERLEAF = Client(
    slug="copperleaf-capital",
    name="Copperleaf Capital",
    engagement="Commercial due diligence for a growth equity fund: Project Atlas (payroll software) and "
               "Project Birch (veterinary clinics).",
    rules=(
        "project-scoped monthly cap (Project Atlas NTE 50,000 per month)",
        "discount_pct 10",
        "expenses with markup_pct 0 and a non-billable expense",
        "rounding mode none; terms 15 days; no sow",
    ),
    contract={
        "client": "copperleaf-capital",
        "name": "Copperleaf Capital",
        "currency": "USD",
        "terms_days": 15,
        "rounding": {"mode": "none"},
        "roles": {"partner": 475, "principal": 340, "analyst": 175},
        "people": {"Helena Marsh": "partner", "Priya Raman": "principal", "Ethan Brooks": "analyst",
                   "Nora Fitzgerald": "analyst"},
        "caps": [{"name": "Project Atlas NTE", "project": CPC_ATLAS, "period": "month", "amount": 50000}],
        "discount_pct": 10,
        "expenses": {"markup_pct": 0},
    },
    entries=(88, 96, 74),
    streams=(
        Stream("atlas", CPC_ATLAS, "CPC-ATLAS", CPC_TASKS, ("Helena Marsh", "Priya Raman", "Ethan Brooks"),
               ("Interviews::customer interviews x{k}, mid-market HR leaders",
                "market sizing: SMB payroll TAM bottom-up",
                "competitor grid on pricing + modules",
                "win/loss analysis from the CRM export",
                "churn cohorts by ARR band",
                "Interviews::expert call w/ a former payroll bureau sales VP",
                "IC memo section: market + competition",
                "red flag summary for Victor",
                "HR decision-maker survey questionnaire, 150 completes"),
               ("1.0", "4.5"), weights=(10, 5, 0)),
        Stream("birch", CPC_BIRCH, "CPC-BIRCH", CPC_TASKS,
               ("Helena Marsh", "Priya Raman", "Ethan Brooks", "Nora Fitzgerald"),
               ("clinic-level P&L benchmarks",
                "vet staffing shortage research",
                "Interviews::site visits to three clinics in Denver",
                "pet ownership + spend trends",
                "white-space map for new clinic locations",
                "Interviews::expert call w/ a regional vet group COO",
                "wellness plan pricing benchmark",
                "IC memo draft for Sasha"),
               ("1.0", "4.0"), weights=(0, 5, 10)),
    ),
    fills={"k": ("2", "3", "4")},
    expenses=(
        ExpenseTemplate(CPC_ATLAS, "CPC-ATLAS", "Research", "Expert network call: former payroll bureau VP",
                        ("1200.00", "1200.00"), True, ("Priya Raman",), months=(0,)),
        ExpenseTemplate(CPC_ATLAS, "CPC-ATLAS", "Research", "Survey panel: 150 HR decision makers",
                        ("4350.00", "4350.00"), True, ("Ethan Brooks",), months=(0,)),
        ExpenseTemplate(CPC_BIRCH, "CPC-BIRCH", "Airfare", "Flights to Denver for clinic visits",
                        ("412.60", "588.20"), True, ("Ethan Brooks", "Priya Raman"), months=(1, 2)),
        ExpenseTemplate(CPC_BIRCH, "CPC-BIRCH", "Meals", "Working dinner, Denver (not rebillable)",
                        ("96.00", "164.00"), False, ("Priya Raman",), months=(2,)),
    ),
)

# ---- 10. Halcyon Community Foundation: nonprofit discount and a minimum fee -------------------------------

HCF_PROJECT = "Strategic Plan 2027-2030"
HALCYON = Client(
    slug="halcyon-foundation",
    name="Halcyon Community Foundation",
    engagement="Strategic plan for a community foundation: board and grantee input, theory of change, plan.",
    rules=(
        "discount_pct 15 (nonprofit rate)",
        "minimum_monthly_fee 7,500 (October's light month is topped up)",
        "rounding nearest 0.5 h; terms 60 days; no sow",
    ),
    contract={
        "client": "halcyon-foundation",
        "name": "Halcyon Community Foundation",
        "currency": "USD",
        "terms_days": 60,
        "rounding": {"increment_hours": D("0.5"), "mode": "nearest"},
        "roles": {"partner": 350, "senior": 210, "analyst": 135},
        "people": {"Daniel Okoye": "partner"},
        "discount_pct": 15,
        "minimum_monthly_fee": 7500,
    },
    entries=(52, 48, 40),
    streams=(
        Stream("plan", HCF_PROJECT, "HCF-PLAN", ("Consulting", "Research", "Meetings"),
               ("Daniel Okoye", "Sofia Alvarez", "Ethan Brooks"),
               ("board interview w/ {trustee}",
                "grantee survey analysis, open-ended responses coded",
                "community listening session at the {place}",
                "peer foundation benchmarks: grantmaking by focus area",
                "theory of change draft",
                "strategic plan outline",
                "staff workshop on priorities",
                "grant portfolio analysis 2021-2025",
                "board retreat prep w/ Gloria"),
               ("0.5", "3.0"), weights=(1, 1, 1)),
        Stream("check-in", HCF_PROJECT, "HCF-PLAN", ("Meetings",), ("Sofia Alvarez",),
               ("check-in w/ Gloria", "scheduling grantee focus groups", "notes from the planning committee"),
               ("0.25", "0.75"), weights=(1, 1, 3)),
    ),
    fills={"trustee": ("Wes", "Marguerite", "Dr. Alvarado", "Sung-min"),
           "place": ("East Side library", "Riverside rec center", "Lincoln Heights church hall")},
    expenses=(
        ExpenseTemplate(HCF_PROJECT, "HCF-PLAN", "Venue", "Room + catering, community listening session",
                        ("380.00", "520.00"), True, ("Sofia Alvarez",), months=(0, 1)),
        ExpenseTemplate(HCF_PROJECT, "HCF-PLAN", "Other", "Spanish interpreter for the listening session",
                        ("240.00", "240.00"), True, ("Sofia Alvarez",), months=(1,)),
    ),
)

# ---- 11. Lumen Robotics: sow_item and project caps plus an unscoped monthly cap ---------------------------

LUM_FLEET, LUM_OTA, LUM_DS = "Fleet Management UI", "OTA Update Service", "Design System"
LUMEN = Client(
    slug="lumen-robotics",
    name="Lumen Robotics",
    engagement="Fleet management UI, over-the-air update service and design system for a warehouse robotics "
               "start-up.",
    rules=(
        "sow_item-scoped monthly cap (Fleet UI monthly NTE 12,000 on L1)",
        "project-scoped lifetime cap with since inside the window (OTA NTE 15,000 since 2026-09)",
        "unscoped monthly cap (Monthly NTE 27,000), applied after the scoped caps",
        "SOW items by project code; rounding up to 0.25 h",
    ),
    contract={
        "client": "lumen-robotics",
        "name": "Lumen Robotics",
        "currency": "USD",
        "terms_days": 30,
        "rounding": {"increment_hours": D("0.25"), "mode": "up"},
        "roles": {"principal": 275, "senior": 225, "engineer": 185},
        "people": {"Marcus Lindqvist": "principal"},
        "caps": [
            {"name": "Fleet UI monthly NTE", "sow_item": "L1", "period": "month", "amount": 12000},
            {"name": "OTA NTE", "project": LUM_OTA, "period": "lifetime", "amount": 15000,
             "since": "2026-09"},
            {"name": "Monthly NTE", "period": "month", "amount": 27000},
        ],
        "sow": {"items": [
            _sow_item("L1", LUM_FLEET, """
                Web UI for warehouse supervisors: live robot status, mission planner map, alerts and
                role-based access.""", codes=("LUM-FLEET",)),
            _sow_item("L2", LUM_OTA, """
                Signed firmware bundles, staged rollouts with automatic rollback, delta updates and fleet
                update reporting.""", codes=("LUM-OTA",)),
            _sow_item("L3", LUM_DS, """
                Design tokens, Figma components and a documentation site shared by the fleet UI and the
                on-robot touchscreen.""", codes=("LUM-DS",)),
        ]},
    },
    entries=(70, 80, 74),
    streams=(
        Stream("L1", LUM_FLEET, "LUM-FLEET", ("Development", "Code Review"),
               ("Rafael Costa", "Marcus Lindqvist"),
               ("robot status grid w/ live telemetry over websockets",
                "mission planner map: drag waypoints, snap to aisles",
                "alerts panel for e-stop + low battery",
                "role-based access for site supervisors",
                "usability test w/ three warehouse supervisors",
                "PR review: map layer performance"),
               ("1.0", "4.0"), weights=(5, 5, 5)),
        Stream("L2", LUM_OTA, "LUM-OTA", ("Development",), ("Marcus Lindqvist", "Rafael Costa"),
               ("signed firmware bundle verification (ed25519)",
                "staged rollout: canary 5% -> 25% -> all",
                "dual-partition firmware layout with post-update health checks",
                "delta updates to cut download size",
                "fleet-wide update report endpoint"),
               ("1.0", "4.0"), weights=(3, 5, 5)),
        Stream("L3", LUM_DS, "LUM-DS", ("Design",), ("Aisha Bello",),
               ("design tokens: colour + spacing",
                "button + input components in Figma",
                "icon set for robot states",
                "low-light palette for warehouse night shifts",
                "component documentation site"),
               ("1.0", "3.5"), weights=(3, 2, 2)),
    ),
    expenses=(
        ExpenseTemplate(LUM_OTA, "LUM-OTA", "Shipping", "Return shipping of the loaner robot dev kit",
                        ("148.00", "148.00"), True, ("Rafael Costa",), months=(2,)),
    ),
)

# ---- 12. Ashgrove Property Group: two fixed-fee items and the only hourly item ----------------------------

ASH_ABS, ASH_ADV, ASH_SYS = "Lease Abstraction", "ASC 842 Advisory", "Lease System Implementation"
ASHGROVE = Client(
    slug="ashgrove-property",
    name="Ashgrove Property Group",
    engagement="ASC 842 lease accounting for a retail property owner: lease abstraction, advisory and the "
               "lease accounting system.",
    rules=(
        "two fixed-fee SOW items with schedules (A1 in Aug/Sep, A3 in Oct; hours tracked, not charged)",
        "the only hourly item (A2 has no project codes: entries that match no code go there)",
        "people map incl. counsel; rounding up to 0.1 h",
    ),
    contract={
        "client": "ashgrove-property",
        "name": "Ashgrove Property Group",
        "currency": "USD",
        "terms_days": 30,
        "rounding": {"increment_hours": D("0.1"), "mode": "up"},
        "roles": {"partner": 395, "counsel": 340, "manager": 250, "analyst": 145},
        "people": {"Daniel Okoye": "partner", "Leila Nasser": "counsel", "Grace Whitfield": "manager"},
        "sow": {"items": [
            _sow_item("A1", "Lease portfolio abstraction", """
                Abstraction of about 210 retail and ground leases into the lease data template, with quality
                review and legal review of ambiguous clauses.""", billing="fixed_fee", codes=("ASH-ABS",),
                      schedule={"2026-08": 12000, "2026-09": 12000}),
            _sow_item("A2", ASH_ADV, """
                Technical accounting advice on ASC 842: discount rates, embedded leases, modifications and
                disclosures, billed hourly."""),
            _sow_item("A3", "Lease accounting system implementation", """
                Configuration of the lease accounting system, data load and a parallel run of the September
                amortization.""", billing="fixed_fee", codes=("ASH-SYS",), schedule={"2026-10": 9500}),
        ]},
    },
    entries=(60, 56, 48),
    streams=(
        Stream("A1", ASH_ABS, "ASH-ABS", ("Accounting", "Legal Review"),
               ("Nora Fitzgerald", "Grace Whitfield", "Leila Nasser"),
               ("abstracted {k} retail leases: CAM, escalations, renewal options",
                "QC of abstract batch {b}",
                "flagged ambiguous renewal option language for counsel",
                "legal review of co-tenancy clauses",
                "ground lease abstracts, percentage rent terms"),
               ("0.5", "3.5"), weights=(6, 5, 0)),
        Stream("A2", ASH_ADV, "ASH-ADV", ("Advisory", "Meetings"), ("Grace Whitfield", "Daniel Okoye"),
               ("discount rate policy memo, IBR by lease term",
                "lease vs service contract assessment for HVAC maintenance",
                "embedded lease review in parking agreements",
                "transition disclosure draft",
                "journal entry templates for lease modifications",
                "call w/ Raymond on the modification accounting"),
               ("0.5", "2.5"), weights=(3, 3, 4)),
        Stream("A3", ASH_SYS, "ASH-SYS", ("Accounting",), ("Nora Fitzgerald", "Grace Whitfield"),
               ("lease system config: entities + GL mapping",
                "data load template for 212 leases",
                "parallel run of the September amortization",
                "reconciled system schedules to the abstracts"),
               ("0.5", "3.0"), weights=(0, 2, 8)),
    ),
    fills={"k": ("6", "8", "12", "15"), "b": ("3", "4", "5", "6", "7")},
    expenses=(
        ExpenseTemplate(ASH_ABS, "ASH-ABS", "Filing Fees", "County recorder copies of recorded leases",
                        ("36.00", "84.00"), True, ("Nora Fitzgerald",), months=(0, 1)),
        ExpenseTemplate(ASH_ADV, "ASH-ADV", "Parking", "Parking at Ashgrove HQ (not rebillable)",
                        ("18.00", "24.00"), False, ("Grace Whitfield",), months=(2,)),
    ),
)

CLIENTS: tuple[Client, ...] = (HARBORLINE, QUILLFIELD, TALLGRASS, ORCHARD, KESTREL, BRIGHTWATER, SOLSTICE,
                               VANTAGE, COPPERLEAF, HALCYON, LUMEN, ASHGROVE)


# --------------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeRow:
    """One generated Harvest time row plus the truth it was generated from (not written to the CSV)."""

    client: str  # slug
    day: date
    client_name: str
    project: str
    code: str
    task: str
    notes: str
    hours: Decimal
    billable: bool
    person: Person
    label: str  # SOW item id or stream label
    work_type: str

    @property
    def month(self) -> str:
        """YYYY-MM of the row's date."""
        return self.day.isoformat()[:7]

    def csv_row(self) -> list[str]:
        """The row in the column order of HARVEST_TIME_HEADER."""
        hours = f"{self.hours:.2f}"
        return [self.day.isoformat(), self.client_name, self.project, self.code, self.task, self.notes, hours,
                hours, "Yes" if self.billable else "No", "No", "Yes", self.person.first, self.person.last,
                self.person.employee_id, self.person.roles_column, "Yes", "", "", "", "", CURRENCY_LABEL, ""]


@dataclass(frozen=True)
class ExpenseRow:
    """One generated Harvest expense row."""

    client: str
    day: date
    client_name: str
    project: str
    code: str
    category: str
    notes: str
    amount: Decimal
    billable: bool
    person: Person

    @property
    def month(self) -> str:
        """YYYY-MM of the expense's date."""
        return self.day.isoformat()[:7]

    def csv_row(self) -> list[str]:
        """The row in the column order of HARVEST_EXPENSE_HEADER."""
        return [self.day.isoformat(), self.client_name, self.project, self.code, self.category, self.notes,
                f"{self.amount:.2f}", "Yes" if self.billable else "No", "No", self.person.first,
                self.person.last, CURRENCY_LABEL]


@dataclass
class DemoData:
    """Everything the demo home holds, before it is written."""

    seed: int
    time_rows: list[TimeRow]
    expense_rows: list[ExpenseRow]

    def rows_in(self, month: str) -> list[TimeRow]:
        """Time rows of one month, in file order."""
        return [r for r in self.time_rows if r.month == month]


def _month_days(month: str) -> tuple[list[date], list[date]]:
    """(working days, weekend days) of a YYYY-MM month."""
    year, mon = int(month[:4]), int(month[5:])
    days = [date(year, mon, d) for d in range(1, calendar.monthrange(year, mon)[1] + 1)]
    work = [d for d in days if d.weekday() < 5 and d not in HOLIDAYS]
    weekend = [d for d in days if d.weekday() >= 5]
    return work, weekend


def _hours(rng: random.Random, low: str, high: str, unit: Decimal) -> Decimal:
    """A duration between low and high in the person's unit (quarter or tenth hours), skewed towards the
    short end the way real timesheets are (the shorter of two uniform draws)."""
    lo, hi = int((D(low) / unit).to_integral_value()), int((D(high) / unit).to_integral_value())
    lo, hi = max(lo, 1), max(hi, 1)
    return (unit * min(rng.randint(lo, hi), rng.randint(lo, hi))).quantize(D("0.01"))


_MEETING = re.compile(r"\bw/ |\bcall\b(?! cent)|kickoff|check-in|huddle|\bsync\b|standup|sprint demo|"
                      r"sprint review|steering|presented|dry run|facilitated|workshop", re.IGNORECASE)


def _fill(rng: random.Random, template: str, fills: dict[str, tuple[str, ...]]) -> str:
    """Replace each {field} of a note template with a random choice from the client's fills."""
    names: list[str] = []
    for _, name, _, _ in string.Formatter().parse(template):
        if name and name not in names:
            names.append(name)
    if not names:
        return template
    return template.format(**{name: rng.choice(fills[name]) for name in names})


class _Generator:
    """Draws every row from one seeded Random, in a fixed order (clients, months, streams)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.load: Counter[tuple[str, date]] = Counter()  # hours per (person, day), across clients

    def _pick_day(self, person: str, month: str, hours: Decimal, weekend_share: float) -> date:
        """A working day on which the person still has room (weekends only for some rush work)."""
        work, weekend = _month_days(month)
        if weekend_share and self.rng.random() < weekend_share:
            return self.rng.choice(weekend)
        for _ in range(16):
            day = self.rng.choice(work)
            if self.load[(person, day)] + hours <= MAX_DAY_HOURS:
                return day
        return min(work, key=lambda d: (self.load[(person, d)], d))

    def _note(self, client: Client, stream: Stream, recent: dict[str, list[str]]) -> tuple[str, str]:
        """(task, note): a note template not used in the stream's last few rows, filled in, and the
        Harvest task it was logged under (the template's `Task::` prefix, else one that fits the note)."""
        used = recent.setdefault(stream.label, [])
        window = min(len(stream.notes) // 2, 4)
        choices = [n for n in stream.notes if n not in used[-window:]] if window else list(stream.notes)
        template = self.rng.choice(choices)
        used.append(template)
        task, sep, text = template.partition("::")
        if not sep:
            task, text = "", template
        note = _fill(self.rng, text, client.fills)
        if not task:
            meeting = "Meetings" in stream.tasks and _MEETING.search(note) is not None
            work_tasks = [t for t in stream.tasks if t != "Meetings"] or list(stream.tasks)
            task = "Meetings" if meeting else self.rng.choice(work_tasks)
        return task, note

    def _row(self, client: Client, stream: Stream, month: str, recent: dict[str, list[str]]) -> TimeRow:
        """One time row of a stream: person, duration, day, task and note."""
        person = PEOPLE_BY_NAME[self.rng.choice(stream.people)]
        hours = _hours(self.rng, *stream.hours, person.unit)
        day = self._pick_day(person.name, month, hours, stream.weekend_share)
        self.load[(person.name, day)] += hours
        aliases = dict(client.alias_for)
        client_name = aliases.get(person.name, aliases.get(stream.project, client.name))
        task, note = self._note(client, stream, recent)
        return TimeRow(
            client=client.slug, day=day, client_name=client_name,
            project=stream.project, code=stream.code, task=task, notes=note, hours=hours,
            billable=stream.billable, person=person,
            label=stream.label, work_type=stream.work_type,
        )

    def time_rows(self, client: Client, month_index: int) -> list[TimeRow]:
        """A client's rows for one month: fixed-count streams first, then weighted draws."""
        month = MONTHS[month_index]
        recent: dict[str, list[str]] = {}
        rows = []
        for stream in client.streams:
            if stream.fixed:
                for _ in range(stream.fixed[month_index]):
                    rows.append(self._row(client, stream, month, recent))
        weighted = [s for s in client.streams if not s.fixed and s.weights[month_index] > 0]
        weights = [s.weights[month_index] for s in weighted]
        for _ in range(client.entries[month_index] - len(rows)):
            stream = self.rng.choices(weighted, weights=weights)[0]
            rows.append(self._row(client, stream, month, recent))
        return rows

    def expense_rows(self, client: Client, month_index: int) -> list[ExpenseRow]:
        """A client's expenses for one month, one per template that recurs in that month."""
        rows = []
        work, _ = _month_days(MONTHS[month_index])
        for template in client.expenses:
            if month_index not in template.months:
                continue
            low, high = (int(D(v) * 100) for v in template.amount)
            person = PEOPLE_BY_NAME[self.rng.choice(template.people)]
            rows.append(ExpenseRow(
                client=client.slug, day=self.rng.choice(work), client_name=client.name,
                project=template.project, code=template.code, category=template.category,
                notes=template.notes,
                amount=D(self.rng.randint(low, high)) / 100, billable=template.billable, person=person,
            ))
        return rows


def _time_sort_key(row: TimeRow) -> tuple:
    """Export order: by date, then client, person and project (Harvest sorts its export by date)."""
    return (row.day, row.client_name, row.person.last, row.person.first, row.project)


def build_demo(seed: int = 2026) -> DemoData:
    """Generate every time and expense row of the demo firm (nothing is written)."""
    gen = _Generator(seed)
    time_rows: list[TimeRow] = []
    expense_rows: list[ExpenseRow] = []
    for client in CLIENTS:
        for index in range(len(MONTHS)):
            time_rows.extend(gen.time_rows(client, index))
            expense_rows.extend(gen.expense_rows(client, index))
    # Stable sort: rows equal on the key keep their generation order.
    time_rows.sort(key=_time_sort_key)
    expense_rows.sort(key=lambda r: (r.day, r.client_name, r.category))
    return DemoData(seed=seed, time_rows=time_rows, expense_rows=expense_rows)


# --------------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------------

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLAIN_VALUE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_YAML_WORDS = ("y", "n", "yes", "no", "true", "false", "on", "off", "null")
_FLOW_WIDTH = 100


def _yaml_key(key: str) -> str:
    """A mapping key: plain when it is a simple identifier, else double-quoted."""
    return key if _PLAIN_KEY.fullmatch(key) and key.lower() not in _YAML_WORDS else json.dumps(key)


def _yaml_scalar(value: Any) -> str:
    """A scalar as YAML text: decimals as written, month strings and names double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, str):
        if _PLAIN_VALUE.fullmatch(value) and value.lower() not in _YAML_WORDS:
            return value
        return json.dumps(value)
    raise TypeError(f"cannot write {type(value).__name__} to a contract")


def _is_scalar(value: Any) -> bool:
    """True for the values a contract writes as YAML scalars."""
    return isinstance(value, (bool, int, Decimal, str))


def _flow(value: Any) -> str | None:
    """One-line flow form of a mapping/list of scalars (or of lists of scalars), else None."""
    if isinstance(value, dict):
        parts = []
        for k, v in value.items():
            inner = _yaml_scalar(v) if _is_scalar(v) else _flow(v) if isinstance(v, list) else None
            if inner is None:
                return None
            parts.append(f"{_yaml_key(k)}: {inner}")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list) and all(_is_scalar(v) for v in value):
        return "[" + ", ".join(_yaml_scalar(v) for v in value) + "]"
    return None


def _yaml_lines(mapping: dict[str, Any], indent: int) -> list[str]:
    """Block-style YAML lines of a mapping; small mappings and lists go on one line."""
    pad = " " * indent
    lines: list[str] = []
    for key, value in mapping.items():
        head = f"{pad}{_yaml_key(key)}:"
        if isinstance(value, str) and len(value) > 80:
            lines.append(f"{head} >-")
            wrapped = textwrap.wrap(value, width=_FLOW_WIDTH - indent, break_on_hyphens=False,
                                    break_long_words=False)
            lines.extend(f"{pad}  {line}" for line in wrapped)
        elif _is_scalar(value):
            lines.append(f"{head} {_yaml_scalar(value)}")
        elif (flow := _flow(value)) is not None and len(head) + len(flow) < _FLOW_WIDTH and (
                isinstance(value, list) or len(value) <= 4):
            lines.append(f"{head} {flow}")
        elif isinstance(value, dict):
            lines.append(head)
            lines.extend(_yaml_lines(value, indent + 2))
        else:
            lines.append(head)
            for item in value:
                item_flow = _flow(item)
                if item_flow is not None and len(pad) + 4 + len(item_flow) < _FLOW_WIDTH:
                    lines.append(f"{pad}  - {item_flow}")
                elif isinstance(item, dict):
                    block = _yaml_lines(item, indent + 4)
                    lines.append(f"{pad}  - {block[0].lstrip()}")
                    lines.extend(block[1:])
                else:
                    lines.append(f"{pad}  - {_yaml_scalar(item)}")
    return lines


def contract_yaml(client: Client) -> str:
    """The contract file text: a comment naming the rules it exercises, then the contract."""
    header = [f"# {FIRM} demo contract: {client.name}."]
    header.extend(f"# {line}" for line in textwrap.wrap(client.engagement, width=_FLOW_WIDTH - 2))
    header.extend(f"#  - {rule}" for rule in client.rules)
    return "\n".join(header + _yaml_lines(client.contract, 0)) + "\n"


def _write_csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> None:
    """A CSV as Harvest writes it: header row, minimal quoting, CRLF line ends."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


OVERRIDES_README = """\
Reviewer decisions (spec section 6). Put one or more CSV files here, e.g. overrides/2026-10.csv, with the
header

    entry_id,work_type,sow_item,action,note

entry_id   the id shown in the review queue ("h" + 16 hex digits for CSV entries)
work_type  standard | rush | non_billable | a work type the client's contract defines (empty: unchanged)
sow_item   a SOW item id of the client's contract, e.g. T3 (empty: unchanged)
action     bill (release a held entry; no_rate still holds) | hold | write_off (hours kept, not charged)
note       free text: why the reviewer decided this

Empty cells change nothing. Overrides are facts a person decided: they survive re-runs and
re-classification. This folder is empty in the demo so the review queue shows everything the
classifier was unsure about.
"""


def _readme(data: DemoData) -> str:
    """The billing home's README: the firm, the people, the clients and the rules each one exercises."""
    lines = [
        f"# {FIRM}: demo billing home",
        "",
        f"{FIRM} is a fictional 15-person consultancy (strategy, design, engineering, accounting advisory "
        "and privacy counsel). This folder is its billing home for three closed months, "
        f"{MONTHS[0]} to {MONTHS[-1]}, written by `python -m billing_assets.demo <dir> --seed {data.seed}` "
        "(deterministic: the same seed writes the same bytes).",
        "",
        "```",
        "contracts/<client>.yaml               one contract per client (spec section 2)",
        "timesheets/harvest_time_<YYYY-MM>.csv  Harvest \"Detailed time\" exports, one per month",
        "expenses/harvest_expenses_<YYYY-MM>.csv Harvest expense exports, one per month",
        "overrides/                            reviewer decisions (empty; see overrides/README.txt)",
        "```",
        "",
        "## People",
        "",
        "| person | title | Harvest Roles column | clients |",
        "|---|---|---|---|",
    ]
    for person in PEOPLE:
        clients = [c.slug for c in CLIENTS if person.name in c.people]
        lines.append(f"| {person.name} | {person.title} | {person.roles_column or '(empty)'} | "
                     f"{', '.join(clients)} |")
    lines += ["", "Roles come from a contract's `people` map first, else from the first value of the Roles "
              "column (matched case-insensitively), so 'Senior, Engineering' is the `senior` role.", "",
              "## Clients and the rules they exercise", ""]
    for client in CLIENTS:
        lines.append(f"### {client.name} (`{client.slug}`)")
        lines.append("")
        lines.append(client.engagement)
        lines.append("")
        lines.extend(f"- {rule}" for rule in client.rules)
        lines.append("")
    lines += ["## Rows per month", "", "| client | " + " | ".join(MONTHS) + " |",
              "|---|" + "---|" * len(MONTHS)]
    per_client = Counter((r.client, r.month) for r in data.time_rows)
    for client in CLIENTS:
        counts = [per_client[(client.slug, m)] for m in MONTHS]
        lines.append(f"| {client.slug} | " + " | ".join(str(c) for c in counts) + " |")
    totals = [sum(per_client[(c.slug, m)] for c in CLIENTS) for m in MONTHS]
    lines.append("| **all** | " + " | ".join(str(c) for c in totals) + " |")
    expense_counts = [sum(1 for e in data.expense_rows if e.month == m) for m in MONTHS]
    lines.append("| expenses | " + " | ".join(str(c) for c in expense_counts) + " |")
    lines += [
        "",
        "## What a reviewer should expect",
        "",
        "- Brightwater Foods requires project codes: its 'General Advisory' rows have none and are held "
        "(`missing_project_code`).",
        "- Quillfield Press, Tallgrass Credit Union and Orchard Lane Hotels log every entry without a "
        "project code, so the classifier picks the SOW item from the note. A few notes are deliberately "
        "vague ('call w/ Dana', 'misc admin') and should land in the review queue as `low_confidence`; a few "
        "describe client-driven deadline work that is rush by meaning.",
        "- Harborline's rush rows come from the 'Rush Support' task or a rush keyword in the note; "
        "Orchard Lane has both keyword and meaning-only rush rows.",
        "- Entries whose Client is an alias (Tallgrass CU, Solstice Bio, Solstice Biotherapeutics Inc.) "
        "belong to the contract that lists the alias.",
        "",
    ]
    return "\n".join(lines)


def write_demo_home(home: Path, seed: int = 2026) -> None:
    """Write the complete Northbeam Partners billing home into `home` (created if missing).

    Writes contracts/<client>.yaml, timesheets/harvest_time_<YYYY-MM>.csv,
    expenses/harvest_expenses_<YYYY-MM>.csv, overrides/README.txt and README.md. Existing files with those
    names are replaced; other files are left alone. The output depends only on `seed`."""
    _write_home(Path(home), build_demo(seed))


def _write_home(home: Path, data: DemoData) -> None:
    """Write generated data into a billing home (see write_demo_home)."""
    for folder in ("contracts", "timesheets", "expenses", "overrides"):
        (home / folder).mkdir(parents=True, exist_ok=True)
    for client in CLIENTS:
        path = home / "contracts" / f"{client.slug}.yaml"
        path.write_text(contract_yaml(client), encoding="utf-8", newline="\n")
    for month in MONTHS:
        _write_csv(home / "timesheets" / f"harvest_time_{month}.csv", HARVEST_TIME_HEADER,
                   [r.csv_row() for r in data.rows_in(month)])
        _write_csv(home / "expenses" / f"harvest_expenses_{month}.csv", HARVEST_EXPENSE_HEADER,
                   [e.csv_row() for e in data.expense_rows if e.month == month])
    (home / "overrides" / "README.txt").write_text(OVERRIDES_README, encoding="utf-8", newline="\n")
    (home / "README.md").write_text(_readme(data), encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    """`python -m billing_assets.demo <dir> [--seed N]`: write the demo billing home into <dir>."""
    parser = argparse.ArgumentParser(prog="python -m billing_assets.demo",
                                     description="Write the Northbeam Partners demo billing home.")
    parser.add_argument("home", type=Path, help="folder to write the billing home into")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    args = parser.parse_args(argv)
    data = build_demo(args.seed)
    _write_home(args.home, data)
    counts = ", ".join(f"{m}: {len(data.rows_in(m))}" for m in MONTHS)
    print(f"wrote {FIRM} demo home to {args.home} ({len(CLIENTS)} clients; time rows {counts})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
