"""Celery's settings catalog and kombu's serializer aliases, without importing either.

The tables live in :mod:`celerylint._catalog_data`, generated from the installed
Celery and kombu by ``scripts/gen_catalog.py`` (importing Celery costs about
0.25 s, too much for a pre-commit hook). The functions here replay the few
pieces of Celery logic that decide which configuration keys count:

* ``ConfigurationView._to_keys`` (celery/utils/collections.py): the keys tried,
  in order, when a setting is read (:func:`lookup_keys`);
* ``detect_settings`` (celery/app/utils.py): the "Cannot mix new and old
  setting keys" error (:func:`mixing_error`).

``tests/test_catalog.py`` checks both against real Celery.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable
from typing import NamedTuple

from celerylint import _catalog_data as _data

__all__ = [
    "CELERY_VERSION",
    "KOMBU_VERSION",
    "UNREPRESENTABLE",
    "Misprefixed",
    "canonical_serializer",
    "classify_source_key",
    "closest_settings",
    "content_type",
    "default",
    "deprecation",
    "is_old_name",
    "is_setting",
    "lookup_keys",
    "misprefixed",
    "mixing_error",
    "new_name",
    "old_name",
    "serializer_names",
    "setting_names",
    "setting_type",
]

CELERY_VERSION: str = _data.CELERY_VERSION
KOMBU_VERSION: str = _data.KOMBU_VERSION

#: The default of a setting whose Celery default has no literal form.
UNREPRESENTABLE: str = _data.UNREPRESENTABLE

#: Similarity (difflib ratio, on upper-cased keys) a key needs to be offered as
#: a correction. Tight on purpose: projects keep their own ``CELERY_*`` and
#: ``REDIS_*`` keys next to Celery's, and a wrong suggestion is noise.
CLOSE_MATCH_CUTOFF = 0.88

# The mark that makes an unknown key look meant for Celery even when the source
# is not namespaced: old names and Django-style names all start with it.
_CELERY_MARK = "CELERY"

_KIND_NEW = "new"
_KIND_OLD = "old"
_KIND_NAMESPACED = "namespaced"
_KIND_IGNORED = "ignored"


# --- names -----------------------------------------------------------------


def setting_names() -> tuple[str, ...]:
    """Every (new, lowercase) setting name, sorted."""
    return tuple(sorted(_data.SETTINGS))


def is_setting(name: str) -> bool:
    """Whether ``name`` is a new (lowercase) setting name."""
    return name in _data.SETTINGS


def is_old_name(key: str) -> bool:
    """Whether ``key`` is an old (uppercase) setting name in Celery's own map.

    Celery's map gives every setting an old name: the pre-4.0 name where there
    was one (``CELERYD_TASK_TIME_LIMIT``), otherwise the new name upper-cased
    (``BROKER_URL``, ``RESULT_ACCEPT_CONTENT``); both are read and both count
    as "old" in the mixing check.
    """
    return key in _data.OLD_TO_NEW


def new_name(key: str) -> str | None:
    """The setting ``key`` names when it is a new or an old name, else None."""
    if key in _data.SETTINGS:
        return key
    return _data.OLD_TO_NEW.get(key)


def old_name(new: str) -> str | None:
    """The old (uppercase) name of setting ``new``, or None for an unknown setting."""
    return _data.NEW_TO_OLD.get(new)


def setting_type(new: str) -> str:
    """Celery's type name for setting ``new`` ('string', 'bool', 'float', ...).

    Raises KeyError for an unknown setting.
    """
    return _data.SETTINGS[new][0]


def default(new: str) -> object:
    """Celery's default for setting ``new``, as plain data.

    Timedeltas are given in seconds (float); a default with no literal form is
    :data:`UNREPRESENTABLE`. Raises KeyError for an unknown setting.
    """
    value = _data.SETTINGS[new][1]
    # Containers are copied so a caller cannot change the shared table.
    if isinstance(value, (dict, list)):
        return copy.deepcopy(value)
    return value


def deprecation(new: str) -> tuple[str | None, str | None, str | None] | None:
    """``(deprecated in, removed in, alternative)`` when Celery marks setting ``new``
    as deprecated, else None. Raises KeyError for an unknown setting.

    (Every old name is deprecated too, for removal in Celery 6; that is
    :func:`is_old_name`, not this.)
    """
    return _data.SETTINGS[new][3]


# --- lookup, as ConfigurationView does it -----------------------------------


def _normalize_prefix(prefix: str | None) -> str | None:
    # ConfigurationView.__init__: ``prefix.rstrip('_') + '_' if prefix else prefix``;
    # an empty namespace is no namespace.
    return prefix.rstrip("_") + "_" if prefix else None


def _match_case(text: str, other: str) -> str:
    # celery.utils.text.match_case
    return text.upper() if other.isupper() else text.lower()


def lookup_keys(new: str, prefix: str | None) -> tuple[str, ...]:
    """The keys Celery tries, in order, when setting ``new`` is read.

    ``prefix`` is the app's namespace as given to Celery (``'CELERY'``,
    ``'celery'``, ``'CELERY_'`` or None). This is
    ``ConfigurationView._to_keys`` with Celery's key converters (old -> new,
    new -> old), duplicates included, so it equals what Celery computes for any
    key, not only setting names.
    """
    normalized = _normalize_prefix(prefix)
    keys: tuple[str, ...]
    if normalized:
        prefixed = new if new.startswith(normalized) else normalized + new
        keys = (_match_case(prefixed, normalized), new)
    else:
        keys = (new,)
    return (*keys, _data.OLD_TO_NEW.get(new, new), _data.NEW_TO_OLD.get(new, new))


_source_key_tables: dict[str | None, dict[str, tuple[str, str]]] = {}


def _source_key_table(normalized: str | None) -> dict[str, tuple[str, str]]:
    table = _source_key_tables.get(normalized)
    if table is not None:
        return table
    table = {}
    for setting in sorted(_data.SETTINGS):
        for index, key in enumerate(lookup_keys(setting, normalized)):
            if key == setting:
                kind = _KIND_NEW
            elif normalized and index == 0:
                # Also an old name when the old name happens to carry the
                # prefix (CELERY_ACCEPT_CONTENT): under the namespace it is the
                # spelling to use, so it is reported as namespaced.
                kind = _KIND_NAMESPACED
            else:
                kind = _KIND_OLD
            # Settings are visited in sorted order, so if two settings ever
            # shared a key the answer would still be deterministic.
            table.setdefault(key, (kind, setting))
    _source_key_tables[normalized] = table
    return table


def classify_source_key(key: str, prefix: str | None) -> tuple[str, str | None]:
    """How Celery reads ``key`` from a configuration source loaded with namespace ``prefix``.

    Returns ``(kind, setting)``, kind being:

    * ``"new"``: the new name (``task_time_limit``);
    * ``"old"``: an old name (``CELERYD_TASK_TIME_LIMIT``), read but deprecated;
    * ``"namespaced"``: prefix + new name in the prefix's case
      (``CELERY_TASK_TIME_LIMIT`` under ``namespace='CELERY'``);
    * ``"ignored"``: no setting is ever read from this key (setting is None),
      e.g. ``CELERY_TASK_TIME_LIMIT`` without a namespace.

    A key counts for setting S exactly when it is in ``lookup_keys(S, prefix)``.
    """
    found = _source_key_table(_normalize_prefix(prefix)).get(key)
    if found is None:
        return (_KIND_IGNORED, None)
    return found


# The shortest namespace (without its "_") whose one-edit misspellings are reported.
_MISPREFIX_MIN_LENGTH = 5


class Misprefixed(NamedTuple):
    """A key meant as a namespaced setting whose namespace prefix is misspelt."""

    key: str  # the key Celery reads for the setting (CELERY_TASK_TRACK_STARTED)
    prefix: str  # the namespace prefix as keys spell it (CELERY_)


def _one_edit(text: str, other: str) -> bool:
    """Whether ``text`` is one insertion, deletion, substitution or swap of
    adjacent characters away from ``other``."""
    if text == other or abs(len(text) - len(other)) > 1:
        return False
    start = 0
    while start < min(len(text), len(other)) and text[start] == other[start]:
        start += 1
    if len(text) != len(other):
        shorter, longer = sorted((text, other), key=len)
        return shorter[start:] == longer[start + 1 :]
    if text[start + 1 :] == other[start + 1 :]:
        return True  # a substitution
    swapped = text[start + 1] + text[start] if start + 1 < len(text) else ""
    return swapped == other[start : start + 2] and text[start + 2 :] == other[start + 2 :]


def misprefixed(key: str, prefix: str | None) -> Misprefixed | None:
    """The key ``key`` was meant as when it is a setting under namespace ``prefix``
    with the namespace misspelt by one edit, else None.

    ``CELEY_TASK_TRACK_STARTED`` (and ``CELRY_``, ``CELERYY_``, ``CELERYTASK_...``)
    under ``namespace='CELERY'`` means ``CELERY_TASK_TRACK_STARTED``: what follows
    the prefix (the part up to the first ``_``, or the namespace's length) is a
    setting's name in the namespace's case. Celery reads no such key. Without a
    namespace, under one shorter than five characters, or when what follows
    names no setting (``CELERYX_FOO``), None.
    """
    normalized = _normalize_prefix(prefix)
    # One edit from a short namespace is too easily a project's own prefix.
    if not normalized or len(normalized) <= _MISPREFIX_MIN_LENGTH:
        return None
    if _source_key_table(normalized).get(key):
        return None
    heads = {key.find("_") + 1, len(normalized) - 1}
    for length in sorted(heads):
        rest = key[length:]
        if length <= 0 or not rest or rest.lower() not in _data.SETTINGS:
            continue
        meant = lookup_keys(rest.lower(), normalized)[0]
        spelled = meant[: len(meant) - len(rest)]
        if meant.endswith(rest) and _one_edit(key[:length], spelled):
            return Misprefixed(meant, spelled)
    return None


# --- detect_settings --------------------------------------------------------


def mixing_error(
    keys: Iterable[str],
    *,
    prefix: str | None = None,
    ignore_keys: Iterable[str] = (),
) -> list[tuple[str, str]]:
    """The renames Celery's "Cannot mix new and old setting keys" error would list.

    ``keys`` are the keys of one configuration source (module globals, class
    attributes, dict keys). Returns ``(key, replacement)`` pairs sorted by key,
    as Celery prints them; empty when Celery starts fine.

    Celery lets the majority decide (ties go to the new names) and lists each
    key of the minority, except a key whose replacement is also in the source.
    A namespaced app never raises. ``ignore_keys`` are keys Celery leaves out of
    the count: those set by ``Celery(broker=..., backend=..., include=..., **kw)``.
    """
    if _normalize_prefix(prefix):
        return []
    have = set(keys).difference(ignore_keys)
    in_new = {key for key in have if key in _data.SETTINGS}
    in_old = {key for key in have if key in _data.OLD_TO_NEW}
    if not in_new or not in_old:
        return []
    if len(in_old) > len(in_new):
        convert, left = _data.NEW_TO_OLD, in_new
    else:
        convert, left = _data.OLD_TO_NEW, in_old
    return [(key, convert[key]) for key in sorted(left) if convert[key] not in have]


# --- suggestions ------------------------------------------------------------

# Leading marks stripped before comparing, so that the shared ``CELERY_`` does
# not make unrelated keys look alike.
_MARKS = ("CELERYBEAT_", "CELERYD_", "CELERY_")

# The sections users move settings between (old CELERYD_ names became worker_
# or task_ ones). Backend sections (redis_, elasticsearch_, ...) are left out:
# CELERY_MAX_RETRIES does not mean elasticsearch_max_retries.
_SECTION_WORDS = frozenset({"BEAT", "BROKER", "RESULT", "TASK", "WORKER"})

# A key that matches a setting only once a section word is dropped or added
# (CELERY_WORKER_TASK_SOFT_TIME_LIMIT for task_soft_time_limit) ranks below a
# plain misspelling.
_SECTION_MATCH_SCORE = (1.0 + CLOSE_MATCH_CUTOFF) / 2


def _is_marked(upper: str, normalized: str | None) -> bool:
    return upper.startswith(_CELERY_MARK) or bool(
        normalized and upper.startswith(normalized.upper())
    )


def _stem(upper: str, normalized: str | None) -> str:
    marks = _MARKS if not normalized else (normalized.upper(), *_MARKS)
    for mark in sorted(marks, key=len, reverse=True):
        if upper.startswith(mark) and len(upper) > len(mark):
            return upper[len(mark) :]
    return upper


def _without_section(stem: str) -> str | None:
    head, _, rest = stem.partition("_")
    # At least two words must remain: CELERY_LIMIT would otherwise "mean" a
    # one-word setting of any section.
    if head in _SECTION_WORDS and "_" in rest:
        return rest
    return None


_candidate_tables: dict[tuple[str, str | None], tuple[tuple[str, str, str], ...]] = {}


def _candidates(mode: str, normalized: str | None) -> tuple[tuple[str, str, str], ...]:
    """(upper-cased spelling, its stem, setting) triples a key may be a misspelling of.

    ``mode`` is "marked" (the key carries a CELERY mark or the namespace),
    "upper" or "lower".
    """
    cached = _candidate_tables.get((mode, normalized))
    if cached is not None:
        return cached
    spellings: list[tuple[str, str]] = []
    for setting in sorted(_data.SETTINGS):
        old = _data.NEW_TO_OLD[setting]
        if mode == "marked":
            spellings.append((old, setting))
            spellings.append((setting.upper(), setting))
            # What a Django-style user writes, whatever namespace is in force:
            # CELERY_TASK_TIME_LIMIT in a non-namespaced module means task_time_limit.
            spellings.append((_CELERY_MARK + "_" + setting.upper(), setting))
            if normalized:
                spellings.append((lookup_keys(setting, normalized)[0].upper(), setting))
        elif mode == "upper":
            # Unmarked upper-case keys (REDIS_HOST, TASK_TIME_LIMIT) are the
            # project's own constants far more often than Celery settings:
            # only the real old spellings (BROKER_URL, ...) are matched.
            spellings.append((old, setting))
        else:
            spellings.append((setting.upper(), setting))
    table = tuple(
        (spelling, _stem(spelling, normalized), setting)
        for spelling, setting in dict.fromkeys(spellings)
    )
    _candidate_tables[(mode, normalized)] = table
    return table


def _similarity(matcher: difflib.SequenceMatcher[str], candidate: str) -> float:
    """difflib's ratio of ``candidate`` to the matcher's second sequence, 0.0 when low."""
    target = len(matcher.b)  # type: ignore[attr-defined]  # set by set_seq2, not in the stubs
    # The cheap upper bounds first: most candidates are far off.
    if 2.0 * min(target, len(candidate)) / (target + len(candidate)) < CLOSE_MATCH_CUTOFF:
        return 0.0
    matcher.set_seq1(candidate)
    if matcher.quick_ratio() < CLOSE_MATCH_CUTOFF:
        return 0.0
    return matcher.ratio()


def _spelling(setting: str, key: str, normalized: str | None, style: str | None) -> str:
    if normalized:
        return lookup_keys(setting, normalized)[0]
    if style is None:
        # An upper-case key suggests an upper-case source: Django settings
        # (which only expose upper-case names) or an old-style module, where a
        # new lowercase name would be invisible or trigger the mixing error.
        style = "old" if key.isupper() else "new"
    return _data.NEW_TO_OLD[setting] if style == "old" else setting


def closest_settings(key: str, prefix: str | None, *, style: str | None = None) -> list[str]:
    """Settings an unknown or ignored ``key`` plausibly means, best first.

    Each is spelled as it should be written where ``key`` was found: under a
    namespace, prefix + new name (``CELERY_TASK_TIME_LIMIT``). Without one,
    ``style`` decides: ``"new"`` (lowercase name) or ``"old"`` (old upper-case
    name); by default the old name when ``key`` is upper-case, since that is
    what a Django settings module or an old-style module can hold. Callers
    that know the source's style (see :func:`mixing_error`) should pass it.

    An exact match (``CELERY_TASK_TIME_LIMIT`` in a non-namespaced source for
    ``task_time_limit``, a key in the wrong case) is returned alone. Empty when
    Celery reads ``key``, when nothing is close, and for keys that do not look
    meant for Celery (private names, upper-case names without a ``CELERY``
    mark that are not near an old name).
    """
    if style not in (None, "new", "old"):
        raise ValueError(f"style must be 'new', 'old' or None, not {style!r}")
    normalized = _normalize_prefix(prefix)
    if key.startswith("_") or classify_source_key(key, normalized)[0] != _KIND_IGNORED:
        return []
    upper = key.upper()
    key_stem = _stem(upper, normalized)
    marked = _is_marked(upper, normalized)
    mode = "marked" if marked else "upper" if key.isupper() else "lower"
    # The key is difflib's second sequence, whose index is built only once.
    whole = difflib.SequenceMatcher(None, "", upper, autojunk=False)
    stemmed = difflib.SequenceMatcher(None, "", key_stem, autojunk=False)
    trimmed_key = _without_section(key_stem)
    best: dict[str, float] = {}
    for spelling, stem, setting in _candidates(mode, normalized):
        if upper == spelling:
            score = 1.0
        else:
            # Both the whole keys and their stems must be close: the whole
            # alone rewards the shared CELERY_ mark, the stem alone ignores
            # CELERY_ vs CELERYD_ (which are different keys to Celery).
            score = min(_similarity(whole, spelling), _similarity(stemmed, stem))
            if (
                score < CLOSE_MATCH_CUTOFF
                and marked
                and (key_stem == _without_section(stem) or stem == trimmed_key)
            ):
                score = _SECTION_MATCH_SCORE
        if score >= CLOSE_MATCH_CUTOFF and score > best.get(setting, 0.0):
            best[setting] = score
    exact = [setting for setting, score in best.items() if score == 1.0]
    ranked = sorted(exact) if exact else sorted(best, key=lambda name: (-best[name], name))
    suggestions: list[str] = []
    for setting in ranked:
        spelled = _spelling(setting, key, normalized, style)
        if spelled not in suggestions:
            suggestions.append(spelled)
    return suggestions


# --- serializers ------------------------------------------------------------

# Lower-cased name or content type -> kombu's name. Names are entered last so
# that they win should a name ever equal another serializer's content type.
_serializer_aliases: dict[str, str] = {
    **{mime.lower(): name for name, mime in sorted(_data.SERIALIZERS.items())},
    **{name.lower(): name for name in sorted(_data.SERIALIZERS)},
}


def serializer_names() -> tuple[str, ...]:
    """The serializer names registered in kombu, sorted."""
    return tuple(sorted(_data.SERIALIZERS))


def canonical_serializer(name_or_mime: str) -> str | None:
    """The kombu serializer name for a serializer name or content type, else None.

    Case-insensitive: ``'PICKLE'`` and ``'application/x-python-serialize'`` are
    both ``'pickle'``. (kombu itself matches case-sensitively.)
    """
    return _serializer_aliases.get(name_or_mime.lower())


def content_type(serializer: str) -> str | None:
    """The content type kombu sends for ``serializer`` (a name or a content type)."""
    name = canonical_serializer(serializer)
    return None if name is None else _data.SERIALIZERS[name]
