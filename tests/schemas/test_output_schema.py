"""OutputSchema dumps exactly what marshmallow's own Schema dumps, for every way a field
reads its value (attribute, key, data_key, attribute=, dotted path, method, defaults,
missing values) and every kind of object served (ORM-like, With, mapping, named tuple)."""

from __future__ import annotations

import enum
from collections import namedtuple
from datetime import datetime, timezone
from types import SimpleNamespace

import marshmallow as ma
import pytest

from schemas.common import Masked, OutputSchema, Page, UtcDateTime, With, page_of


class Colour(str, enum.Enum):
    RED = "red"


def _fields():
    return {
        "id": ma.fields.String(required=True),
        "count": ma.fields.Integer(),
        "shown_as": ma.fields.String(data_key="shownAs"),
        "renamed": ma.fields.String(attribute="original"),
        "deep": ma.fields.String(attribute="inner.name"),
        "at": UtcDateTime(allow_none=True),
        "name": Masked("name"),
        "colour": ma.fields.String(),
        "with_default": ma.fields.String(dump_default="fallback"),
        "with_callable_default": ma.fields.Integer(dump_default=lambda: 7),
        "absent": ma.fields.String(),
        "method": ma.fields.Method("_method"),
        "function": ma.fields.Function(lambda obj: "f"),
        "tags": ma.fields.List(ma.fields.String()),
        "party": ma.fields.Nested(ma.Schema.from_dict({"kind": ma.fields.String(), "id": ma.fields.String()})),
    }


def _pair():
    def method(self, obj):
        return "m"

    plain = type("Plain", (ma.Schema,), {**_fields(), "_method": method})
    fast = type("Fast", (OutputSchema,), {**_fields(), "_method": method})
    return plain, fast


def _objects():
    base = dict(id="01", count=3, shown_as="x", original="o", inner=SimpleNamespace(name="inner"),
                at=datetime(2026, 1, 2, 3, 4, 5, 6), name="张三丰", colour=Colour.RED, tags=["a", "b"],
                party={"kind": "citizen", "id": "p"})
    sparse = dict(id="02", at=None, name="", inner={"name": "keyed"}, tags=None, party=None)
    return [
        SimpleNamespace(**base),
        SimpleNamespace(**sparse),
        With(SimpleNamespace(**base), name="李四", revealed=True, count=9),
        With(dict(base), revealed=False),
        dict(base),
        dict(sparse, with_default="given", with_callable_default=1, absent=None),
        _Row("03", 4, "王五"),
        With(_Row("04", 5, "赵六"), count=6),
        With({"id": "05"}, revealed=True),
    ]


_Row = namedtuple("_Row", ["id", "count", "name"])


@pytest.fixture(autouse=True)
def masks(monkeypatch):
    from schemas import common

    monkeypatch.setitem(common.MASKS, "name", lambda value: value[0] + "*" * (len(value) - 1))


@pytest.mark.parametrize("index", range(len(_objects())))
def test_same_dump_as_marshmallow(index):
    plain, fast = _pair()
    obj = _objects()[index]
    assert fast().dump(obj) == plain().dump(obj)
    assert fast(only=("id", "renamed", "method")).dump(obj) == plain(only=("id", "renamed", "method")).dump(obj)
    assert fast(exclude=("deep",)).dump(obj) == plain(exclude=("deep",)).dump(obj)


def test_same_dump_of_many_and_of_a_page():
    plain, fast = _pair()
    objects = _objects()
    assert fast(many=True).dump(objects) == plain(many=True).dump(objects)
    page = Page(objects, "next")
    plain_page = ma.Schema.from_dict({"items": ma.fields.List(ma.fields.Nested(plain), attribute="items"),
                                      "next_cursor": ma.fields.String(allow_none=True)})
    assert page_of(fast, "FastPageSchema")().dump(page) == plain_page().dump(page)


def test_a_str_subclass_is_still_made_a_plain_str():
    _, fast = _pair()
    dumped = fast().dump(_objects()[0])
    assert type(dumped["colour"]) is str and dumped["colour"] == str(Colour.RED)


def test_own_get_attribute_is_honoured():
    class Upper(OutputSchema):
        id = ma.fields.String()

        def get_attribute(self, obj, attr, default):
            return str(getattr(obj, attr, default)).upper()

    assert Upper().dump(SimpleNamespace(id="abc")) == {"id": "ABC"}


def test_utc_moment_keeps_its_form():
    _, fast = _pair()
    dumped = fast().dump(SimpleNamespace(id="1", at=datetime(2026, 1, 2, tzinfo=timezone.utc)))
    assert dumped["at"] == "2026-01-02T00:00:00.000000Z"
