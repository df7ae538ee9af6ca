"""The inbox (/api/v1/messages), its subscriptions, and push devices (/api/v1/me/devices)."""

from flask import g
from flask.views import MethodView

from schemas.common import Page, With
from schemas.messages import (
    DeviceCreateSchema,
    DeviceListSchema,
    DeviceSchema,
    MessageListArgsSchema,
    MessageListSchema,
    MessageSchema,
    ReadAllSchema,
    SubscriptionsSchema,
    SubscriptionsUpdateSchema,
    UnreadCountSchema,
)

from ..api import Blueprint
from . import service

blp = Blueprint("messages", __name__, url_prefix="/api/v1/messages",
                description="Your inbox (or your enterprise's, when acting for it): application status, "
                            "payments, licence expiry, policies.")
devices_blp = Blueprint("devices", __name__, url_prefix="/api/v1/me/devices",
                        description="Phones registered for push notifications.")


@blp.route("")
class Messages(MethodView):
    @blp.login_required("citizen")
    @blp.arguments(MessageListArgsSchema, location="query")
    @blp.response(200, MessageListSchema)
    def get(self, args):
        """The inbox: unread first, then newest first."""
        items, next_cursor = service.list_messages(g.principal, topic=args.get("topic"),
                                                   unread_only=args["unread_only"], limit=args["limit"],
                                                   cursor=args.get("cursor"))
        return With(Page(items, next_cursor), unread_count=service.unread_count(g.principal))


@blp.route("/unread-count")
class UnreadCount(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, UnreadCountSchema)
    def get(self):
        """How many messages are unread (for the app's badge)."""
        return {"unread_count": service.unread_count(g.principal)}


@blp.route("/read-all")
class ReadAll(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, ReadAllSchema)
    def post(self):
        """Mark every message read."""
        return {"marked": service.mark_all_read(g.principal)}


@blp.route("/subscriptions")
class Subscriptions(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, SubscriptionsSchema)
    def get(self):
        """Which topics are pushed, and the quiet hours (pushes wait for their end)."""
        return service.get_preferences(g.principal)

    @blp.login_required("citizen")
    @blp.arguments(SubscriptionsUpdateSchema)
    @blp.response(200, SubscriptionsSchema)
    def put(self, body):
        """Change topics or quiet hours; fields left out keep their value."""
        return service.set_preferences(g.principal, body)


@blp.route("/<ulid:message_id>")
class MessageItem(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, MessageSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, message_id):
        """One message."""
        return service.get_message(g.principal, message_id)


@blp.route("/<ulid:message_id>/read")
class MessageRead(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, MessageSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, message_id):
        """Mark one message read (again is fine)."""
        return service.mark_read(g.principal, message_id)


@devices_blp.route("")
class Devices(MethodView):
    @devices_blp.login_required("citizen")
    @devices_blp.arguments(DeviceCreateSchema)
    @devices_blp.response(201, DeviceSchema)
    @devices_blp.alt_response(409, response="CONFLICT",
                              description="The same token is being registered by another request; try again.")
    def post(self, body):
        """Register this phone's push token (again refreshes it; a token moves to its last registrant)."""
        device, _ = service.register_device(g.principal, body["platform"], body["token"])
        return device

    @devices_blp.login_required("citizen")
    @devices_blp.response(200, DeviceListSchema)
    def get(self):
        """Your registered phones, tokens masked."""
        return Page(service.list_devices(g.principal))


@devices_blp.route("/<ulid:device_id>")
class DeviceItem(MethodView):
    @devices_blp.login_required("citizen")
    @devices_blp.response(204)
    @devices_blp.alt_response(404, response="NOT_FOUND")
    def delete(self, device_id):
        """Stop pushing to this phone."""
        service.remove_device(g.principal, device_id)
