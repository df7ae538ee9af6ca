"""What the one-stop schemas share: codes, days, times and paging fields."""

import re

import marshmallow as ma
from marshmallow import validate

AUDIENCES = ("citizen", "enterprise", "both")
MATTER_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.-]{1,39}$")
CENTRE_CODE = re.compile(r"^[a-z][a-z0-9_]{1,19}$")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CLOCK_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")


def iso_day(value: str) -> None:
    from datetime import date

    try:
        if not ISO_DAY.match(value):
            raise ValueError
        date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ma.ValidationError("Use an ISO date, YYYY-MM-DD (China time).") from None


def limit_field():
    return ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def offset_cursor():
    return ma.fields.String(validate=validate.Length(min=1, max=10),
                            metadata={"description": "next_cursor of the previous page"})


def id_cursor():
    return ma.fields.String(validate=validate.Length(min=26, max=26),
                            metadata={"description": "next_cursor of the previous page"})
