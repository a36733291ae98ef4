"""Which reading of a legacy-code-page file is text: how likely its non-ASCII letters are in some language.

A file saved in one code page and read in another mostly still reads as letters: Turkish "Şule Yılmaz" in cp1252
is "Þule Yýlmaz", Hungarian "főkönyvi" is "fõkönyvi". What gives it away:
- signs where letters belong (`odd_characters`): "Wroc³aw", "Reuni—n", "BlanchardÕs";
- the mix of letters (`assess`): no language writes þ and ý beside ü, or õ beside ű. Each language below lists its
  letters outside ASCII with their frequency in running text (rounded from published letter-frequency tables); a
  reading scores the log-likelihood of its non-ASCII characters, counted once per distinct word, under the language
  that explains them best, a letter the language does not use counting as a rare borrowing. A reading whose letters
  cost far more than the language's own entropy is a cipher (KOI8-R Russian read as cp1251), not text.
Pure Python, no I/O; `csvfile.decode` decides with these.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache


def _vietnamese() -> dict[str, float]:
    """Vietnamese letters: the vowels with a tone mark (grave, acute, hook, tilde, dot below) on a plain or
    modified vowel, and the modified letters without one (cp1258 writes the tone as a combining mark)."""
    bases = "aeiouyăâêôơư"
    marks = "\u0300\u0301\u0309\u0303\u0323"
    toned = {unicodedata.normalize("NFC", b + mark): 1.0 for b in bases for mark in marks}
    return {**toned, **dict.fromkeys("ăâêôơư", 3.0), "đ": 4.0}


# language -> letters (lower case; Turkish keeps its capital dotted I) -> frequency in running text (per cent of
# letters; only the ratios within a language matter)
LATIN: dict[str, dict[str, float]] = {
    "french": {"é": 1.5, "è": 0.27, "à": 0.49, "ê": 0.22, "ç": 0.085, "ù": 0.058, "û": 0.06, "â": 0.05, "î": 0.045,
               "ô": 0.023, "œ": 0.018, "ë": 0.008, "ï": 0.005, "ü": 0.002, "ÿ": 0.001},
    "german": {"ä": 0.58, "ö": 0.44, "ü": 1.0, "ß": 0.31, "é": 0.01},
    "spanish": {"á": 0.5, "é": 0.43, "í": 0.73, "ñ": 0.31, "ó": 0.83, "ú": 0.17, "ü": 0.012},
    "portuguese": {"á": 0.12, "â": 0.56, "ã": 0.73, "à": 0.07, "ç": 0.53, "é": 0.34, "ê": 0.45, "í": 0.13,
                   "ó": 0.3, "ô": 0.64, "õ": 0.04, "ú": 0.21, "ü": 0.03},
    "italian": {"à": 0.64, "è": 0.26, "é": 0.1, "ì": 0.03, "ò": 0.1, "ù": 0.17},
    "dutch": {"é": 0.05, "ë": 0.05, "ï": 0.02, "ö": 0.01, "ü": 0.01, "è": 0.01},
    "catalan": {"à": 0.5, "è": 0.3, "é": 0.3, "í": 0.2, "ï": 0.05, "ò": 0.2, "ó": 0.2, "ú": 0.1, "ü": 0.05,
                "ç": 0.1},
    "swedish": {"å": 1.34, "ä": 1.8, "ö": 1.31, "é": 0.01},
    "danish_norwegian": {"æ": 0.87, "ø": 0.94, "å": 1.19, "é": 0.01},
    "finnish": {"ä": 3.58, "ö": 0.44, "å": 0.01},
    "icelandic": {"á": 1.8, "æ": 0.87, "é": 0.65, "í": 1.57, "ð": 4.39, "ó": 0.99, "ö": 0.78, "ú": 0.61,
                  "ý": 0.23, "þ": 1.46},
    "polish": {"ą": 0.7, "ć": 0.74, "ę": 1.04, "ł": 2.11, "ń": 0.36, "ó": 1.14, "ś": 0.81, "ź": 0.08, "ż": 0.71},
    "czech": {"á": 0.87, "č": 0.46, "ď": 0.02, "é": 0.63, "ě": 1.22, "í": 1.64, "ň": 0.01, "ó": 0.02, "ř": 0.38,
              "š": 0.69, "ť": 0.01, "ú": 0.05, "ů": 0.2, "ý": 1.0, "ž": 0.72},
    "slovak": {"á": 2.1, "ä": 0.1, "č": 1.0, "ď": 0.2, "é": 0.7, "í": 1.4, "ĺ": 0.01, "ľ": 0.3, "ň": 0.1, "ó": 0.2,
               "ô": 0.2, "ŕ": 0.01, "š": 0.7, "ť": 0.5, "ú": 0.7, "ý": 1.3, "ž": 0.7},
    "hungarian": {"á": 3.5, "é": 2.6, "í": 0.6, "ó": 1.0, "ö": 1.0, "ő": 0.9, "ú": 0.3, "ü": 0.5, "ű": 0.2},
    "romanian": {"ă": 2.6, "â": 0.6, "î": 1.2, "ş": 1.3, "ș": 1.3, "ţ": 1.1, "ț": 1.1},
    "croatian_slovene": {"č": 1.0, "ć": 0.5, "đ": 0.2, "š": 0.9, "ž": 0.6},
    "turkish": {"ç": 1.2, "ğ": 1.1, "ı": 5.1, "İ": 0.3, "ö": 0.8, "ş": 1.8, "ü": 1.9, "â": 0.05},
    "estonian": {"ä": 0.8, "õ": 0.8, "ö": 0.2, "ü": 0.8, "š": 0.01, "ž": 0.01},
    "latvian": {"ā": 3.8, "č": 0.3, "ē": 1.7, "ģ": 0.1, "ī": 1.6, "ķ": 0.3, "ļ": 0.4, "ņ": 0.5, "š": 1.4,
                "ū": 0.5, "ž": 0.2},
    "lithuanian": {"ą": 0.6, "č": 0.4, "ę": 0.2, "ė": 1.7, "į": 0.6, "š": 1.2, "ų": 1.0, "ū": 0.5, "ž": 0.8},

    "vietnamese": _vietnamese(),
}
OTHER_SCRIPTS: dict[str, dict[str, float]] = {
    "russian": {"о": 10.97, "е": 8.45, "а": 8.01, "и": 7.35, "н": 6.7, "т": 6.26, "с": 5.47, "р": 4.73, "в": 4.54,
                "л": 4.4, "к": 3.49, "м": 3.21, "д": 2.98, "п": 2.81, "у": 2.62, "я": 2.01, "ы": 1.9, "ь": 1.74,
                "г": 1.7, "з": 1.65, "б": 1.59, "ч": 1.44, "й": 1.21, "х": 0.97, "ж": 0.94, "ш": 0.73, "ю": 0.64,
                "ц": 0.48, "щ": 0.36, "э": 0.32, "ф": 0.26, "ъ": 0.04, "ё": 0.04},
    "ukrainian": {"о": 9.4, "а": 8.6, "н": 8.0, "и": 6.1, "і": 5.9, "в": 5.3, "т": 5.1, "е": 4.9, "р": 4.6, "с": 4.2,
                  "к": 4.0, "л": 3.8, "у": 3.6, "д": 3.3, "м": 3.0, "п": 2.8, "я": 2.2, "з": 2.1, "ь": 1.9, "б": 1.7,
                  "г": 1.6, "ч": 1.4, "х": 1.2, "й": 1.1, "ї": 0.8, "ц": 0.7, "ж": 0.8, "ш": 0.8, "ю": 0.8, "є": 0.4,
                  "щ": 0.4, "ф": 0.2, "ґ": 0.01},
    "bulgarian": {"о": 9.1, "а": 9.0, "е": 8.6, "и": 7.6, "н": 6.7, "т": 6.6, "р": 5.2, "с": 4.7, "в": 4.6,
                  "л": 3.3, "к": 3.3, "д": 3.1, "п": 3.0, "м": 2.8, "ъ": 2.3, "з": 2.0, "я": 1.9, "г": 1.7, "б": 1.5,
                  "у": 1.4, "ч": 1.3, "ц": 0.9, "ж": 0.8, "й": 0.8, "ш": 0.7, "х": 0.6, "щ": 0.5, "ю": 0.2, "ф": 0.2,
                  "ь": 0.1},
    "serbian_macedonian": {"а": 11.0, "о": 9.0, "и": 9.0, "е": 8.5, "н": 6.0, "т": 5.0, "с": 5.0, "р": 5.0,
                           "ј": 5.0, "в": 4.0, "д": 3.5, "к": 3.5, "у": 3.5, "л": 3.0, "п": 3.0, "м": 3.0, "з": 1.5,
                           "г": 1.5, "б": 1.5, "ч": 1.0, "ц": 1.0, "њ": 0.6, "х": 0.5, "ж": 0.5, "ш": 0.5, "ћ": 0.8,
                           "љ": 0.5, "ђ": 0.2, "џ": 0.1, "ф": 0.2, "ѓ": 0.1, "ќ": 0.1, "ѕ": 0.05},
    "greek": {"α": 12.0, "ο": 9.8, "ε": 8.0, "τ": 8.0, "ι": 7.9, "ν": 6.6, "η": 4.5, "ρ": 4.5, "σ": 4.0, "υ": 4.0,
              "π": 4.0, "κ": 4.0, "μ": 3.5, "λ": 3.0, "ς": 2.5, "ά": 2.0, "γ": 1.8, "δ": 1.7, "ί": 1.6, "ό": 1.6,
              "ω": 1.5, "έ": 1.5, "θ": 1.2, "ή": 1.2, "χ": 1.0, "φ": 0.8, "ύ": 0.8, "β": 0.6, "ώ": 0.6, "ξ": 0.4,
              "ζ": 0.3, "ψ": 0.15, "ϊ": 0.05, "ϋ": 0.02, "ΐ": 0.01, "ΰ": 0.005},
    "hebrew": {"י": 11.0, "ו": 10.0, "ה": 9.0, "ל": 7.0, "א": 6.0, "מ": 6.0, "ר": 5.5, "ב": 5.0, "ת": 5.0, "ש": 4.5,
               "נ": 4.0, "ע": 3.0, "ם": 3.0, "ד": 3.0, "כ": 2.5, "ח": 2.5, "ק": 2.0, "פ": 2.0, "ן": 1.5, "ג": 1.3,
               "צ": 1.0, "ס": 1.0, "ז": 0.8, "ט": 0.8, "ך": 0.6, "ף": 0.4, "ץ": 0.3},
    "arabic": {"ا": 12.0, "ل": 11.0, "ي": 7.0, "م": 6.0, "و": 6.0, "ن": 6.0, "ه": 5.0, "ر": 4.5, "ت": 4.0, "ب": 3.5,
               "ع": 3.0, "ك": 3.0, "ف": 3.0, "د": 3.0, "ق": 2.5, "س": 2.5, "ة": 2.5, "ح": 2.0, "أ": 2.0, "ج": 1.5,
               "ى": 1.5, "إ": 1.0, "ش": 1.0, "ص": 1.0, "ط": 1.0, "خ": 0.8, "ض": 0.7, "ذ": 0.7, "ز": 0.5, "غ": 0.4,
               "ث": 0.4, "ء": 0.4, "ئ": 0.4, "آ": 0.3, "ؤ": 0.2, "ظ": 0.2, "پ": 0.3, "چ": 0.2, "گ": 0.2, "ک": 0.3,
               "ی": 0.5},
}
SCRIPTS = ("GREEK", "CYRILLIC", "HEBREW", "ARABIC")  # letters of these inside a Latin word are a misreading
BACKGROUND = 0.002  # share of a language's non-ASCII letters that may be borrowed (names, loanwords), spread evenly
BACKGROUND_LETTERS = 200  # ... over about this many letters
NON_ASCII = re.compile(r"[^\x00-\x7f]")
# signs a note or a name is typed with (Word and Excel turn quotes and dashes typographic): as likely as a letter
TYPOGRAPHIC = frozenset("’‘“”„«»–—…•·€£¥¢°©®™§¶½¼¾×÷±µ¡¿\u00a0")
TYPOGRAPHIC_SIGN = 0.1
LONE_CAPITALS = frozenset("ÀÁÂÄÅÈÉÊÍÌÓÒÔÖØÚÙÜ")  # Latin capitals that are a word alone ("À faire", Danish "Ø")
EDGE_PUNCTUATION = frozenset("¡¿…•‚")  # other punctuation that may touch a word ("¿Qué", "etc…"); not ¶ § † ‰


def _key(ch: str) -> str:
    low = ch.lower()
    return low if len(low) == 1 else ch  # "İ".lower() is two characters


# Languages a firm in Western Europe or the Americas mixes in one export (a Swiss firm's German and French notes,
# a Spanish client's name): their pooled letters are one more table, each letter at its mean share.
WESTERN = ("french", "german", "spanish", "portuguese", "italian", "dutch", "catalan", "swedish", "danish_norwegian",
           "finnish")


@cache
def _tables() -> dict[str, dict[str, float]]:
    """Language -> letter -> probability among the language's non-ASCII letters."""
    tables = {name: {c: f / sum(freqs.values()) for c, f in freqs.items()}
              for name, freqs in {**LATIN, **OTHER_SCRIPTS}.items()}
    pooled: dict[str, float] = {}
    for name in WESTERN:
        for c, p in tables[name].items():
            pooled[c] = pooled.get(c, 0.0) + p / len(WESTERN)
    return {**tables, "western_mixed": pooled}


def _script(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    return next((s for s in SCRIPTS if name.startswith(s)), None)


def characters_used(words: str) -> Counter[str]:
    """The non-ASCII characters of a file's distinct words (one per line), letters in lower case. Counted over
    distinct words: a client's name on every row is one word, not five hundred."""
    composed = unicodedata.normalize("NFC", words)  # a letter and a combining accent (cp1258) are one letter
    return Counter(_key(ch) if ch.isalpha() else ch for ch in NON_ASCII.findall(composed))


@dataclass(frozen=True)
class Reading:
    """How likely one reading's characters are: `score` in nats, under the language that explains its letters
    best; `surprise`: how many nats a letter costs on average beyond that language's own entropy (a text in the
    language costs about 0; a misread one several)."""

    score: float
    language: str
    letters: int
    surprise: float


def assess(characters: Counter[str]) -> Reading:
    """A letter scores under the language that explains the letters best; a typographic sign (quotes, dashes,
    currency, degree, no-break space) as a common character; any other sign as a rare one: Arabic read in Mac
    Roman is signs ("„«⁄"), not text."""
    floor = BACKGROUND / BACKGROUND_LETTERS
    letters = {c: n for c, n in characters.items() if c.isalpha()}
    signs = sum(n * math.log(TYPOGRAPHIC_SIGN if c in TYPOGRAPHIC else floor)
                for c, n in characters.items() if not c.isalpha())
    if not letters:
        return Reading(signs, "", 0, 0.0)
    total = sum(letters.values())
    best, language = max((sum(n * math.log((1 - BACKGROUND) * table.get(c, 0.0) + floor)
                              for c, n in letters.items()), name) for name, table in _tables().items())
    return Reading(best + signs, language, total, -best / total - _entropy(language))


@cache
def _entropy(language: str) -> float:
    return -sum(p * math.log(p) for p in _tables()[language].values())


def _ascii_letters(text: str, i: int, step: int) -> str:
    """The run of ASCII letters beside position i, going left (step -1) or right (step 1)."""
    j = i
    while 0 <= j < len(text) and text[j].isascii() and text[j].isalpha():
        j += step
    return text[j + 1:i + 1] if step < 0 else text[i:j]


def _lone_letter_after(text: str, i: int) -> bool:
    """Whether the apostrophe at i ends a word of three letters or more with one letter that no contraction ends
    with ("Garc’a" is Mac Roman's "García" in cp1252; not "it’s", "don’t", "we’d", "I’m", "dell’anno")."""
    right = _ascii_letters(text, i + 1, 1)
    return len(_ascii_letters(text, i - 1, -1)) >= 3 and len(right) == 1 and right.lower() not in "stdm" and not (
        i + 2 < len(text) and text[i + 2].isalpha())


def _joins_words(text: str, i: int, vocabulary: frozenset[str]) -> bool:
    """Whether the character at i stands between two of the file's own words ("memo—then", "Jan–Mar"): a dash or
    a quote joining them, not a letter inside one word."""
    left, right = _ascii_letters(text, i - 1, -1), _ascii_letters(text, i + 1, 1)
    return min(len(left), len(right)) >= 2 and left.lower() in vocabulary and right.lower() in vocabulary


def odd_characters(text: str, vocabulary: frozenset[str] = frozenset(), between: bool = True) -> int:
    """The signs where letters belong of `odd_signs`, the soft ones too unless `between` is False."""
    hard, soft = odd_signs(text, vocabulary)
    return hard + soft if between else hard


def odd_signs(text: str, vocabulary: frozenset[str] = frozenset()) -> tuple[int, int]:
    """Characters a wrong code page leaves where letters belong:
    - non-ASCII symbols and digit signs against a letter ("Wroc³aw", "£ukasz", "Âñòðå÷à", Mac Roman's Apple logo in
      "BÁrziÚ");
    - letters of another script inside a Latin word ("prיparation"), and accents that sit on no letter they can
      combine with (an Arabic vowel sign on a Latin letter);
    - dashes or quotes between two letters ("Reuni—n" is Mac Roman's "Reunión" in cp1252), a pilcrow or dagger
      against a word ("¶γιο" is ISO 8859-7's "Άγιο" in cp1253);
    - a capital after a lower-case letter ("BlanchardÕs" is Mac Roman's "Blanchard’s"), a letter alone before a
      number ("Ł825" is cp1250's "£825"), C1 control characters.
    - between two words of the file's `vocabulary` (lower-case ASCII words it holds alone), a letter rather than a
      sign ("memoóthen" is cp1252's "memo—then" in Mac Roman); a lower-case letter before an ASCII capital
      ("JanñMar"); a Latin capital alone that is no word ("Status call Ð weekly" is Mac Roman's en dash in
      cp1252); a spacing accent against a letter ("Josˇ" is Mac Roman's "José" in cp1257), but for the okina and
      the modifier apostrophe.
    A pound or euro sign before a number, a dash joining runs of four letters or more ("memo—then") and an
    apostrophe in "don’t" are not counted. (hard, soft): soft are a dash between shorter runs, an opening quote
    after a letter and an apostrophe before a last lone letter ("pre–approval", "No‘l", "Garc’a"), on which a
    caller refuses rather than choose."""
    hard = soft = 0
    text = unicodedata.normalize("NFC", text)
    for match in NON_ASCII.finditer(text):
        i, ch = match.start(), match.group()
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        latin_beside = (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha())
        kind = unicodedata.category(ch)[0]
        if vocabulary and latin_beside and _joins_words(text, i, vocabulary):
            hard += ch.isalpha() or kind == "M"
            continue
        if ch.isalpha():
            hard += bool(_script(ch)) and latin_beside
            hard += ch.isupper() and before.islower()  # "BlanchardÕs", "GesprŠch", "версиЯ"
            hard += ch.isupper() and before.isupper() and after.isascii() and after.islower()  # "IÕm" (Mac "I’m")
            hard += not before.isalpha() and after.isdigit()  # "Ł825" is "£825" in cp1250
            hard += ch.islower() and after.isascii() and after.isupper()  # "JanñMar" is Mac Roman's "Jan–Mar"
            hard += "\u02b0" <= ch <= "\u02ff" and ch not in "ʻʼ" and (before.isalpha() or after.isalpha())  # "Josˇ"
            hard += (ch.isupper() and before.isspace() and after.isspace() and ch not in LONE_CAPITALS
                     and unicodedata.name(ch, "").startswith("LATIN"))
        elif kind == "M":
            hard += latin_beside
        elif unicodedata.category(ch) == "Cc":  # a C1 control: ISO-8859 reading Windows quotes and dashes
            hard += 1
        elif kind in "SN" or unicodedata.category(ch) == "Co":
            hard += before.isalpha() or after.isalpha()
        elif ch == "’":  # an apostrophe ("don’t", "dell’anno"), or Mac Roman's í in "Garc’a", "Mart’n"
            soft += _lone_letter_after(text, i)
        elif kind == "P" and not (ch == "·" and before in "lL" and after in "lL"):
            touching = before.isalpha() + after.isalpha()
            shortest = (min(len(_ascii_letters(text, i - 1, -1)), len(_ascii_letters(text, i + 1, 1)))
                        if ch in "–—" and touching == 2 else 0)
            if shortest >= 4:
                continue  # "memo—then" joins two words (Mac Roman's ó and ñ seldom stand between such runs)
            if shortest >= 2 or (ch == "‘" and before.isalpha()):
                soft += 1  # "pre–approval" or Mac Roman's "Casta–eda"; "No‘l", "Zo‘" (Mac Roman's ë) or an okina
            else:
                sign_like = unicodedata.category(ch) == "Po" and ch not in EDGE_PUNCTUATION
                hard += touching == 2 or (touching == 1 and sign_like)
    return hard, soft


_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_ODD_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")


def visible(name: str) -> str:
    """A name as a person sees it: zero-width spaces, joiners, direction marks and soft hyphens removed (a name
    pasted from a web page or chat, "Raj\u200b Patel", billed at the default rate instead of his override), and
    no-break or other typographic spaces read as a plain space. Spaces are not collapsed: names still match
    exactly, as the spec says."""
    if name.isascii():
        return name
    return _ODD_SPACES.sub(" ", _INVISIBLE.sub("", name))


def composed(text: str) -> str:
    """Text in Unicode's composed form (NFC): "José" written as "e" + a combining accent (as some Mac tools
    write it) is the same name as the rate card's "José", and must match it."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
