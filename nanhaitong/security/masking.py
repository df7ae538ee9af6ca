"""Masking of personal data for responses, and a log filter that redacts it.

The mask functions are total: they accept anything, never raise, and always
return a string. ``None`` (no value) gives ``""``; other non-strings are masked
as ``str(value)``. When a value is too short for the usual rule, every
character is masked rather than revealing most of it. Output keeps the input's
length (after normalisation), as is conventional for Chinese government apps.

Unified social credit codes are public business data, so there is no mask for
them; use :func:`mask_middle` for any other identifier.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from nanhaitong.security.fields import normalize_id_number, normalize_phone
from schemas.common import provide_masks

__all__ = [
    "PersonalDataFilter",
    "mask_id_number",
    "mask_middle",
    "mask_name",
    "mask_phone",
    "redact_text",
]

MASK_CHAR = "*"


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except Exception:
        return ""


def mask_middle(value: Any, keep_start: int, keep_end: int, char: str = MASK_CHAR) -> str:
    """Keep ``keep_start`` leading and ``keep_end`` trailing characters, mask the rest.

    If the value is not longer than ``keep_start + keep_end`` (nothing would be
    masked), every character is masked instead.
    """
    text = _as_text(value)
    char = char if isinstance(char, str) and char else MASK_CHAR
    start, end = max(0, int(keep_start)), max(0, int(keep_end))
    if len(text) <= start + end:
        return char * len(text)
    return text[:start] + char * (len(text) - start - end) + text[len(text) - end :]


def mask_phone(value: Any) -> str:
    """``"13812345678"`` -> ``"138****5678"``.

    Input is normalised first (``+86``, spaces and dashes dropped). An 11-char
    number keeps its first 3 and last 4; other numbers of 8 or more characters
    keep only the last 4; shorter ones are fully masked.
    """
    text = normalize_phone(_as_text(value))
    if len(text) == 11:
        return mask_middle(text, 3, 4)
    return mask_middle(text, 0, 4 if len(text) >= 8 else 0)


def mask_id_number(value: Any) -> str:
    """``"44062219900101023X"`` -> ``"4****************X"``.

    An 18-character resident ID keeps its first and last character only: the
    region code (chars 1-6), birth date (7-14) and sequence/sex digits (15-17)
    are all masked, since together they nearly identify a person. Other lengths
    of 4 or more keep only the last character; shorter ones are fully masked.
    Input is normalised first (spaces dropped, trailing ``x`` upper-cased).
    """
    text = normalize_id_number(_as_text(value))
    if len(text) == 18:
        return mask_middle(text, 1, 1)
    return mask_middle(text, 0, 1 if len(text) >= 4 else 0)


def mask_name(value: Any) -> str:
    """Keep the first character of each word, mask the rest.

    A Chinese name is one word: ``"张三"`` -> ``"张*"``, ``"欧阳娜娜"`` -> ``"欧***"``
    (names with a middle dot, e.g. ``"买买提·艾力"``, are one word too). Latin
    names keep each word's initial: ``"Li Wei"`` -> ``"L* W**"``. A one-character
    word is fully masked, so ``"张"`` -> ``"*"``. Runs of whitespace become one space.
    """
    words = _as_text(value).split()
    return " ".join(mask_middle(word, 1, 0) for word in words)


provide_masks(middle=mask_middle, phone=mask_phone, id_number=mask_id_number, name=mask_name)


# --- log redaction ----------------------------------------------------------

# Lookarounds stop matches inside longer digit runs (order numbers, timestamps).
_PERSONAL_DATA_RE = re.compile(
    r"(?<![0-9])(?:"
    r"(?P<id>[0-9]{17}[0-9Xx])"
    r"|(?P<prefix>(?:\+|00)?86[ -]?)?(?P<phone>1[3-9][0-9](?P<sep>[ -]?)[0-9]{4}(?P=sep)[0-9]{4})"
    r")(?![0-9])"
)


def _replace(match: re.Match[str]) -> str:
    if match.group("id"):
        return mask_id_number(match.group("id"))
    return (match.group("prefix") or "") + mask_phone(match.group("phone"))


def redact_text(text: str) -> str:
    """Mask anything shaped like a mainland mobile number or resident ID number."""
    return _PERSONAL_DATA_RE.sub(_replace, text)


class PersonalDataFilter(logging.Filter):
    """Redact mobile and resident ID numbers from log records. Defence in depth only.

    Code must not log personal data in the first place; this catches slips.
    The record's message is rendered (``msg % args``), redacted, and stored back
    with ``args`` cleared, so handlers and formatters only ever see the redacted
    text. Exception and stack text are rendered and redacted too. Attach it to
    *handlers*: a filter on a logger does not see records propagated from its
    children. It never drops a record and never raises.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._redact(record)
        except Exception:
            # Fail closed: better an unhelpful line than a leaked number.
            record.msg = "<log message withheld: redaction failed>"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True

    @staticmethod
    def _redact(record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            # Bad format/args pair: keep both parts visible but redacted.
            message = f"{_as_text(record.msg)} {_as_text(record.args)}"
        record.msg = redact_text(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
