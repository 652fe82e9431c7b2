"""Pure string rules for name variants: old spelling, Muhammad forms, titles, typos (domain.md §6).

Every function is deterministic: randomness comes in as floats in [0, 1) drawn by the caller from
a seeded numpy generator. A function returns its input unchanged when the rule does not apply.
"""

from __future__ import annotations

import re

__all__ = [
    "to_old_spelling",
    "MUHAMMAD_REGISTER_FORMS",
    "MUHAMMAD_FORMS",
    "has_muhammad",
    "replace_muhammad",
    "change_double",
    "swap_words",
    "drop_word",
    "typo",
    "add_title",
    "reformat",
]

# Modern (EYD 1972) -> old (Soewandi / Van Ophuijsen) spelling, applied in one left-to-right pass.
_OLD_RULES = {"KH": "CH", "SY": "SJ", "NY": "NJ", "C": "TJ", "J": "DJ", "Y": "J", "U": "OE"}
_OLD_RE = re.compile("KH|SY|NY|C|J|Y|U")
_OLD_TOKENS = {
    "AHMAD": "ACHMAD",
    "ROHMAD": "ROCHMAD",
    "ROHMAN": "ROCHMAN",
    "ROHMAH": "ROCHMAH",
    "MAHMUDI": "MACHMOEDI",
    "MUHAMMAD": "MOEHAMMAD",
    "MUHAMAD": "MOEHAMAD",
}


def to_old_spelling(name: str) -> str:
    """Rewrite a modern-spelling name in old spelling: SUKARNO -> SOEKARNO, JOKO -> DJOKO."""
    out = []
    for tok in name.split(" "):
        special = _OLD_TOKENS.get(tok)
        if special is None and tok in _MUHAMMAD_SET:
            special = tok  # MOCHAMAD, MOH. ... are already spelled the old way
        out.append(special if special else _OLD_RE.sub(lambda m: _OLD_RULES[m.group(0)], tok))
    return " ".join(out)


# Forms of Muhammad as Dukcapil writes them, and all forms seen in employer-entered records.
MUHAMMAD_REGISTER_FORMS: tuple[tuple[str, float], ...] = (
    ("MUHAMMAD", 0.70),
    ("MUHAMAD", 0.08),
    ("MOCHAMAD", 0.08),
    ("MOCHAMMAD", 0.05),
    ("MOHAMMAD", 0.05),
    ("MOHAMAD", 0.04),
)
MUHAMMAD_FORMS: tuple[str, ...] = (
    "M.",
    "MOH.",
    "MOCH.",
    "MUH.",
    "MOCHAMAD",
    "MUHAMAD",
    "MUHAMMAD",
    "MOHAMMAD",
    "MOCHAMMAD",
    "MOHAMAD",
    "MUCHAMMAD",
    "MOEHAMMAD",
)
_MUHAMMAD_SET = frozenset(MUHAMMAD_FORMS)


def has_muhammad(name: str) -> bool:
    """True when one token of `name` is a form of Muhammad."""
    return any(tok in _MUHAMMAD_SET for tok in name.split(" "))


def replace_muhammad(name: str, u: float) -> str:
    """Write the first Muhammad token in another form (M., MOH., MOCH., MUHAMAD...)."""
    toks = name.split(" ")
    for i, tok in enumerate(toks):
        if tok in _MUHAMMAD_SET:
            choices = [f for f in MUHAMMAD_FORMS[:8] if f != tok]
            toks[i] = choices[int(u * len(choices))]
            return " ".join(toks)
    return name


_VOWELS = frozenset("AEIOU")
_DOUBLABLE = frozenset("MDLNSTFRKB")


def change_double(name: str, u: float) -> str:
    """Drop one letter of a doubled pair (MUHAMMAD -> MUHAMAD), or double a consonant between
    vowels when the name has no doubled letter (SAIFUDIN -> SAIFUDDIN)."""
    doubled = [i for i in range(len(name) - 1) if name[i] == name[i + 1] and name[i].isalpha()]
    if doubled:
        i = doubled[int(u * len(doubled))]
        return name[:i] + name[i + 1 :]
    spots = [
        i
        for i in range(1, len(name) - 1)
        if name[i] in _DOUBLABLE and name[i - 1] in _VOWELS and name[i + 1] in _VOWELS
    ]
    if not spots:
        return name
    i = spots[int(u * len(spots))]
    return name[:i] + name[i] + name[i:]


def swap_words(name: str, u: float) -> str:
    """Swap two adjacent words: SRI WAHYUNI -> WAHYUNI SRI."""
    toks = name.split(" ")
    if len(toks) < 2:
        return name
    i = int(u * (len(toks) - 1))
    toks[i], toks[i + 1] = toks[i + 1], toks[i]
    return " ".join(toks)


def drop_word(name: str, u: float) -> str:
    """Drop the middle or the last word of a name of three or more words."""
    toks = name.split(" ")
    if len(toks) < 3:
        return name
    del toks[1 if u < 0.5 else len(toks) - 1]
    return " ".join(toks)


_KEYBOARD = ["QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"]
_NEIGHBOURS: dict[str, str] = {}
for _r, _row in enumerate(_KEYBOARD):
    for _c, _ch in enumerate(_row):
        _near = [_row[j] for j in (_c - 1, _c + 1) if 0 <= j < len(_row)]
        for _rr in (_r - 1, _r + 1):
            if 0 <= _rr < len(_KEYBOARD) and _c < len(_KEYBOARD[_rr]):
                _near.append(_KEYBOARD[_rr][_c])
        _NEIGHBOURS[_ch] = "".join(_near)


def typo(name: str, u_pos: float, u_kind: float, u_char: float) -> str:
    """One-letter typo: a neighbouring key (60%), a deleted letter (20%) or a doubled key (20%)."""
    spots = [i for i, ch in enumerate(name) if "A" <= ch <= "Z"]
    if len(spots) < 4:
        return name
    i = spots[int(u_pos * len(spots))]
    ch = name[i]
    if u_kind < 0.6:
        near = _NEIGHBOURS[ch]
        return name[:i] + near[int(u_char * len(near))] + name[i + 1 :]
    if u_kind < 0.8:
        return name[:i] + name[i + 1 :]
    return name[:i] + ch + name[i:] if name[i - 1 : i] != ch else name[:i] + "A" + name[i:]


_PREFIX_M = ("H.", "H.", "H.", "DRS.", "IR.", "DR.", "KH.")
_PREFIX_F = ("HJ.", "HJ.", "HJ.", "DRA.", "IR.", "DR.")
_SUFFIX = (
    "S.PD.",
    "S.PD.",
    "S.E.",
    "S.H.",
    "A.MD.",
    "S.KOM.",
    "S.SOS.",
    "S.T.",
    "S.KEP.",
    "M.M.",
    "S.PD.I",
    "A.MD.KEP.",
)


def add_title(name: str, male: bool, u_kind: float, u_pick: float) -> str:
    """Add a title before (H., HJ., DRS., IR.) or after (", S.PD.", ", S.E.") the name."""
    if u_kind < 0.5:
        pool = _PREFIX_M if male else _PREFIX_F
        return f"{pool[int(u_pick * len(pool))]} {name}"
    suffix = _SUFFIX[int(u_pick * len(_SUFFIX))]
    return f"{name},{suffix}" if u_kind > 0.9 else f"{name}, {suffix}"


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


def reformat(name: str, u_kind: float) -> str:
    """Formatting noise only (not an error): mixed case, extra spaces, trailing punctuation."""
    k = int(u_kind * 7)
    words = name.split(" ")
    if k == 0:
        return " ".join(_cap(w) for w in words)
    if k == 1:
        first = _cap(words[0])
        return "  ".join([first] + [w.lower() for w in words[1:]]) if len(words) > 1 else first + " "
    if k == 2:
        return name + "."
    if k == 3:
        return f" {name} "
    if k == 4:
        return name.lower()
    if k == 5:
        return "  ".join(words) if len(words) > 1 else name + "  "
    return name + ","


# --- variants seen in exports nobody here wrote (issue 10; domain.md §6.2, §6.3) -------------------

_MUH_OR_TITLE = _MUHAMMAD_SET | {"H.", "HJ.", "DRS.", "DRA.", "IR.", "DR.", "KH."}


def abbreviate_word(name: str, u_word: float, u_dot: float) -> str:
    """Write one given-name word as its initial: ABDUL ROZAK -> A. ROZAK, SRI WAHYUNI LESTARI ->
    SRI W. LESTARI. The last word is kept (it carries the name people are called by); 15% of
    initials have no dot."""
    toks = name.split(" ")
    spots = [i for i, t in enumerate(toks[:-1]) if len(t) > 1 and t.isalpha() and t not in _MUH_OR_TITLE]
    if not spots:
        return name
    i = spots[int(u_word * len(spots))]
    toks[i] = toks[i][0] + ("" if u_dot < 0.15 else ".")
    return " ".join(toks)


def drop_any_word(name: str, u: float) -> str:
    """Drop any one word of a name of two or more words: BAYU PRADJA SAPUTRA -> BAYU SAPUTRA."""
    toks = name.split(" ")
    if len(toks) < 2:
        return name
    del toks[int(u * len(toks))]
    return " ".join(toks)


def add_word(name: str, word: str, u_where: float) -> str:
    """Add a word the register does not carry (a second given name, the husband's or father's name,
    -PUTRA/-PUTRI): at the end (70%) or at the front."""
    if word in name.split(" "):
        return name
    return f"{name} {word}" if u_where < 0.7 else f"{word} {name}"


def short_word_typo(name: str, u_word: float, u_kind: float, u_char: float) -> str:
    """A typo in a short word (at most 5 letters), where one letter weighs most: INDAH -> NDAH
    (first letter lost, 40%), SRI -> SEI (neighbouring key), EKO -> EKKO (doubled letter)."""
    toks = name.split(" ")
    spots = [i for i, t in enumerate(toks) if 3 <= len(t) <= 5 and t.isalpha()]
    if not spots:
        return name
    i = spots[int(u_word * len(spots))]
    t = toks[i]
    if u_kind < 0.4:
        toks[i] = t[1:]
    elif u_kind < 0.8:
        j = 1 + int(u_char * (len(t) - 1))
        near = _NEIGHBOURS.get(t[j], "A")
        toks[i] = t[:j] + near[int(u_char * 997) % len(near)] + t[j + 1 :]
    else:
        j = int(u_char * len(t))
        toks[i] = t[: j + 1] + t[j:]
    return " ".join(toks)


_VOWEL_RE = re.compile("[AEIOU]+")


def call_name(word: str) -> str:
    """The Javanese call name of a long word: its last two syllables, with the consonants before
    them (WAHYUNI -> YUNI, SUTRISNO -> TRISNO, SUPARMI -> PARMI). Short words are returned as is."""
    groups = list(_VOWEL_RE.finditer(word))
    if len(word) < 6 or len(groups) < 3:
        return word
    start = groups[-2].start()
    if start > 0 and word[start - 1] not in _VOWELS:
        start -= 1  # one consonant, or a cluster ending in R or L (TRISNO, PRAPTO)
        if start > 0 and word[start] in "RL" and word[start - 1] not in _VOWELS:
            start -= 1
    return word[start:] if len(word) - start >= 3 else word


def nickname(name: str, u_kind: float, u_word: float) -> str:
    """Only what the person is called: the call name of one long word (SRI WAHYUNI -> YUNI), or one
    word of the name alone (BAMBANG SUTRISNO -> BAMBANG)."""
    toks = [t for t in name.split(" ") if t.isalpha()]
    if not toks:
        return name
    long = [t for t in toks if call_name(t) != t]
    if long and (u_kind < 0.6 or len(toks) == 1):
        return call_name(long[int(u_word * len(long))])
    if len(toks) == 1:
        return name
    return toks[int(u_word * len(toks))]


_PREFIX_STACK = ("DRS. H.", "H.", "HJ.", "DR. H.", "IR. H.", "PROF. DR.", "DRA. HJ.", "USTADZ", "KH.")
_SUFFIX_STACK = (", S.H., M.M.", ", S.PD., M.PD.", ", S.E., M.SI.", ", S.KM.", ", A.MD.KEP.", ", S.T., M.T.", ".HJ")


def stack_titles(name: str, u_pre: float, u_suf: float) -> str:
    """Several titles around the name, as in RT/RW rosters: DRS. H. MAIDI, S.H., M.M.; or one glued
    on with a dot (SITA.HJ)."""
    pre = _PREFIX_STACK[int(u_pre * len(_PREFIX_STACK))]
    suf = _SUFFIX_STACK[int(u_suf * len(_SUFFIX_STACK))]
    return f"{pre} {name}{suf}" if suf != ".HJ" else f"{name}{suf}"


_OCR_LETTER = {"O": "0", "I": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}


def ocr_name(name: str, u: float) -> str:
    """An OCR-like confusion inside a name (SOEKARNO -> S0EKARNO, ISMAIL -> 1SMAIL)."""
    spots = [i for i, ch in enumerate(name) if ch in _OCR_LETTER]
    if not spots:
        return name
    i = spots[int(u * len(spots))]
    return name[:i] + _OCR_LETTER[name[i]] + name[i + 1 :]


def unicode_space(name: str, u: float) -> str:
    """Web or PDF copy noise: a no-break space between words, or a trailing tab."""
    if " " in name and u < 0.7:
        return name.replace(" ", "\u00a0", 1)
    return name + "\t"
