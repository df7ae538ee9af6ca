"""Schemas shared by every domain: the error shape, the strict base schema, and the fields
and list envelope every output schema is built from."""

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import timezone
from typing import Any, NamedTuple

import marshmallow as ma
from marshmallow import validate


class StrictSchema(ma.Schema):
    """Base for request bodies: an unknown field is a 422 that names it."""

    class Meta:
        unknown = ma.RAISE


class ErrorSchema(ma.Schema):
    """The one error shape every endpoint answers with."""

    code = ma.fields.String(
        required=True,
        metadata={"description": "Stable snake_case code to branch on", "example": "validation_failed"},
    )
    message = ma.fields.String(
        required=True, metadata={"description": "Human-readable explanation"}
    )
    details = ma.fields.Dict(
        required=True,
        metadata={
            "description": "Structured context; for 422, `fields` maps each invalid "
            "field to its messages; for 429, `retry_after` in seconds"
        },
    )
    request_id = ma.fields.String(
        required=True,
        metadata={"description": "Echo of X-Request-ID; quote it when reporting a problem"},
    )


class HealthCheckSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"example": "ok"})
    checks = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.String(), required=True,
        metadata={"description": "Each dependency checked and its state: ok, down or disabled"},
    )


# -- one declaration of what every domain's schemas share ------------------------------------

ULID_PATTERN = "[0-9A-HJKMNP-TV-Z]{26}"
Ulid = validate.Regexp(f"^{ULID_PATTERN}$", error="Not an id.")


def one_of(choices) -> validate.OneOf:
    """An enum check whose choices are the domain's own tuple (declared once, where it lives)."""
    return validate.OneOf(tuple(choices))


def _attribute(obj, name: str, default=None):
    return obj.get(name, default) if isinstance(obj, Mapping) else getattr(obj, name, default)


class UtcDateTime(ma.fields.DateTime):
    """A moment as the API always gives it: UTC, ISO 8601 to the microsecond, with a Z.

    SQLite hands back naive datetimes; everything we store is UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return value.isoformat(timespec="microseconds").replace("+00:00", "Z")


class IsSet(ma.fields.Boolean):
    """Whether the attribute it reads (a moment, typically) is set: ``revoked`` from ``revoked_at``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("dump_only", True)  # beside the moment's own field, it reads the same attribute
        super().__init__(*args, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return value is not None


class Itself(ma.fields.Nested):
    """A nested object made of the served object's own attributes (an ``owner`` of its
    ``owner_kind`` and ``owner_id``)."""

    _CHECK_ATTRIBUTE = False

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(obj, attr, obj, **kwargs)


class JsonDict(ma.fields.Dict):
    """A mapping stored as JSON text; ``empty`` stands in for a NULL column."""

    def __init__(self, *args, empty=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.empty = empty

    def _serialize(self, value, attr, obj, **kwargs):
        value = json.loads(value) if value else self.empty
        return super()._serialize(value, attr, obj, **kwargs)


class JsonNested(ma.fields.Nested):
    """An object stored as JSON text, serialised by its schema."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(json.loads(value) if value else None, attr, obj, **kwargs)


class JsonList(ma.fields.List):
    """A list stored as JSON text."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(json.loads(value) if value else None, attr, obj, **kwargs)


# The masks are security's (schemas import no app): it provides them at import, as the
# kernel's questions are provided.
MASKS: dict[str, Callable[..., str]] = {}


def provide_masks(**masks: Callable[..., str]) -> None:
    MASKS.update(masks)


class Masked(ma.fields.String):
    """Personal data masked, unless the object served says its caller may see it whole
    (its ``revealed`` attribute). ``mask`` names one of security's masks; ``keep`` passes
    ``mask_middle`` its kept lengths, or is a function of the object that says them."""

    def __init__(self, mask: str, *args, keep: tuple[int, int] | Callable[[Any], tuple[int, int]] = (),
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.mask, self.keep = mask, keep

    def _serialize(self, value, attr, obj, **kwargs):
        if not value:  # no value (None, or an empty name) is no value, masked or not
            return None
        if not _attribute(obj, "revealed", False):
            value = MASKS[self.mask](value, *(self.keep(obj) if callable(self.keep) else self.keep))
        return super()._serialize(value, attr, obj, **kwargs)


class With:
    """An object served with a few facts beside its own (the caller's role in an enterprise,
    whether a session is the current one): a schema reads ``extra`` first, then ``obj``."""

    __slots__ = ("_obj", "_extra")

    def __init__(self, obj, **extra):
        self._obj, self._extra = obj, extra

    def __getattr__(self, name):
        extra, obj = self._extra, self._obj
        if name in extra:
            return extra[name]
        if isinstance(obj, Mapping):
            try:
                return obj[name]
            except KeyError:
                raise AttributeError(name) from None
        return getattr(obj, name)


class OutputSchema(ma.Schema):
    """Base for response schemas read on every request (lists above all): the same dump as
    marshmallow's, field by field, without its per-field detour (``Field.serialize``, the
    accessor, ``utils.get_value`` probing each object for ``__getitem__``), which was most of
    the CPU of serialising a page of twenty entries. A field that reads its value its own
    way (a method, a dotted path, a schema's own ``get_attribute``) goes through
    marshmallow unchanged."""

    def _serialize(self, obj, *, many: bool = False):
        if many and obj is not None:
            return [self._serialize(one) for one in obj]
        plan = self.__dict__.get("_dump_plan")
        if plan is None:  # per instance: ``only`` and ``exclude`` shape its dump_fields
            plan = self._dump_plan = _dump_plan(self)
        if type(obj) is With:  # what With.__getattr__ answers, without a call per field
            extra, inner = obj._extra, obj._obj
            keyed = 2 if isinstance(inner, Mapping) else 0
        else:
            extra, inner = _NOTHING, obj
            keyed = 1 if hasattr(obj, "__getitem__") else 0  # as marshmallow asks it, once per object
        ret = self.dict_class()
        for key, name, field, source in plan:
            if source is None:
                value = field.serialize(name, obj, accessor=self.get_attribute)
                if value is not ma.missing:
                    ret[key] = value
                continue
            if source in extra:
                value = extra[source]
            elif keyed == 0:
                value = getattr(inner, source, ma.missing)
            elif keyed == 1:
                try:
                    value = inner[source]
                except (KeyError, IndexError, TypeError, AttributeError):
                    value = getattr(inner, source, ma.missing)
            else:
                try:
                    value = inner[source]
                except KeyError:
                    value = ma.missing
            if value is ma.missing:
                default = field.dump_default
                value = default() if callable(default) else default
                if value is ma.missing:
                    continue
            ret[key] = value if type(value) is str and type(field) is ma.fields.String \
                else field._serialize(value, name, obj)
        return ret


_NOTHING: dict = {}


def _dump_plan(schema: ma.Schema) -> list[tuple]:
    """(output key, field name, field, attribute read directly or None for marshmallow's way)."""
    own_accessor = type(schema).get_attribute is not ma.Schema.get_attribute
    plan = []
    for name, field in schema.dump_fields.items():
        source = field.attribute if field.attribute is not None else name
        direct = (not own_accessor and "." not in source and field._CHECK_ATTRIBUTE
                  and type(field).serialize is ma.fields.Field.serialize
                  and type(field).get_value is ma.fields.Field.get_value)
        plan.append((field.data_key if field.data_key is not None else name, name, field, source if direct else None))
    return plan


class Page(NamedTuple):
    """What a list route returns for ``page_of``'s schema to serialise."""

    items: Sequence
    next_cursor: str | None = None


_PAGES: dict[tuple, type[ma.Schema]] = {}


def page_of(item: type[ma.Schema], name: str | None = None, *, cursor: bool | type[ma.fields.Field] = True,
            key: str = "items", order: str | None = None) -> type[ma.Schema]:
    """The one list envelope, ``{items, next_cursor}`` (``{items}`` for a list that is never
    cut), around ``item``. ``name`` keeps the component's name in the OpenAPI document;
    ``key`` the name older lists give their items (``sessions``, ``members``); ``cursor`` a
    field class when the cursor is not a string (the audit log's sequence number); ``order``
    says how the items are ordered."""
    name = name or item.__name__.replace("Schema", "") + "PageSchema"
    memo = (item, name, cursor, key, order)
    if memo not in _PAGES:
        fields = {key: ma.fields.List(ma.fields.Nested(item), attribute="items", required=True,
                                      metadata={"description": order} if order else {})}
        if cursor:
            cursor_field = ma.fields.String if cursor is True else cursor
            fields["next_cursor"] = cursor_field(
                allow_none=True, required=True,
                metadata={"description": "Pass as `cursor` for the next page; null on the last"})
        _PAGES[memo] = OutputSchema.from_dict(fields, name=name)
    return _PAGES[memo]
