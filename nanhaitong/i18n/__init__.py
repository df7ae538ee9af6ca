"""Chinese first: the language people read, negotiated per request, from message catalogues.

The catalogues live in ``nanhaitong/translations`` (``zh_CN``, the default, and ``en``);
``make translations`` extracts, merges and compiles them (see ``babel.cfg`` there). The
English text written in the code is the message id: an error's ``message`` at its raise
site, a schema's validation message, an SMS or inbox template. ``code`` never changes with
the language.

Messages may carry placeholders two ways, and both are translated here, at the edge:

* ``%(name)s`` in an error message, filled from the error's ``details``
  (``raise PayloadTooLarge("The PDF is larger than %(max_bytes)s bytes.", details=...)``);
* ``{name}`` in a library or schema template (marshmallow's ``"Length must be between {min}
  and {max}."``) that reaches us already filled: the filled text is matched back to its
  template, the template translated and filled again (the values translated too when the
  catalogue knows them, e.g. the reason an ID number is wrong).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Flask, has_request_context, request
from flask_babel import Babel, force_locale, get_locale

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
# What a client may send in Accept-Language, mapped to the catalogue that answers it.
_OFFERED = ("zh-CN", "en")
_CONTENT_LANGUAGE = {"zh_CN": "zh-CN", "en": "en"}

babel = Babel()


from ..errors import N_  # noqa: E402,F401  (the marker lives in the kernel every domain imports)

# Parsed once: flask-babel parses what the selector returns on every request (a tenth of
# the response hooks' CPU on GET /me) unless it already is a Locale.
_PARSED = {name: Locale.parse(name) for name in LOCALES}


def select_locale() -> Locale:
    """The catalogue for this request: the best match of Accept-Language, else Chinese."""
    if not has_request_context():
        return _PARSED[DEFAULT_LOCALE]
    if "Accept-Language" not in request.headers:  # most app requests: no header to parse
        return _PARSED[DEFAULT_LOCALE]
    best = request.accept_languages.best_match(_OFFERED)
    return _PARSED["en" if best == "en" else DEFAULT_LOCALE]


def current_locale() -> str:
    """"zh_CN" or "en": the catalogue in force (the request's, or one forced with in_language)."""
    if not has_request_context():
        return DEFAULT_LOCALE
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else DEFAULT_LOCALE


_LOADED: dict[str, NullTranslations] = {}


def get_translations(locale: str | None = None) -> NullTranslations:
    """The compiled catalogue of ``locale`` (default: the current one), loaded once per process.

    Loaded by catalogue name: Babel would name the Chinese locale zh_Hans_CN, and look for
    a directory of that name.
    """
    name = locale or current_locale()
    if name not in _LOADED:
        _LOADED[name] = Translations.load(str(TRANSLATIONS_DIR), [name], "messages")
    return _LOADED[name]


def content_language() -> str:
    return _CONTENT_LANGUAGE.get(current_locale(), "zh-CN")


class _Keep(dict):
    """Format values: a placeholder without a value stays as written rather than failing."""

    def __missing__(self, key):
        return f"%({key})s"


def fill(template: str, values: Mapping | None) -> str:
    """``template % values`` for ``%(name)s`` placeholders, tolerant of missing values."""
    if "%(" not in template:
        return template
    try:
        return template % _Keep(values or {})
    except (TypeError, ValueError):
        return template


def _catalogue(translations) -> dict:
    return getattr(translations, "_catalog", {}) or {}


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _patterns(translations) -> list[tuple[re.Pattern, str, list[str]]]:
    """Templates with ``{name}`` placeholders in this catalogue, as regexes (built once)."""
    cached = getattr(translations, "_nht_patterns", None)
    if cached is not None:
        return cached
    patterns = []
    for msgid, msgstr in _catalogue(translations).items():
        if not isinstance(msgid, str) or "{" not in msgid or not msgstr:
            continue
        names = _PLACEHOLDER.findall(msgid)
        if not names:
            continue
        regex, position = "", 0
        for index, match in enumerate(_PLACEHOLDER.finditer(msgid)):
            regex += re.escape(msgid[position:match.start()]) + f"(?P<p{index}>.+?)"
            position = match.end()
        regex += re.escape(msgid[position:])
        literal = len(_PLACEHOLDER.sub("", msgid))
        patterns.append((literal, re.compile(regex + r"\Z", re.DOTALL), msgstr, names))
    patterns.sort(key=lambda item: -item[0])  # the most specific template first
    result = [(regex, msgstr, names) for _, regex, msgstr, names in patterns]
    try:
        translations._nht_patterns = result
    except AttributeError:
        pass
    return result


def translate(text: str, values: Mapping | None = None, *, _depth: int = 0) -> str:
    """``text`` in the request's language; ``values`` fill ``%(name)s`` placeholders."""
    if not isinstance(text, str) or not text:
        return text
    if current_locale() == "en":
        return fill(text, values)
    translations = get_translations()
    catalogue = _catalogue(translations)
    translated = catalogue.get(text)
    if translated:
        return fill(translated, values)
    if _depth < 2:
        for regex, msgstr, names in _patterns(translations):
            match = regex.match(text)
            if match is None:
                continue
            filled = {name: translate(match.group(f"p{index}"), _depth=_depth + 1)
                      for index, name in enumerate(names)}
            try:
                return msgstr.format(**filled)
            except (KeyError, IndexError, ValueError):
                return text
    return fill(text, values)


def translate_fields(fields):
    """Every message under ``details.fields`` (nested dicts and lists as marshmallow makes them)."""
    if isinstance(fields, str):
        return translate(fields)
    if isinstance(fields, Mapping):
        return {key: translate_fields(value) for key, value in fields.items()}
    if isinstance(fields, (list, tuple)):
        return [translate_fields(value) for value in fields]
    return fields


def in_language(locale: str):
    """Render texts in ``locale`` outside the request's choice (e.g. an SMS in Chinese)."""
    return force_locale(locale)


def _content_language(response):
    response.headers.setdefault("Content-Language", content_language())
    vary = response.headers.get("Vary", "")
    if "accept-language" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Accept-Language" if vary else "Accept-Language"
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_content_language)
