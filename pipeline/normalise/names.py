"""Indonesian name normalisation to a common key, applied the same way to both sides
(domain.md §6): we never rewrite one side into the other's spelling; both collapse to one key.

The rules are data: an ordered list of (label, regex, replacement). `name_key_sql` compiles them
into nested DuckDB `regexp_replace` calls (RE2); `name_key` applies them with Python's `re` and is
the reference the tests compare against. Patterns use only syntax both engines share.

The key is upper case, letters only, tokens in their written order separated by one space;
`name_sorted_sql` / `sorted_key` also sort the tokens so word order does not matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from pipeline.sqltext import sql_literal

__all__ = ["NameRule", "NAME_RULES", "name_key", "sorted_key", "name_key_sql", "name_sorted_sql", "initials_agree",
           "monge_elkan", "monge_elkan_words", "WORDS_SIMILAR", "may_be_one_name"]


@dataclass(frozen=True)
class NameRule:
    label: str
    pattern: str
    replacement: str


_PRE_TITLES = "H|HJ|HJH|HAJI|HAJJAH|KH|DR|DRS|DRA|IR|PROF|USTADZ|USTADZAH|UST|NY|TN|SDR|SDRI|ALM|ALMH"
# Titles some lists append after the name ("SITA.HJ", domain.md §6.2); not a bare "H", which there is
# as likely the initial of a last word.
_POST_TITLES = "HJ|HJH|HAJI|HAJJAH|KH|DR|DRS|DRA|IR|PROF|ALM|ALMH"
# Post-nominal degrees, as token runs after punctuation became spaces ("S.Pd." -> "S PD").
_DEGREES = (
    "S PD I|S PD|SPD|SPDI|S E|SE|S H|SH|S H I|SHI|S SOS|SSOS|S T|S KEP|SKEP|S KM|SKM|S KOM|SKOM|S AG|SAG|"
    "S IP|SIP|S P|S S|S SI|S PSI|S FARM|S KED|S TR|S GZ|S ST|A MD|AMD|A MD KEP|A MD KEB|AMD KEP|AMD KEB|"
    "M M|MM|M PD|MPD|M SI|MSI|M KES|MKES|M H|MH|M T|MT|M AG|M AP|M HUM|APT|SP A|SP OG|SP PD"
)
_MUHAMMAD = ("M|MOH|MOCH|MOCHAMAD|MOCHAMMAD|MOHAMAD|MOHAMMAD|MOHAMMED|MOHAMED|MUH|MUHAMAD|MUHAMMAD|"
             "MUHAMMED|MUKHAMMAD|MUKHAMAD|MUCHAMMAD|MUCHAMAD|MOKHAMAD|MOKHAMMAD|MOHD|MHD|MUHD|MOHAMAT")

def _spaced(alternatives: str) -> str:
    # Tokens are kept as " A  B " (each with its own spaces) so matches never share a space.
    return alternatives.replace(" ", "  ")


def _token_rules(after: str = "") -> tuple[NameRule, ...]:
    # Whole-token rules. They run again after the spelling rules, which can make a title, a degree or a
    # Muhammad form of a token ("Nj." -> "NY", "S.Th." -> "S T", "Mochamat" -> "MOHAMAT"): so the key
    # of a key is the key.
    return (
        NameRule(f"bin/binti and the father's name{after}", r" (BIN|BINTI|BT) .*$", ""),
        NameRule(f"degrees after the name{after}", rf"( ({_spaced(_DEGREES)}) )+$", ""),
        NameRule(f"titles before the name{after}", rf"^( ({_PRE_TITLES}) )+", ""),
        NameRule(f"titles after the name{after}", rf"( ({_POST_TITLES}) )+$", ""),
        NameRule(f"Muhammad and its abbreviations{after}", rf" ({_MUHAMMAD}) ", " MUHAMAD "),
    )


NAME_RULES: tuple[NameRule, ...] = (
    NameRule("degrees after a comma", r"(?s),.*$", ""),  # (?s): up to the end even across a line break
    NameRule("apostrophes", r"['`\x{2019}\x{2018}]", ""),
    NameRule("punctuation and digits to spaces", r"[^A-Z]+", " "),
    NameRule("trim", r"^ +| +$", ""),
    NameRule("each token its own spaces", r" ", "  "),
    NameRule("pad", r"^(.*)$", r" \1 "),
    *_token_rules(),
    # Spelling. Each rule's output must not form an earlier rule's pattern, hence Q first, the '+'
    # (repeated letters) and sy/sh together.
    NameRule("q -> k", r"Q", "K"),
    NameRule("old spelling oe -> u", r"OE", "U"),
    NameRule("old spelling tj -> c", r"TJ", "C"),
    NameRule("old spelling dj -> j", r"DJ", "J"),
    NameRule("j and y collapse (sj/sy, nj/ny, j/y)", r"J", "Y"),
    NameRule("ch/kh -> h", r"[CK]+H+", "H"),
    NameRule("sy/sh -> s", r"S[HY]+", "S"),
    NameRule("dh -> d", r"DH+", "D"),
    NameRule("th -> t", r"TH+", "T"),
    NameRule("ie -> i", r"IE+", "I"),
    NameRule("v -> f", r"V", "F"),
    NameRule("doubled letters A-I", r"(A)A+|(B)B+|(C)C+|(D)D+|(E)E+|(F)F+|(G)G+|(H)H+|(I)I+",
             r"\1\2\3\4\5\6\7\8\9"),
    NameRule("doubled letters J-R", r"(J)J+|(K)K+|(L)L+|(M)M+|(N)N+|(O)O+|(P)P+|(Q)Q+|(R)R+",
             r"\1\2\3\4\5\6\7\8\9"),
    NameRule("doubled letters S-Z", r"(S)S+|(T)T+|(U)U+|(V)V+|(W)W+|(X)X+|(Y)Y+|(Z)Z+", r"\1\2\3\4\5\6\7\8"),
    NameRule("final h dropped", r"([A-Z])H ", r"\1 "),
    *_token_rules(" (after spelling)"),
    NameRule("ST. is Siti", r"^ ST ", " SITI "),
    NameRule("single spaces", r" +", " "),
    NameRule("trim again", r"^ +| +$", ""),
)

# Upper-casing agrees between Python and DuckDB only in ASCII (Python: "ß" -> "SS", "ﬁ" -> "FI"), so
# other characters become spaces first, as nearly all of them would after upper-casing anyway. Before
# that, what a cell carries unseen inside a word (zero-width spaces and joiners, a BOM, a soft hyphen)
# is removed, and Latin letters with accents lose them ("JOSÉ" is JOSE, not "JOS"), the same on both
# sides: a plain character table rather than Unicode decomposition, on which the engines may differ.
_NOT_ASCII = r"[^\x00-\x7F\x{2018}\x{2019}]"
_UNSEEN = r"[\x{200B}-\x{200D}\x{2060}\x{FEFF}\x{00AD}]"
_ACCENTED = "ÀÁÂÃÄÅàáâãäåÈÉÊËèéêëÌÍÎÏìíîïÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÑñÇçÝýÿ"
_UNACCENTED = "AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOOooooooUUUUuuuuNnCcYyy"
assert len(_ACCENTED) == len(_UNACCENTED)


def _python_pattern(pattern: str) -> str:
    # RE2 writes a code point as \x{2019}; Python as \u2019.
    return re.sub(r"\\x\{([0-9A-Fa-f]{4})\}", lambda m: f"\\u{m.group(1)}", pattern)


_COMPILED = tuple((re.compile(_python_pattern(r.pattern)), r.replacement) for r in NAME_RULES)
_NOT_ASCII_RE = re.compile(_python_pattern(_NOT_ASCII))
_UNSEEN_RE = re.compile(_python_pattern(_UNSEEN))
_UNACCENT = str.maketrans(_ACCENTED, _UNACCENTED)


def _expand(match: re.Match[str], replacement: str) -> str:
    # RE2 writes '' for a group that did not take part; Python's template would fail on it.
    return re.sub(r"\\(\d)", lambda g: match.group(int(g.group(1))) or "", replacement)


def name_key(name: str | None) -> str:
    """Reference normaliser. Examples:

    >>> name_key("Drs. H. Soekarno, S.H., M.M.")
    'SUKARNO'
    >>> name_key("MOCH. DJOKO TJAHJONO"), name_key("Muhamad Joko Cahyono")
    ('MUHAMAD YOKO CAHYONO', 'MUHAMAD YOKO CAHYONO')
    """
    s = _NOT_ASCII_RE.sub(" ", _UNSEEN_RE.sub("", name or "").translate(_UNACCENT)).upper()
    for pattern, replacement in _COMPILED:
        s = pattern.sub(lambda m, r=replacement: _expand(m, r), s)
    return s


def sorted_key(name: str | None) -> str:
    """`name_key` with its tokens sorted, so word order does not matter."""
    return " ".join(sorted(name_key(name).split()))


def name_key_sql(column: str) -> str:
    """The DuckDB expression computing `name_key` over a text column."""
    visible = f"translate(regexp_replace(coalesce({column}, ''), '{_UNSEEN}', '', 'g'), '{_ACCENTED}', '{_UNACCENTED}')"
    expr = f"upper(regexp_replace({visible}, '{_NOT_ASCII}', ' ', 'g'))"
    for rule in NAME_RULES:
        expr = f"regexp_replace({expr}, {sql_literal(rule.pattern)}, {sql_literal(rule.replacement)}, 'g')"
    return expr


def name_sorted_sql(key_column: str) -> str:
    """Sorted-token form of a `name_key` column."""
    return f"array_to_string(list_sort(string_split({key_column}, ' ')), ' ')"


# Word-level similarity of two keys (tokens separated by one space). Officers and employers write the
# same person as "A. ROZAK" / "ABDUL ROZAK" or drop a word and mistype another: whole-string measures
# see two different names there, word-by-word ones do not.


def _covers(words: list[str], other: list[str]) -> bool:
    """Every token of `words` is a word of `other` or the initial of one of its words; at least one
    initial is used and at least one whole word is shared."""
    whole, initials = set(other), {w[0] for w in other if len(w) > 1}
    used_initial = shared_word = False
    for token in words:
        if len(token) == 1 and token in initials:
            used_initial = True
        elif token in whole:
            shared_word = shared_word or len(token) > 1
        else:
            return False
    return used_initial and shared_word


def initials_agree(a: str, b: str) -> bool:
    """One name written with initials for some of the other's words. Examples:

    >>> initials_agree("A ROZAK", "ABDUL ROZAK"), initials_agree("LESTARI SRI W", "LESTARI SRI WAHYUNI")
    (True, True)
    >>> initials_agree("B ROZAK", "ABDUL ROZAK"), initials_agree("ROZAK", "ABDUL ROZAK")
    (False, False)
    """
    ta, tb = a.split(), b.split()
    return bool(ta and tb) and (_covers(ta, tb) or _covers(tb, ta))


def _word_similarity(t: str, u: str) -> float:
    if (len(t) == 1 and u.startswith(t)) or (len(u) == 1 and t.startswith(u)):
        return 1.0  # an initial agrees with the word
    return JaroWinkler.similarity(t, u)


def _directed(short: list[str], long: list[str]) -> float:
    return sum(max(_word_similarity(t, u) for u in long) for t in short) / len(short)


def monge_elkan(a: str, b: str) -> float:
    """Monge-Elkan over Jaro-Winkler: each word of the name with fewer words is matched to its most
    similar word of the other (an initial agrees with a word it begins), and the scores averaged.
    With as many words on both sides the better direction counts. 0 when a name is empty. Examples:

    >>> round(monge_elkan("RIMA", "KURNIAWATI RISMA"), 3), round(monge_elkan("NDAH PUTRI", "INDAH"), 3)
    (0.947, 0.933)
    """
    return monge_elkan_words(a.split(), b.split())


def monge_elkan_words(ta: list[str], tb: list[str]) -> float:
    """`monge_elkan` over two word lists."""
    if not ta or not tb:
        return 0.0
    if len(ta) != len(tb):
        short, long = (ta, tb) if len(ta) < len(tb) else (tb, ta)
        return _directed(short, long)
    return max(_directed(ta, tb), _directed(tb, ta))


# Monge-Elkan score from which every word of the shorter name counts as found in the longer (one
# typo in a word of five letters or more keeps Jaro-Winkler above it).
WORDS_SIMILAR = 0.88


def _nickname_of(a: str, b: str) -> bool:
    """A one-word name of three letters or more found inside the other ("WOYO" in SISWOYO)."""
    return " " not in a and len(a) >= 3 and a in b


def may_be_one_name(a: str, b: str) -> bool:
    """Two sorted name keys that can be one person's, written another way: most words shared, a word
    dropped or added with typos, initials, or a nickname. Not a match score: a test that two names
    do not contradict each other. Examples:

    >>> may_be_one_name("SISWOYO", "NUR SANTOSO SISWOYO"), may_be_one_name("HARNO", "HERU SUHARNO")
    (True, True)
    >>> may_be_one_name("PUSPITKSARI", "PUSPITASARI SRIYATI"), may_be_one_name("SUTRISNO", "SRI WAHYUNI")
    (True, False)
    """
    if not a or not b:
        return False
    return (fuzz.token_set_ratio(a, b) >= 75 or monge_elkan(a, b) >= WORDS_SIMILAR or initials_agree(a, b)
            or _nickname_of(a, b) or _nickname_of(b, a))
