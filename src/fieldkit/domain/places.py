"""Places: ISO 3166-2 first-level subdivisions (regions, provinces, states) of a country.

The data and its translations come from pycountry, which ships the Debian iso-codes database and
its gettext catalogues inside the package: everything here works offline. A subdivision is named
by its ISO 3166-2 code ("ML-7" for Gao, Mali). A record stores a subdivision answer the way it
stores any vocabulary answer, ``name:version:code`` (``iso3166-2:26.2.16:ML-7``), where the
version is that of the data in use; readers take the part after the last ``:`` as the code, so
answers stored under an older version keep their meaning.

Free text typed in older records ("Tillaberi", "TILLABÉRI") is matched to a code with
:func:`match_subdivision`, which compares names after :func:`normalise_place`.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata

import pycountry

SUBDIVISION_VOCABULARY = "iso3166-2"
"""The vocabulary name in a stored subdivision answer."""


def _data_version() -> str:
    """The version of pycountry's data (its release follows the iso-codes database it ships)."""
    try:
        return metadata.version("pycountry")
    except metadata.PackageNotFoundError:
        return "1"


SUBDIVISION_VERSION = _data_version()
"""The version of the subdivision list, as stored in answers made with it."""
SUBDIVISION_PREFIX = f"{SUBDIVISION_VOCABULARY}:{SUBDIVISION_VERSION}:"
"""What a stored subdivision answer made with this data starts with."""

MATCH_LANGUAGES = ("fr", "ar")
"""Languages, besides the ISO name itself, whose names :func:`match_subdivision` recognises."""


@dataclass(frozen=True)
class Subdivision:
    """One ISO 3166-2 subdivision: its code, its ISO name and its name in a language."""

    code: str
    name: str
    local_name: str

    @property
    def country(self) -> str:
        """The alpha-3 code of the country the subdivision belongs to."""
        return country_of(self.code)

    @property
    def stored(self) -> str:
        """The answer as a record stores it: ``iso3166-2:<version>:<code>``."""
        return stored_subdivision(self.code)


def stored_subdivision(code: str) -> str:
    """``ML-7`` as a record stores it: ``iso3166-2:<version>:ML-7``."""
    return f"{SUBDIVISION_PREFIX}{short_code(code)}"


def short_code(value: str) -> str:
    """The code in a stored answer (the part after the last ``:``); a short code is returned
    unchanged."""
    return value.rpartition(":")[2].strip()


def is_stored_subdivision(value: str) -> bool:
    """Whether ``value`` has the shape of a stored subdivision answer (of any data version)."""
    name, _sep, rest = value.partition(":")
    return name == SUBDIVISION_VOCABULARY and ":" in rest and bool(short_code(value))


def _country(country: str) -> object | None:
    """The pycountry country named by an alpha-3 or alpha-2 code (or a stored country answer)."""
    code = short_code(country).upper()
    if len(code) == 3:
        return pycountry.countries.get(alpha_3=code)
    if len(code) == 2:
        return pycountry.countries.get(alpha_2=code)
    return None


def _alpha2(country: str) -> str | None:
    found = _country(country)
    return None if found is None else str(found.alpha_2)  # type: ignore[attr-defined]


@lru_cache(maxsize=16)
def _catalogue(language: str) -> gettext.NullTranslations:
    """pycountry's translations of subdivision names into ``language`` (English when it has
    none for that language)."""
    lang = language.replace("-", "_")
    return gettext.translation(
        "iso3166-2", pycountry.LOCALES_DIR, languages=[lang, lang.split("_")[0]], fallback=True
    )


def localised_name(name: str, language: str) -> str:
    """An ISO subdivision name in ``language``, or the ISO name when no translation exists."""
    if language.split("-")[0].split("_")[0] == "en":
        return name
    return _catalogue(language).gettext(name)


@lru_cache(maxsize=16)
def _country_catalogue(language: str) -> gettext.NullTranslations:
    """pycountry's translations of country names into ``language``."""
    lang = language.replace("-", "_")
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[lang, lang.split("_")[0]], fallback=True
    )


def country_name(country: str, language: str = "en") -> str | None:
    """The name of ``country`` (alpha-3, alpha-2 or a stored answer) in ``language`` (its ISO
    name where pycountry has no translation), or None for an unknown code."""
    found = _country(country)
    if found is None:
        return None
    name = str(found.name)  # type: ignore[attr-defined]
    if language.split("-")[0].split("_")[0] == "en":
        return name
    return _country_catalogue(language).gettext(name)


def countries(language: str = "en") -> list[tuple[str, str]]:
    """(alpha-3 code, name in ``language``) of every country, sorted by that name."""
    return list(_countries(language))


@lru_cache(maxsize=16)
def _countries(language: str) -> tuple[tuple[str, str], ...]:
    """:func:`countries`, made once per language (every filter form offers them)."""
    named = [
        (str(c.alpha_3), country_name(str(c.alpha_3), language) or str(c.name))
        for c in pycountry.countries
    ]
    return tuple(sorted(named, key=lambda pair: (_sort_key(pair[1]), pair[0])))


def _sort_key(text: str) -> str:
    """Accents and case ignored, so that "Ségou" sorts with "Segou" (no collator needed)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=1)
def _by_country() -> dict[str, tuple[tuple[str, str], ...]]:
    """(code, ISO name) of each country's subdivisions that have no parent, by alpha-2 code."""
    found: dict[str, list[tuple[str, str]]] = {}
    for entry in pycountry.subdivisions:
        if getattr(entry, "parent_code", None) is None:
            alpha2 = str(entry.country_code).upper()
            found.setdefault(alpha2, []).append((str(entry.code), str(entry.name)))
    return {alpha2: tuple(sorted(entries)) for alpha2, entries in found.items()}


@lru_cache(maxsize=1)
def _by_code() -> dict[str, str]:
    """Every subdivision's ISO name (first-level or not) by code."""
    return {str(entry.code).upper(): str(entry.name) for entry in pycountry.subdivisions}


def _first_level(alpha2: str) -> tuple[tuple[str, str], ...]:
    return _by_country().get(alpha2.upper(), ())


def subdivisions(country: str, language: str = "en") -> list[Subdivision]:
    """The first-level subdivisions of ``country`` (alpha-3 "MLI" or alpha-2 "ML"), named in
    ``language`` (English where pycountry has no translation), sorted by that name. An unknown
    country, or one without subdivisions, has none."""
    alpha2 = _alpha2(country)
    if alpha2 is None:
        return []
    found = [
        Subdivision(code, name, localised_name(name, language))
        for code, name in _first_level(alpha2)
    ]
    return sorted(found, key=lambda s: (_sort_key(s.local_name), s.code))


def all_first_level() -> list[Subdivision]:
    """The first-level subdivisions of every country, by code, with their ISO names."""
    return [
        Subdivision(code, name, name)
        for alpha2 in sorted(_by_country())
        for code, name in _by_country()[alpha2]
    ]


def subdivision(code: str, language: str = "en") -> Subdivision | None:
    """The subdivision with ISO 3166-2 code ``code`` ("ML-7", or a stored answer), or None."""
    wanted = short_code(code).upper()
    name = _by_code().get(wanted)
    if name is None:
        return None
    return Subdivision(wanted, name, localised_name(name, language))


def is_first_level_of(code: str, country: str) -> bool:
    """Whether ``code`` (short or stored) is a first-level subdivision of ``country``."""
    alpha2 = _alpha2(country)
    if alpha2 is None:
        return False
    wanted = short_code(code).upper()
    return any(known == wanted for known, _name in _first_level(alpha2))


def country_of(code: str) -> str:
    """The alpha-3 code of the country of subdivision ``code`` ("ML-7" -> "MLI").

    Raises ValueError when the code does not start with a known country's alpha-2 code."""
    prefix = short_code(code).partition("-")[0]
    found = _country(prefix) if len(prefix) == 2 else None
    if found is None:
        raise ValueError(f"not an ISO 3166-2 code: {code!r}")
    return str(found.alpha_3)  # type: ignore[attr-defined]


def normalise_place(text: str) -> str:
    """A place name reduced for comparison: compatibility-decomposed, accents removed, case
    folded, punctuation and symbols (hyphens, apostrophes) as spaces, spaces collapsed:
    "Tillabéri", "TILLABERI " and "tillaberi" all give "tillaberi"."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        category = unicodedata.category(char)
        kept.append(" " if category[0] in "PSZC" else char)
    return " ".join("".join(kept).casefold().split())


def _variants(name: str) -> set[str]:
    """Shorter spellings of an ISO name that people type: without what is in brackets
    ("Guyane (française)" -> "Guyane"), the part before an inverting comma ("Madrid, Comunidad
    de" -> "Madrid") or either side of a ";" listing alternative names."""
    variants: set[str] = set()
    for part in name.split(";"):
        variants.add(part)
        variants.add(_BRACKETS.sub(" ", part))
        variants.add(part.split(",")[0])
        variants.add(_BRACKETS.sub(" ", part.split(",")[0]))
    variants.discard(name)
    return variants


_BRACKETS = re.compile(r"[(\[][^)\]]*[)\]]")


@lru_cache(maxsize=256)
def _names_index(alpha2: str, variants: bool) -> dict[str, frozenset[str]]:
    """For one country: each normalised name or code of its first-level subdivisions, and the
    codes it may mean (more than one when two subdivisions share a name). With ``variants``,
    the shorter spellings of :func:`_variants` instead."""
    index: dict[str, set[str]] = {}
    for code, name in _first_level(alpha2):
        names = {name} | {localised_name(name, language) for language in MATCH_LANGUAGES}
        if variants:
            spellings = set().union(*(_variants(each) for each in names))
        else:
            spellings = names | {code, code.partition("-")[2]}
        for spelling in spellings:
            key = normalise_place(spelling)
            if key:
                index.setdefault(key, set()).add(code)
    return {key: frozenset(codes) for key, codes in index.items()}


def match_subdivision(country_alpha3: str, text: str) -> str | None:
    """The code of the first-level subdivision of ``country_alpha3`` (alpha-2 also accepted)
    whose name (ISO, French, Arabic where pycountry translates it) or code ("ML-7" or "7")
    normalises to the same as ``text``; None when nothing matches or several do. Full names and
    codes are tried first, then shorter spellings ("Madrid" for "Madrid, Comunidad de")."""
    alpha2 = _alpha2(country_alpha3)
    key = normalise_place(text)
    if alpha2 is None or not key:
        return None
    codes = _names_index(alpha2, False).get(key)
    if codes is None:
        codes = _names_index(alpha2, True).get(key, frozenset())
    return next(iter(codes)) if len(codes) == 1 else None
