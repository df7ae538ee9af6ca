"""What privacy asks of messages about one person (issue 23): a copy of the inbox, and
erasing it with the devices and preferences at account deletion. The caller holds the
unit of work."""

from __future__ import annotations

import json

from sqlalchemy import delete, or_, select

from .. import db
from ..timeutil import isoformat
from .models import Device, Message, MessagePreference, PushDelivery

CITIZEN = "citizen"


def export(user_id: str) -> dict:
    session = db.session()
    inbox = session.execute(select(Message).where(Message.recipient_kind == CITIZEN, Message.recipient_id == user_id)
                            .order_by(Message.id)).scalars().all()
    devices = session.execute(select(Device).where(Device.user_id == user_id).order_by(Device.id)).scalars().all()
    prefs = session.execute(select(MessagePreference).where(MessagePreference.owner_kind == CITIZEN,
                                                            MessagePreference.owner_id == user_id)).scalar_one_or_none()
    return {
        "messages": [{"id": m.id, "topic": m.topic, "title": m.title, "body": m.body, "data": json.loads(m.data),
                      "created_at": isoformat(m.created_at), "read_at": isoformat(m.read_at) if m.read_at else None}
                     for m in inbox],
        "devices": [{"id": d.id, "platform": d.platform, "token": d.token, "created_at": isoformat(d.created_at)}
                    for d in devices],
        "preferences": json.loads(prefs.topics) if prefs else None,
    }


def erase(user_id: str) -> dict:
    session = db.session()
    inbox = select(Message.id).where(Message.recipient_kind == CITIZEN, Message.recipient_id == user_id)
    devices = select(Device.id).where(Device.user_id == user_id)
    session.execute(delete(PushDelivery).where(or_(PushDelivery.message_id.in_(inbox),
                                                   PushDelivery.device_id.in_(devices))))
    messages = session.execute(delete(Message).where(Message.recipient_kind == CITIZEN,
                                                     Message.recipient_id == user_id)).rowcount
    removed = session.execute(delete(Device).where(Device.user_id == user_id)).rowcount
    session.execute(delete(MessagePreference).where(MessagePreference.owner_kind == CITIZEN,
                                                    MessagePreference.owner_id == user_id))
    return {"messages_deleted": messages, "devices_deleted": removed}
