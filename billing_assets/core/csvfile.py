"""One export file as its tool wrote it: bytes -> text (encoding) -> header and rows (delimiter).

Encoding: UTF-8 with or without BOM, UTF-16/32 with BOM, else the legacy code page, among those spreadsheet programs
save in, whose reading is text: no symbols against letters, letters some language writes together (`letters`).
When two code pages read the file differently and neither is clearly likelier, or none reads it as text, the file
is refused, naming the configured `encoding` that resolves it. A file that is not text (NUL or control bytes
without a UTF-16 BOM, undecodable) is refused by name, never a traceback.

Delimiter: comma, semicolon or tab, chosen as the one whose header row holds the most columns of a known
layout; csv.Sniffer decides only for headers that match no layout.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from billing_assets.core.letters import NON_ASCII, assess, characters_used, composed, odd_characters, odd_signs
from billing_assets.core.mojibake import PartlyDoubleEncoded, undo_double_encoding

DELIMITERS = (",", ";", "\t")
TABLE_SUFFIXES = (".csv", ".txt", ".tsv")  # what a spreadsheet saves as delimited text
MAX_CELL = 64 << 10  # one cell of 64 KiB at most: a larger one is not a time export (or a broken quote)
csv.field_size_limit(1 << 30)  # parse anything; cells over MAX_CELL refuse the file by name below
# Code pages spreadsheet programs save a CSV in (Windows; Excel for Mac: Mac Roman, Mac Cyrillic; ISO 8859-2 and -7
# of older Central European and Greek systems); cp1252 (Western European, the Americas) first.
LEGACY_CODEPAGES = ["cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "cp1255", "cp1256", "cp1258",
                    "mac_roman", "mac_cyrillic", "iso-8859-2", "iso-8859-7"]
# ... and the ones a program may have misread UTF-8 in before saving it again (`mojibake`): ISO 8859-1 too, the
# default of many older programs, which keeps C1 control characters where cp1252 has letters and signs
MISREAD_IN = [*LEGACY_CODEPAGES, "latin-1"]
CP1252_PRIOR = 2.0  # nats in favour of cp1252, the code page of most legacy exports (US, UK, Western Europe)
MAX_SURPRISE = 0.5  # nats a letter may cost beyond its language's entropy: more, and no code page reads it as text
MAX_ODD_SHARE = 0.05  # ... or when every reading leaves signs inside more than this share of the distinct words
MIN_LETTERS_TO_JUDGE = 30  # ... judged from this many letters (in distinct words) on
DECIDE_MARGIN = 4.0  # nats by which another code page's reading must be likelier than the next (about 50 times)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x19\x1b-\x1f]")  # no text has them (tab, line ends, EOF do not count)
MAX_CONTROL_SHARE = 0.001
MAX_EVIDENCE_BYTES = 100_000  # the first distinct words with a high byte are evidence enough; bounds hostile input
_HIGH_WORDS = re.compile(rb'[^\s,;"]{0,40}[\x80-\xff][^\s,;"]{0,40}')  # the words a code page can read differently
_WORD_ENDS = (b" ", b",", b";", b"\t", b"\n")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class FileRefused(ValueError):
    """The file as a whole cannot be read; the message says why and what resolves it."""

    def __init__(self, message: str, clients: tuple[str, ...] = ()):
        super().__init__(message)
        self.clients = clients  # client names found in it anyway, so the refusal stops their months


@dataclass
class CsvFile:
    """A decoded, split CSV file: what was decided, the header and the data rows (1-based numbers)."""

    label: str  # "timesheets/x.csv"
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    cut_short: bool = False  # the text ends inside its last row, with no line break (a download cut off)
    closed: bool = False  # ... after a closing quote: its last cell is whole (Toggl writes no final line break)

    def decisions(self) -> dict[str, str]:
        return {"encoding": self.encoding, "delimiter": {",": "comma", ";": "semicolon", "\t": "tab"}
                .get(self.delimiter, repr(self.delimiter))}


def decode(data: bytes, configured: str | None = None) -> tuple[str, str]:
    """(text, encoding) of a file's bytes; FileRefused when it is not text or reads two ways. A configured code
    page (settings.yaml) decides a legacy file; Unicode text is read as Unicode whatever it says."""
    if configured and not (_is_legacy(configured) and _is_unicode(data)):
        try:
            return data.decode(configured), f"{configured} (settings.yaml)"
        except (UnicodeDecodeError, LookupError) as exc:
            raise FileRefused(f"not readable as the configured encoding {configured}: {exc}") from None
    text, name = _unicode_or_legacy(data)
    if configured:
        name += f" (settings.yaml's {configured} is for files that are not Unicode)"
    return text, name


def _is_legacy(codec: str) -> bool:
    """A single- or multi-byte code page, not one of the Unicode forms (utf-8, utf-16, ...)."""
    return not codecs.lookup(codec).name.startswith("utf")


def _is_unicode(data: bytes) -> bool:
    """The file has a byte-order mark, or is UTF-8 holding non-ASCII text: a code page from settings.yaml
    (written for a legacy file, or for the whole home) would garble it ("José" read in cp1250 is "JosĂ©"). A
    legacy file that is UTF-8 only by chance (`_by_chance`) takes its setting."""
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return True
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not text.isascii() and _by_chance(data, text) is None


def _unicode_or_legacy(data: bytes) -> tuple[str, str]:
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return _once_encoded(data.decode(name), name.replace("-sig", "") + " with BOM")
            except UnicodeDecodeError as exc:
                raise FileRefused(f"broken {name} text at byte {exc.start}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        stray = _stray_bytes_in_utf8(data, exc.start)
        if stray:
            raise FileRefused(stray) from None
    else:
        _not_utf8_by_chance(data, text)
        return _once_encoded(text, "utf-8")
    if b"\x00" in data:
        raise FileRefused("not a text file (it holds NUL bytes and no UTF-16 byte-order mark)")
    return _legacy(data)


_TOKEN_BREAK = re.compile(r'[\s,;"]+')
_BEYOND_TWO_BYTES = re.compile("[^\x00-\u07ff]")  # a character UTF-8 writes in three bytes or more


def _odd_words(text: str, vocabulary: frozenset[str]) -> int:
    """Signs where letters belong (`letters.odd_characters`) in the text's first distinct words with a non-ASCII
    character."""
    words = dict.fromkeys(w for w in _TOKEN_BREAK.split(text[:MAX_EVIDENCE_BYTES * 4]) if not w.isascii())
    return odd_characters("\n".join(list(words)[:2_000]), vocabulary)


def _by_chance(data: bytes, text: str) -> tuple[str, str] | None:
    """(legacy text, code page) when a file is valid UTF-8 by chance (cp1252's "CAFÉ’S" is C9 92, UTF-8 for "ɒ":
    "CAFɒS"): every character of it is one UTF-8 writes in two bytes (an accented capital and a sign after it
    can be one by chance; three bytes in a row hardly), its UTF-8 reading has signs where letters belong, and a
    code page reads the bytes with fewer. Else None."""
    if text.isascii() or _BEYOND_TWO_BYTES.search(text):
        return None  # "™", "—", "€" or an emoji: no legacy text is three-byte UTF-8 by chance
    vocabulary = _ascii_words(data)
    odd = _odd_words(text, vocabulary)
    if not odd:
        return None
    try:
        legacy, name = _legacy(data)
    except FileRefused:
        return None
    return (legacy, name.split()[0]) if _odd_words(legacy, vocabulary) < odd else None


def _not_utf8_by_chance(data: bytes, text: str) -> None:
    """Refuses a file that is valid UTF-8 by chance (`_by_chance`), naming both readings and the setting that
    decides it."""
    if found := _by_chance(data, text):
        legacy, name = found
        a, b = _first_difference(text, legacy)
        raise FileRefused(f"reads as UTF-8 ({a!r}) or as {name} ({b!r}); set encoding: {name} for it in the billing "
                          "home's settings.yaml if that is its code page, or export it again as UTF-8")


def _once_encoded(text: str, name: str) -> tuple[str, str]:
    """Unicode text as its tool wrote it: repaired when a spreadsheet read it in a legacy code page and saved it as
    UTF-8 again (`mojibake`), refused by name when only part of it was."""
    try:
        repaired, codepage = undo_double_encoding(text, MISREAD_IN)
    except PartlyDoubleEncoded as part:
        raise FileRefused(str(part)) from None
    if codepage is None:
        return text, name
    return repaired, f"{name}, repaired: UTF-8 once read as {codepage} and saved again"


def _stray_bytes_in_utf8(data: bytes, first: int) -> str | None:
    """Why a file that is UTF-8 but for a few bytes (a row pasted from a cp1252 file, two exports joined) is
    refused, naming the line of the first stray byte; None when its non-ASCII text is mostly not UTF-8 (a legacy
    code page, decided by `_legacy`). Reading it either way would garble one part."""
    if len(_UTF8_SEQUENCE.findall(data, 0, first + 1_000_000)) < 2:  # no UTF-8 letters before or near the first
        return None  # stray byte (a legacy file has none): skip the slow replacing decode of a large legacy file
    text = data.decode("utf-8", errors="replace")
    stray = text.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
    valid = NON_ASCII.findall(text.replace("\ufffd", ""))
    if len(set(valid)) < 2 or len(valid) < stray:
        return None
    line = data.count(b"\n", 0, first) + 1
    start = max(data.rfind(sep, 0, first) for sep in _WORD_ENDS) + 1
    ends = [i for i in (data.find(sep, first) for sep in _WORD_ENDS) if i >= 0]
    word = data[start:min(ends, default=len(data))].decode("utf-8", errors="replace")
    return (f"mostly UTF-8, but {stray} byte(s) are not (the first on line {line}: {word!r}); save the file again "
            "as UTF-8 (or fix that line)")


def _legacy(data: bytes) -> tuple[str, str]:
    """A non-UTF-8 file read in each legacy code page (docs/DECISIONS.md, "Encodings").

    A file with control bytes is not text. Only the distinct words with a byte above 127 can read differently, so
    those are compared (the first MAX_EVIDENCE_BYTES of them). Readings that leave the fewest signs where letters
    belong win (`letters.odd_characters`: "Wroc³aw" is Wrocław misread), and none wins when that is over
    MAX_ODD_SHARE of the words; among the rest the likeliest text (`letters.assess`), unless its letters are a
    cipher; cp1252 is preferred when at least as likely, another code page taken when clearly likelier, else the
    file is refused naming the setting."""
    controls = len(_CONTROL_BYTES.findall(data))
    if controls > len(data) * MAX_CONTROL_SHARE:
        raise FileRefused(f"not text in UTF-8 or a Windows code page ({controls} control bytes)")
    words = _evidence_words(data)
    readings: dict[str, list[str]] = {}  # the words as a code page reads them -> the code pages that read them so
    for codepage in LEGACY_CODEPAGES:
        try:
            readings.setdefault(words.decode(codepage), []).append(codepage)
        except UnicodeDecodeError:
            continue
    if not readings:
        raise FileRefused("not text in UTF-8 or a Windows code page")
    vocabulary = _ascii_words(data)
    signs = {text: odd_signs(text, vocabulary) for text in readings}
    odd = {text: hard + soft for text, (hard, soft) in signs.items()}
    fewest = min(odd.values())
    if fewest >= 3 and fewest > MAX_ODD_SHARE * (words.count(b"\n") + 1):
        raise FileRefused(f"not UTF-8, and no supported code page reads it as text (each leaves {fewest} or more "
                          "signs inside words); set encoding: <its code page> for it in the billing home's "
                          "settings.yaml, or export it again as UTF-8")
    fewest_odd = [text for text in readings if odd[text] == fewest]
    lenient = {text: hard for text, (hard, _) in signs.items()}
    plausible = [text for text in fewest_odd if lenient[text] == min(lenient[p] for p in fewest_odd)]
    joined = [text for text in readings if text not in fewest_odd and lenient[text] <= lenient[plausible[0]]]
    if joined:  # only a dash or quote between two letters tells them apart: "memo—then" or Mac Roman's "Reuni—n"
        a, b = _first_difference(plausible[0], joined[0])
        one, other = readings[plausible[0]][0], readings[joined[0]][0]
        raise FileRefused(f"not UTF-8, and it reads differently as {one} ({a!r}) and as {other} ({b!r}); set "
                          f"encoding: {one} (or {other}) for it in the billing home's settings.yaml, or export it "
                          "again as UTF-8")
    assessed = {text: assess(characters_used(text)) for text in plausible}
    score = {text: assessed[text].score + (CP1252_PRIOR if "cp1252" in readings[text] else 0.0) for text in plausible}
    ranked = sorted(plausible, key=lambda text: -score[text])
    best = ranked[0]
    name = "cp1252" if "cp1252" in readings[best] else readings[best][0]
    if assessed[best].letters >= MIN_LETTERS_TO_JUDGE and assessed[best].surprise > MAX_SURPRISE:
        raise FileRefused(f"not UTF-8, and no supported code page reads it as text (best: {name}, read as "
                          f"{assessed[best].language} at {assessed[best].surprise:.1f} nats a letter above that "
                          "language); set encoding: <its code page> for it in the billing home's settings.yaml, or "
                          "export it again as UTF-8")
    mac = next((text for text in plausible if "mac_roman" in readings[text]), None)
    if (name == "cp1252" and mac not in (None, best) and assessed[mac].score > assessed[best].score
            and any(x != y and x.isalpha() and y.isalpha() for x, y in zip(best, mac, strict=True))):
        a, b = _first_difference(best, mac)  # letters against letters, both Western: the prior does not choose
        raise FileRefused(f"not UTF-8, and it reads differently as cp1252 ({a!r}) and as mac_roman ({b!r}); set "
                          "encoding: cp1252 (or mac_roman) for it in the billing home's settings.yaml, or export "
                          "it again as UTF-8")
    if len(ranked) == 1 or name == "cp1252" or score[best] - score[ranked[1]] >= DECIDE_MARGIN:
        return data.decode(name), f"{name} (detected)"
    other = readings[ranked[1]][0]
    a, b = _first_difference(best, ranked[1])
    raise FileRefused(f"not UTF-8, and it reads differently as {name} ({a!r}) and as {other} ({b!r}); set "
                      f"encoding: {name} (or {other}) for it in the billing home's settings.yaml, or export it "
                      "again as UTF-8")


_ASCII_WORDS = re.compile(rb"(?<![A-Za-z\x80-\xff])[A-Za-z]{2,40}(?![A-Za-z\x80-\xff])")
VOCABULARY_BYTES = 1 << 20  # the words of the first megabyte are the file's vocabulary


def _ascii_words(data: bytes) -> frozenset[str]:
    """The file's lower-case ASCII words that stand alone (no high byte against them): "memo" and "then" beside
    "memo\x97then" tell that the byte between them is a dash, not a letter."""
    return frozenset(w.decode().lower() for w in set(_ASCII_WORDS.findall(data, 0, VOCABULARY_BYTES)))


def _evidence_words(data: bytes) -> bytes:
    """The file's distinct words with a byte above 127, one per line, up to MAX_EVIDENCE_BYTES of them (read 64 kB
    at a time; a word cut at a block's edge is still evidence)."""
    distinct: dict[bytes, None] = {}
    size = 0
    for offset in range(0, len(data), 1 << 16):
        for word in dict.fromkeys(_HIGH_WORDS.findall(data, offset, offset + (1 << 16))):
            if word not in distinct:
                distinct[word] = None
                size += len(word)
                if size >= MAX_EVIDENCE_BYTES:
                    return b"\n".join(sorted(distinct))
    return b"\n".join(sorted(distinct))


def _first_difference(a: str, b: str) -> tuple[str, str]:
    """The word around the first character where two decodings differ."""
    index = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), 0)
    start = max(a.rfind(" ", 0, index), a.rfind(",", 0, index), a.rfind("\n", 0, index)) + 1
    end_a = min((p for p in (a.find(c, index) for c in " ,\n") if p >= 0), default=len(a))
    end_b = min((p for p in (b.find(c, index) for c in " ,\n") if p >= 0), default=len(b))
    return a[start:end_a], b[start:end_b]


def _split(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _lenient_rows(text: str, delimiter: str) -> list[list[str]]:
    """Rows up to the first one the csv module cannot split."""
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except (StopIteration, csv.Error):
            return rows
        rows.append(row)


def choose_delimiter(text: str, known_columns: set[str]) -> str:
    """The delimiter whose header holds the most known column names (casefolded); else csv.Sniffer's."""
    first_line = text.split("\n", 1)[0]
    scores = {}
    for delimiter in DELIMITERS:
        try:
            header = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error:
            continue
        scores[delimiter] = sum(1 for name in header if normal(name) in known_columns)
    best = max(scores.values(), default=0)
    if best >= 2:
        return max(scores, key=lambda d: (scores[d], -DELIMITERS.index(d)))
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return ","


def _without_separator_line(text: str) -> tuple[str, str | None]:
    """Excel's "sep=;" first line (written so that Excel opens the file with that delimiter): the text after it and
    the delimiter it declares; else the text and None."""
    first, _, rest = text.partition("\n")
    line = first.replace("\ufeff", "").strip().strip('"')
    if line.lower().startswith("sep=") and line[4:] in DELIMITERS + ("\\t",):
        return rest, "\t" if line[4:] == "\\t" else line[4:]
    return text, None


def normal(name: str) -> str:
    """A header name for matching: trimmed, inner spaces folded, casefolded."""
    return " ".join(name.replace("\ufeff", "").split()).casefold()


def read_csv_file(path: Path, label: str, known_columns: set[str], encoding: str | None = None) -> CsvFile:
    """Decode and split one file; FileRefused (with any client names still findable) when it cannot be."""
    data = path.read_bytes()
    try:
        text, used = decode(data, encoding)
    except FileRefused as exc:
        raise FileRefused(str(exc), _clients_anyway(data)) from None
    text, declared = _without_separator_line(composed(text))
    delimiter = declared or choose_delimiter(text, known_columns)
    try:
        table = [row for row in _split(text, delimiter) if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise FileRefused(f"unreadable CSV: {exc}", _clients_anyway(data)) from None
    for number, row in enumerate(table):
        if sum(map(len, row)) > MAX_CELL and any(len(cell) > MAX_CELL for cell in row):
            raise FileRefused(f"row {number}: a cell of over {MAX_CELL // 1024} KiB (an unclosed quote, or not a "
                              "time export); nothing of this file is read", _clients_anyway(data))
    if not table:
        return CsvFile(label, used, delimiter, [])
    header = [cell.replace("\ufeff", "").strip() for cell in table[0]]
    return CsvFile(label, used, delimiter, header, table[1:], cut_short=not text.endswith(("\n", "\r")),
                   closed=text.endswith('"'))


CLIENT_COLUMNS = ("client", "customer", "jobcode_1", "jobcode")


def _clients_anyway(data: bytes) -> tuple[str, ...]:
    """Client names of a file that cannot be read properly, decoded leniently, so that its refusal stops the
    months of the clients it holds (and only theirs)."""
    for name in ("utf-16", "utf-8-sig", "cp1252"):  # UTF-8 before a code page: "Søn", not "SÃ¸n" (found by an auditor)
        if name == "utf-16" and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            continue
        try:
            text = composed(data.decode(name, errors="strict" if name == "utf-8-sig" else "replace"))
        except UnicodeDecodeError:
            continue
        text = text.replace("\x00", "")
        for delimiter in DELIMITERS:
            table = _lenient_rows(text, delimiter)
            if not table:
                continue
            header = [normal(c) for c in table[0]]
            column = next((header.index(c) for c in CLIENT_COLUMNS if c in header), None)
            if column is not None:
                return tuple(sorted({row[column].strip() for row in table[1:] if len(row) > column
                                     and row[column].strip() and len(row[column]) <= 200}))
    return ()


def read_csv(path: Path, known: tuple[str, ...] = ()) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows (as dicts, short rows padded with "") of a small CSV we or a person wrote (overrides);
    FileRefused when it cannot be read."""
    csv_file = read_csv_file(path, path.name, {normal(k) for k in known})
    width = len(csv_file.header)
    rows = [dict(zip(csv_file.header, values + [""] * (width - len(values)), strict=False))
            for values in csv_file.rows]
    return csv_file.header, rows
