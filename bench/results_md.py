"""bench/RESULTS.md: each benchmark owns one `## ` section and rewrites only that one."""

from __future__ import annotations

from pathlib import Path


def write_section(path: Path, section: str, body: str) -> None:
    """Replace (or append) the section headed `section`, keeping every other section."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Bench results\n"
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == section), None)
    new = [section, "", *body.splitlines()]
    if start is None:
        lines = [*lines, "", *new]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines = [*lines[:start], *new, "", *lines[end:]]
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
