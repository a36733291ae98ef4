"""`billing contract draft SOW --client slug`: Claude reads an engagement letter or SOW, every extracted value is
checked against the clause it quotes, and `contracts/<slug>.draft.yaml` is written for a person to review (never a
contract the close loads)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from billing_assets.core.contract import CLIENT_SLUG
from billing_assets.core.contract_draft import (
    SYSTEM_PROMPT,
    Draft,
    Fact,
    draft_contract,
    output_schema,
    parse_facts,
    printable,
)
from billing_assets.core.documents import DocumentError, document_text
from resources.files import write_atomic
from resources.llm import claude_connection

MAX_TOKENS = 8000


class DraftError(RuntimeError):
    """The draft could not be made (one line)."""


def read_with_claude(text: str, source: str, api_key: str, base_url: str | None, model: str) -> list[Fact]:
    """The facts Claude extracts from the document (structured output following `output_schema()`)."""
    import anthropic

    client = anthropic.Anthropic(api_key=api_key, base_url=base_url, max_retries=3, timeout=180.0)
    try:
        message = client.messages.create(
            model=model, max_tokens=MAX_TOKENS, system=SYSTEM_PROMPT,
            messages=[{"role": "user", "content": f"Document: {source}\n\n{text}"}],
            output_config={"format": {"type": "json_schema", "schema": output_schema()}})
    except anthropic.APIError as exc:
        raise DraftError(f"Claude could not read {source}: {type(exc).__name__}: {exc}") from exc
    answer = "".join(getattr(block, "text", "") for block in message.content if block.type == "text")
    try:
        return parse_facts(answer)
    except ValueError as exc:
        raise DraftError(f"Claude's answer for {source} is not the expected JSON ({exc}; stop_reason "
                         f"{message.stop_reason})") from exc


def make_draft(sow: Path, client: str, home: Path, force: bool = False,
               env: Mapping[str, str] | None = None) -> tuple[Path, Draft]:
    """Read the document, extract, check and write `contracts/<client>.draft.yaml`; raises DraftError."""
    if not CLIENT_SLUG.fullmatch(client):
        raise DraftError(f"--client {client!r} is not a client id [a-z0-9][a-z0-9_-]{{0,62}}")
    target = home / "contracts" / f"{client}.draft.yaml"
    if target.exists() and not force:
        raise DraftError(f"contracts/{target.name} exists; review it, or pass --force to replace it")
    api_key, base_url, model = claude_connection(env)
    try:
        text = document_text(sow)
    except DocumentError as exc:
        raise DraftError(str(exc)) from exc
    facts = read_with_claude(text, sow.name, api_key or "", base_url, model)
    draft = draft_contract(client, sow.name, text, facts, datetime.now(UTC).date())
    write_atomic(target, draft.text)
    return target, draft


def cmd_contract_draft(sow: Path, client: str, home: Path, force: bool) -> int:
    """The command: 0 written, 1 refused or failed, 2 without ANTHROPIC_API_KEY."""
    if claude_connection()[0] is None:
        print("billing contract draft: needs ANTHROPIC_API_KEY (Claude reads the document; ANTHROPIC_BASE_URL and "
              "BILLING_CLAUDE_MODEL optional)", file=sys.stderr)
        return 2
    try:
        target, draft = make_draft(sow, client, home, force)
    except DraftError as exc:
        print(f"billing contract draft: {exc}", file=sys.stderr)
        return 1
    print(f"contracts/{target.name} written from {sow.name}: {len(draft.kept)} value(s), each under the clause "
          "it came from")
    print(f"dropped {len(draft.dropped)}" + (":" if draft.dropped else ""))
    for fact, why in draft.dropped:
        print(f"  {printable(fact.key)} = {fact.value!r}: {why}")
    print(f"contract model: {len(draft.problems)} problem(s)" + (":" if draft.problems else ""))
    for problem in draft.problems:
        print(f"  {problem}")
    print(f"a draft is never used by the close: review it, then save it as contracts/{client}.yaml")
    return 0
