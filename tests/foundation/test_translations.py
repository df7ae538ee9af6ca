"""Chinese first: every message the code can put in front of a person has its Chinese.

The message ids are extracted from the code by pybabel itself, here, with the project's
babel.cfg (no hand-kept list): error messages at raise sites and error classes' defaults,
the validation messages of every schema (ours and marshmallow's own templates), the SMS
and inbox templates. A message added without a zh_CN translation fails this test, naming
it; `make translations` merges it into the catalogue to be translated.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import nanhaitong
from nanhaitong import errors

ROOT = Path(nanhaitong.__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "nanhaitong" / "translations"
BABEL_CFG = TRANSLATIONS / "babel.cfg"
# Chinese: the ideographs and the full-width punctuation ("{service}：{status}" is a Chinese title).
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
PLACEHOLDERS = re.compile(r"%\(\w+\)s|\{\w+(?:![rsa])?\}")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "extract", "-F", str(BABEL_CFG), "--no-location", "-o", str(pot),
                    "nanhaitong", "schemas"], cwd=ROOT, check=True, capture_output=True, timeout=120)
    with pot.open("rb") as fh:
        catalogue = read_po(fh)
    return {message.id for message in catalogue if message.id}


def _po(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def test_extraction_finds_the_messages_people_read(extracted):
    # A sample from each source, so a broken extractor cannot pass by finding nothing.
    for text in ("The code is wrong or has expired; ask for a new one.",      # raise site
                 "Some fields are not valid.",                                # an error class's default
                 "Missing data for required field.",                          # marshmallow
                 "Length must be between {min} and {max}.",                   # marshmallow template
                 "Not a valid resident ID number: {problem}.",                # our schema
                 "wrong check character",                                     # its reason (N_)
                 "The phone number or password is wrong.",                    # a constant raised by name
                 "Must be later than now and than not_before.",               # problems["field"] = [...]
                 "The PDF is larger than %(max_bytes)s bytes."):              # placeholder from details
        assert text in extracted, text
    assert len(extracted) > 250


def test_every_extracted_message_has_a_chinese_translation(extracted):
    catalogue = _po("zh_CN")
    missing = sorted(text for text in extracted
                     if catalogue.get(text) is None or not catalogue.get(text).string
                     or catalogue.get(text).fuzzy)
    assert not missing, ("messages without a zh_CN translation (run `make translations`, then translate them in "
                         "nanhaitong/translations/zh_CN/LC_MESSAGES/messages.po):\n" + "\n".join(missing))


def test_chinese_translations_are_chinese_and_keep_their_placeholders():
    for message in _po("zh_CN"):
        if not message.id:
            continue
        assert CJK.search(message.string), (message.id, message.string)
        assert sorted(PLACEHOLDERS.findall(message.id)) == sorted(PLACEHOLDERS.findall(message.string)), message.id


def test_compiled_catalogues_match_their_sources():
    # The app reads the .mo files: one compiled from an older .po would answer stale text.
    for locale in ("zh_CN", "en"):
        source = {m.id: m.string for m in _po(locale) if m.id and m.string}
        with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
            compiled = {m.id: m.string for m in read_mo(fh) if m.id and m.string}
        assert compiled == source, f"{locale}: run `make translations` (pybabel compile)"


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_error_class_is_an_extraction_keyword(make_app):
    make_app()  # imports every domain, and with them their error classes
    config = BABEL_CFG.read_text()
    keywords = {word.partition(":")[0] for word in config.split("keywords =", 1)[1].split()}
    classes = {cls.__name__ for cls in _subclasses(errors.AppError)
               if cls.__module__.startswith("nanhaitong")}
    assert classes - keywords == set(), "add these AppError subclasses to keywords in babel.cfg"
