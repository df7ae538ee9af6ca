"""The message inbox, its subscriptions and the devices pushes go to."""

import re

import marshmallow as ma
from marshmallow import validate

from .common import IsSet, JsonDict, Masked, OutputSchema, StrictSchema, UtcDateTime, one_of, page_of

TOPICS = ("application_status", "payment", "esign", "licence_expiry", "policy", "security")
# Topics a recipient may turn off entirely. The others are about the recipient's own
# affairs (an application, a payment, a login): they always reach the inbox, and the
# preference only decides whether they are also pushed.
OPTIONAL_TOPICS = ("policy",)
PLATFORMS = ("ios", "android", "harmonyos", "wechat")
_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")


class MessageListArgsSchema(ma.Schema):
    topic = ma.fields.String(validate=one_of(TOPICS))
    unread_only = ma.fields.Boolean(load_default=False)
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=validate.Length(min=1, max=40),
                              metadata={"description": "next_cursor of the previous page"})


class MessageSchema(OutputSchema):
    id = ma.fields.String(required=True)
    topic = ma.fields.String(required=True, validate=one_of(TOPICS),
                             metadata={"description": f"One of {', '.join(TOPICS)}"})
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    data = JsonDict(required=True, metadata={
        "description": "What the app needs to open the subject (application_id, order_id, policy_id, ...)"})
    created_at = UtcDateTime(required=True)
    read = IsSet(attribute="read_at", required=True)
    read_at = UtcDateTime(allow_none=True, required=True)


class MessageListSchema(page_of(MessageSchema, "MessagePageSchema", order="Unread first, then newest first")):
    """A Page (unread first, then newest first) ``With`` the unread count."""

    unread_count = ma.fields.Integer(required=True)


class UnreadCountSchema(ma.Schema):
    unread_count = ma.fields.Integer(required=True)


class ReadAllSchema(ma.Schema):
    marked = ma.fields.Integer(required=True, metadata={"description": "How many messages were unread"})


def _hhmm(value: str | None) -> None:
    if value is not None and not _HHMM.match(value):
        raise ma.ValidationError("Use HH:MM, 24-hour, China time.")


class _Sorted(ma.fields.List):
    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(sorted(set(value)), attr, obj, **kwargs)


class SubscriptionsSchema(ma.Schema):
    topics = _Sorted(ma.fields.String(), required=True,
                            metadata={"description": "Topics pushed to your phones; 'policy' messages "
                                                     "are not kept at all when unsubscribed"})
    enterprise_topics = _Sorted(ma.fields.String(), metadata={
        "description": "Citizens only: topics of your enterprises' inbox you also want in your own"})
    quiet_start = ma.fields.String(allow_none=True, required=True, metadata={"example": "22:00"})
    quiet_end = ma.fields.String(allow_none=True, required=True, metadata={"example": "07:30"})
    available_topics = ma.fields.List(ma.fields.String(), required=True, dump_default=lambda: list(TOPICS))
    optional_topics = ma.fields.List(ma.fields.String(), required=True, dump_default=lambda: list(OPTIONAL_TOPICS))


class SubscriptionsUpdateSchema(StrictSchema):
    topics = ma.fields.List(ma.fields.String(validate=one_of(TOPICS)), validate=validate.Length(max=20))
    enterprise_topics = ma.fields.List(ma.fields.String(validate=one_of(TOPICS)),
                                       validate=validate.Length(max=20))
    quiet_start = ma.fields.String(allow_none=True, validate=_hhmm, metadata={"example": "22:00"})
    quiet_end = ma.fields.String(allow_none=True, validate=_hhmm, metadata={"example": "07:30"})

    @ma.validates_schema
    def _quiet_hours_pair(self, data, **_):
        if ("quiet_start" in data) != ("quiet_end" in data) or (
                (data.get("quiet_start") is None) != (data.get("quiet_end") is None)):
            raise ma.ValidationError("Give quiet_start and quiet_end together (or both null).", "quiet_end")


class DeviceCreateSchema(StrictSchema):
    platform = ma.fields.String(required=True, validate=one_of(PLATFORMS))
    token = ma.fields.String(required=True, validate=[validate.Length(min=8, max=512),
                                                      validate.Regexp(r"^[\x21-\x7e]+$", error="Printable ASCII only.")],
                             metadata={"description": "The push token the platform gave the app"})


class DeviceSchema(ma.Schema):
    id = ma.fields.String(required=True)
    platform = ma.fields.String(required=True, validate=one_of(PLATFORMS))
    token = Masked("middle", keep=(4, 4), required=True, metadata={"description": "Masked"})
    created_at = UtcDateTime(required=True)
    last_seen_at = UtcDateTime(required=True)


DeviceListSchema = page_of(DeviceSchema, "DeviceListSchema", cursor=False)
