"""The message inbox, its subscriptions and the devices pushes go to."""

import re

import marshmallow as ma
from marshmallow import validate

from .common import StrictSchema

TOPICS = ("application_status", "payment", "esign", "licence_expiry", "policy", "security")
PLATFORMS = ("ios", "android", "harmonyos", "wechat")
_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")


class MessageListArgsSchema(ma.Schema):
    topic = ma.fields.String(validate=validate.OneOf(TOPICS))
    unread_only = ma.fields.Boolean(load_default=False)
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=validate.Length(min=1, max=40),
                              metadata={"description": "next_cursor of the previous page"})


class MessageSchema(ma.Schema):
    id = ma.fields.String(required=True)
    topic = ma.fields.String(required=True, metadata={"description": f"One of {', '.join(TOPICS)}"})
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    data = ma.fields.Dict(required=True, metadata={
        "description": "What the app needs to open the subject (application_id, order_id, policy_id, ...)"})
    created_at = ma.fields.String(required=True)
    read = ma.fields.Boolean(required=True)
    read_at = ma.fields.String(allow_none=True, required=True)


class MessageListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MessageSchema), required=True,
                           metadata={"description": "Unread first, then newest first"})
    next_cursor = ma.fields.String(allow_none=True, required=True)
    unread_count = ma.fields.Integer(required=True)


class UnreadCountSchema(ma.Schema):
    unread_count = ma.fields.Integer(required=True)


class ReadAllSchema(ma.Schema):
    marked = ma.fields.Integer(required=True, metadata={"description": "How many messages were unread"})


def _hhmm(value: str | None) -> None:
    if value is not None and not _HHMM.match(value):
        raise ma.ValidationError("Use HH:MM, 24-hour, China time.")


class SubscriptionsSchema(ma.Schema):
    topics = ma.fields.List(ma.fields.String(), required=True,
                            metadata={"description": "Topics pushed to your phones; 'policy' messages "
                                                     "are not kept at all when unsubscribed"})
    enterprise_topics = ma.fields.List(ma.fields.String(), metadata={
        "description": "Citizens only: topics of your enterprises' inbox you also want in your own"})
    quiet_start = ma.fields.String(allow_none=True, required=True, metadata={"example": "22:00"})
    quiet_end = ma.fields.String(allow_none=True, required=True, metadata={"example": "07:30"})
    available_topics = ma.fields.List(ma.fields.String(), required=True)
    optional_topics = ma.fields.List(ma.fields.String(), required=True)


class SubscriptionsUpdateSchema(StrictSchema):
    topics = ma.fields.List(ma.fields.String(validate=validate.OneOf(TOPICS)), validate=validate.Length(max=20))
    enterprise_topics = ma.fields.List(ma.fields.String(validate=validate.OneOf(TOPICS)),
                                       validate=validate.Length(max=20))
    quiet_start = ma.fields.String(allow_none=True, validate=_hhmm, metadata={"example": "22:00"})
    quiet_end = ma.fields.String(allow_none=True, validate=_hhmm, metadata={"example": "07:30"})

    @ma.validates_schema
    def _quiet_hours_pair(self, data, **_):
        if ("quiet_start" in data) != ("quiet_end" in data) or (
                (data.get("quiet_start") is None) != (data.get("quiet_end") is None)):
            raise ma.ValidationError("Give quiet_start and quiet_end together (or both null).", "quiet_end")


class DeviceCreateSchema(StrictSchema):
    platform = ma.fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    token = ma.fields.String(required=True, validate=[validate.Length(min=8, max=512),
                                                      validate.Regexp(r"^[\x21-\x7e]+$", error="Printable ASCII only.")],
                             metadata={"description": "The push token the platform gave the app"})


class DeviceSchema(ma.Schema):
    id = ma.fields.String(required=True)
    platform = ma.fields.String(required=True)
    token = ma.fields.String(required=True, metadata={"description": "Masked"})
    created_at = ma.fields.String(required=True)
    last_seen_at = ma.fields.String(required=True)


class DeviceListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DeviceSchema), required=True)
