"""PersonalDataFilter: phone and ID numbers never reach a log handler unmasked."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from nanhaitong.security.masking import PersonalDataFilter, redact_text

PHONE = "13812345678"
ID_NUMBER = "44062219900101023X"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, _Capture]]:
    logger = logging.getLogger("nanhaitong.tests.redaction")
    handler = _Capture()
    handler.addFilter(PersonalDataFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield logger, handler
    finally:
        logger.removeHandler(handler)


def _assert_clean(handler: _Capture) -> None:
    for record, line in zip(handler.records, handler.lines, strict=True):
        for secret in (PHONE, ID_NUMBER, ID_NUMBER.lower(), "19900101"):
            assert secret not in line
            assert secret not in record.getMessage()
            assert secret not in repr(record.args)


def test_redacts_message(capture: tuple[logging.Logger, _Capture]) -> None:
    logger, handler = capture
    logger.info(f"sms to {PHONE} for id {ID_NUMBER}")
    _assert_clean(handler)
    assert handler.lines == ["sms to 138****5678 for id 4****************X"]


def test_redacts_percent_args(capture: tuple[logging.Logger, _Capture]) -> None:
    logger, handler = capture
    logger.info("sms to %s for id %s", PHONE, ID_NUMBER.lower())
    logger.info("sms to %d", int(PHONE))
    logger.info("sms to %(phone)s", {"phone": PHONE})
    _assert_clean(handler)
    assert handler.lines == [
        "sms to 138****5678 for id 4****************X",
        "sms to 138****5678",
        "sms to 138****5678",
    ]


def test_leaves_long_digit_runs_alone(capture: tuple[logging.Logger, _Capture]) -> None:
    logger, handler = capture
    order_no = "20250101138123456789"  # 20 digits, contains a phone- and ID-shaped run
    logger.info("order %s paid 1380 fen", order_no)
    assert handler.lines == [f"order {order_no} paid 1380 fen"]


def test_redacts_exception_text(capture: tuple[logging.Logger, _Capture]) -> None:
    logger, handler = capture
    try:
        raise ValueError(f"no account for {PHONE}")
    except ValueError:
        logger.exception("lookup failed")
    _assert_clean(handler)
    assert "138****5678" in handler.lines[0]


def test_bad_format_args_are_still_redacted(capture: tuple[logging.Logger, _Capture]) -> None:
    logger, handler = capture
    logger.info("two placeholders %s %s", PHONE)  # would normally print a logging error
    _assert_clean(handler)
    assert "138****5678" in handler.lines[0]


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (f"tel:{PHONE}.", "tel:138****5678."),
        ("+8613812345678", "+86138****5678"),
        ("+86 138-1234-5678", "+86 138****5678"),
        ("138 1234 5678", "138****5678"),
        ("身份证44062219900101023X号", "身份证4****************X号"),
        ("12812345678", "12812345678"),  # 12x is not a mobile prefix
        ("1381234567", "1381234567"),  # 10 digits
        ("138123456789", "138123456789"),  # 12 digits
        ("4406221990010112325", "4406221990010112325"),  # 19 digits
        ("ts=1700000000123", "ts=1700000000123"),  # 13-digit epoch millis
    ],
)
def test_redact_text(text: str, redacted: str) -> None:
    assert redact_text(text) == redacted
