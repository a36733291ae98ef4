"""UTF-8 text that was read once in a legacy code page and saved as UTF-8 again ("double-encoded").

It happens when an export without a byte-order mark is opened in a spreadsheet that reads it in the machine's code
page (Excel on Windows: cp1252 in the Americas and Western Europe) and is then saved as "CSV UTF-8": "José" becomes
"JosÃ©", "Wrocław" becomes "WrocÅ‚aw" and "don’t" becomes "donâ€™t". Every character is a valid character, so
nothing fails; people would be billed under names the rate card does not know (or at a default rate) and notes would
read garbled. Written back in that code page such text is UTF-8 again, which text never is by chance: a word of
real text in any language, written in a single-byte code page, has a byte above 127 that is no part of a UTF-8
sequence. So a file whose every word with a non-ASCII character turns back into UTF-8 in one code page, and reads
more like text for it, is repaired; a file where only some do (a double-encoded row pasted into a good file) cannot be
read either way and is refused.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from functools import lru_cache

from billing_assets.core.letters import assess, characters_used, odd_characters

MAX_WORDS = 2_000  # distinct words with a non-ASCII character judged (the first ones): enough evidence, bounded
MAX_MATCHES = 50_000  # ... found among at most this many runs of non-ASCII characters (a long file repeats names)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
WORD_REACH = 60
_LAST_PART = re.compile(r'[^\s,;"]+\Z')  # the part of a word before its non-ASCII run ...
_FIRST_PART = re.compile(r'[^\s,;"]+')  # ... and after it


@lru_cache(maxsize=64)
def _undefined(codepage: str) -> frozenset[str]:
    """The characters U+0080-U+00FF whose byte `codepage` leaves undefined (cp1252: 0x81, 0x8D, 0x8F, 0x90, 0x9D)."""
    out = set()
    for byte in range(0x80, 0x100):
        try:
            bytes([byte]).decode(codepage)
        except UnicodeDecodeError:
            out.add(chr(byte))
    return frozenset(out)


@lru_cache(maxsize=64)
def _errors(codepage: str) -> str:
    """The name of an error handler for writing in `codepage` under which a byte the code page leaves undefined
    stands for itself: Windows passes such a byte through as the character of the same number when it reads a file
    in the code page ("Á", C3 81, is read "Ã" and U+0081 in cp1252)."""
    undefined = _undefined(codepage)

    def as_bytes(error: UnicodeError) -> tuple[bytes, int]:
        if not isinstance(error, UnicodeEncodeError):
            raise error
        chunk = error.object[error.start:error.end]
        if not set(chunk) <= undefined:
            raise error
        return bytes(ord(ch) for ch in chunk), error.end

    name = f"billing-undefined-bytes-{codepage}"
    codecs.register_error(name, as_bytes)
    return name


class PartlyDoubleEncoded(ValueError):
    """Some words of the file are double-encoded and others are not; the message names the first such word."""


def _undone(text: str, codepage: str) -> str | None:
    """`text` written in `codepage` and read as UTF-8, when that is possible and changes it."""
    try:
        undone = text.encode(codepage, errors=_errors(codepage)).decode("utf-8")
    except UnicodeError:
        return None
    return undone if undone != text else None


def _mended(word: str, codepage: str) -> str | None:
    """The word undone (`_undone`) when that reads more like text than the word as written: fewer signs where
    letters belong (`letters.odd_characters`: "JosÃ©", "donâ€™t"), or as few and likelier letters ("FÃŠTE" is
    "FÊTE"). Genuine text can also be valid UTF-8 in a code page: "CAFÉ’S" (C9 92 in cp1252) would become
    "CAFɒS" and "Call—Émile" (D1 83 in Mac Roman) "Callуmile"; such a word is not double-encoded."""
    undone = _undone(word, codepage)
    if undone is None:
        return None
    before, after = odd_characters(word, between=False), odd_characters(undone, between=False)
    if after < before or (after == before and assess(characters_used(undone)).score >
                          assess(characters_used(word)).score):
        return undone
    return None


def _words(text: str) -> list[tuple[str, int]]:
    """The first MAX_WORDS distinct words holding a non-ASCII character, with where each starts (a word: what lies
    between separators, at most WORD_REACH characters either side of its non-ASCII run)."""
    seen: set[str] = set()
    out: list[tuple[str, int]] = []
    for number, match in enumerate(_NON_ASCII.finditer(text)):
        if number >= MAX_MATCHES:
            break
        before = text[max(0, match.start() - WORD_REACH):match.start()]
        after = text[match.end():match.end() + WORD_REACH]
        head = _LAST_PART.search(before)
        tail = _FIRST_PART.match(after)
        start = match.start() - (len(head.group()) if head else 0)
        word = text[start:match.end() + (len(tail.group()) if tail else 0)]
        if word not in seen:
            seen.add(word)
            out.append((word, start))
            if len(out) >= MAX_WORDS:
                break
    return out


def undo_double_encoding(text: str, codepages: Sequence[str]) -> tuple[str, str | None]:
    """(text, None) when `text` is not double-encoded; (repaired text, code page) when every word with a non-ASCII
    character is UTF-8 read in one of `codepages` (tried in order); PartlyDoubleEncoded when some are and some are
    not."""
    if text.isascii():
        return text, None
    words = _words(text)
    partial: list[tuple[int, str, list[str | None]]] = []  # (words undone, code page, each word undone)
    for codepage in codepages:
        undone = [_mended(word, codepage) for word, _ in words]
        count = sum(word is not None for word in undone)
        if count == len(words):
            whole = _undone(text, codepage)
            if whole is not None:
                return whole.removeprefix("\ufeff"), codepage
        if count:
            partial.append((count, codepage, undone))
    if partial:
        _, codepage, undone = max(partial, key=lambda found: found[0])  # the first of the likeliest
        first = next(i for i, word in enumerate(undone) if word is not None)
        word, start = words[first]
        line = text.count("\n", 0, start) + 1
        raise PartlyDoubleEncoded(f"line {line}: {word!r} is UTF-8 text once read as {codepage} and saved again "
                                  f"({undone[first]!r}), and other lines are not; fix those lines, or export the file "
                                  "again")
    return text, None
