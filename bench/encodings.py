"""The legacy-code-page reader on text it was not written against: chardet's test corpus.

    python bench/encodings.py CHARDET_TESTS      # a checkout's tests/ folder (github.com/chardet/chardet)

chardet keeps real web pages and texts per encoding and language (`tests/windows-1250-hungarian/*`, ...). Each file
of the single-byte encodings is decoded by `csvfile.decode` as an export would be, and compared with the file read
in the encoding its folder names: read right, refused by name, or read wrong (the failure that must not happen).
Writes nothing; bench/RESULTS.md records a run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from billing_assets.core.csvfile import FileRefused, decode  # noqa: E402

# chardet's folder prefix -> Python codec; the multi-byte and UTF folders are not legacy code pages
CODECS = {"windows-1250": "cp1250", "windows-1251": "cp1251", "windows-1252": "cp1252", "windows-1254": "cp1254",
          "windows-1255": "cp1255", "windows-1256": "cp1256", "MacRoman": "mac_roman", "MacCyrillic": "mac_cyrillic",
          "iso-8859-1": "latin-1", "iso-8859-2": "iso-8859-2", "iso-8859-5": "iso-8859-5", "iso-8859-7": "iso-8859-7",
          "iso-8859-9": "iso-8859-9", "KOI8-R": "koi8-r", "IBM866": "cp866"}


def outcome(data: bytes, codec: str) -> str:
    """"right", "refused" or "wrong" (line ends aside: the CSV reader treats CR, LF and CRLF alike)."""
    try:
        text, _ = decode(data)
    except FileRefused:
        return "refused"
    return "right" if text.replace("\r", "") == data.decode(codec).replace("\r", "") else "wrong"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tests", type=Path, help="chardet's tests/ folder")
    args = parser.parse_args(argv)
    print("| folder | files | read right | refused | read wrong |\n|---|---|---|---|---|")
    totals = [0, 0, 0, 0]
    for folder in sorted(p for p in args.tests.iterdir() if p.is_dir()):
        codec = next((c for prefix, c in CODECS.items() if folder.name.startswith(prefix)), None)
        if codec is None:
            continue
        results = [outcome(f.read_bytes(), codec) for f in sorted(folder.iterdir()) if f.is_file()]
        counts = [len(results), results.count("right"), results.count("refused"), results.count("wrong")]
        totals = [t + c for t, c in zip(totals, counts, strict=True)]
        print(f"| {folder.name} | " + " | ".join(map(str, counts)) + " |")
    print("| **all** | " + " | ".join(f"**{t}**" for t in totals) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
