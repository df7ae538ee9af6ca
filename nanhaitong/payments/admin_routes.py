"""/api/v1/admin: payment orders, manual refunds, reconciliation and the stuck queue (role payments_ops)."""

from flask import g
from flask.views import MethodView

from schemas.admin import (
    AdminOrderListSchema,
    AdminOrderTimelineSchema,
    MismatchSchema,
    OrderSearchArgsSchema,
    PageArgsSchema,
    ReconcileSchema,
    RefundCreateSchema,
    RefundDecisionSchema,
    RefundRequestListSchema,
    RefundRequestSchema,
    ResolutionSchema,
    RunListSchema,
    RunSchema,
    StuckOrderListSchema,
)
from schemas.common import Page

from ..api import Blueprint
from . import admin

admin_payments_blp = Blueprint("admin_payments", __name__, url_prefix="/api/v1/admin",
                               description="Payment operations for staff (role payments_ops): orders, manual "
                                           "refunds with two-person approval, reconciliation, stuck orders.")
blp = admin_payments_blp


@blp.route("/payment-orders")
class AdminOrders(MethodView):
    @blp.login_required("staff")
    @blp.arguments(OrderSearchArgsSchema, location="query")
    @blp.response(200, AdminOrderListSchema)
    def get(self, args):
        """Search orders by number, payer's phone, China date of creation, status and channel; newest first."""
        items, next_cursor = admin.search_orders(g.principal, **args)
        return {"items": admin.order_summaries(items), "next_cursor": next_cursor}


@blp.route("/payment-orders/stuck")
class StuckOrders(MethodView):
    @blp.login_required("staff")
    @blp.response(200, StuckOrderListSchema)
    def get(self):
        """Orders waiting in refunding or fulfilment_failed, longest first; `overdue` past
        NHT_PAYMENTS_STUCK_ALERT_SECONDS (those are also alerted on by the `payments.alert_stuck` job)."""
        return admin.stuck_orders(g.principal)


@blp.route("/payment-orders/<ulid:order_id>")
class AdminOrder(MethodView):
    @blp.login_required("staff")
    @blp.response(200, AdminOrderTimelineSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, order_id):
        """The order's timeline: status changes, gateway events, manual refund requests and decisions.

        Reading it lands in the payer's access log."""
        return admin.order_timeline(g.principal, order_id)


@blp.route("/payment-orders/<ulid:order_id>/refunds")
class OrderRefunds(MethodView):
    @blp.login_required("staff")
    @blp.idempotent
    @blp.arguments(RefundCreateSchema)
    @blp.response(201, RefundRequestSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="`order_not_refundable`, `refund_already_requested`")
    def post(self, body, order_id):
        """Refund a stuck order by hand, with a reason (accepts an Idempotency-Key).

        At or below NHT_PAYMENTS_REFUND_APPROVAL_FEN the refund is asked of the channel at
        once (`executed`); above it the request waits (`pending_approval`) for a second
        payments_ops member. The order ends `refunded` when the channel confirms."""
        return admin.request_refund(g.principal, order_id, body["reason"])


@blp.route("/refund-requests")
class RefundRequests(MethodView):
    @blp.login_required("staff")
    @blp.response(200, RefundRequestListSchema)
    def get(self):
        """Manual refunds waiting for a second person's approval, oldest first."""
        return Page(admin.pending_refunds(g.principal))


@blp.route("/refund-requests/<ulid:request_id>/approval")
class RefundApproval(MethodView):
    @blp.login_required("staff")
    @blp.arguments(RefundDecisionSchema)
    @blp.response(200, RefundRequestSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="`refund_request_decided`")
    def post(self, body, request_id):
        """Approve a waiting refund (not your own: 403 `second_person_required`); the refund starts."""
        return admin.decide_refund(g.principal, request_id, approve=True, note=body["note"])


@blp.route("/refund-requests/<ulid:request_id>/rejection")
class RefundRejection(MethodView):
    @blp.login_required("staff")
    @blp.arguments(RefundDecisionSchema)
    @blp.response(200, RefundRequestSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="`refund_request_decided`")
    def post(self, body, request_id):
        """Reject a waiting refund (a second person's decision too)."""
        return admin.decide_refund(g.principal, request_id, approve=False, note=body["note"])


@blp.route("/reconciliation-runs")
class Runs(MethodView):
    @blp.login_required("staff")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, RunListSchema)
    def get(self, args):
        """Reconciliation runs (scheduled, from the CLI or from here), newest first."""
        items, next_cursor = admin.list_runs(g.principal, **args)
        return Page(items, next_cursor)

    @blp.login_required("staff")
    @blp.arguments(ReconcileSchema)
    @blp.response(201, RunSchema)
    def post(self, body):
        """Compare a channel's (or both channels') statement for a China date with our orders now."""
        run = admin.run_reconciliation(g.principal, body["date"], body["channel"])
        return admin.with_mismatches(*admin.get_run(g.principal, run.id))


@blp.route("/reconciliation-runs/<ulid:run_id>")
class Run(MethodView):
    @blp.login_required("staff")
    @blp.response(200, RunSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, run_id):
        """A run with its mismatches and how each was resolved."""
        return admin.with_mismatches(*admin.get_run(g.principal, run_id))


@blp.route("/reconciliation-mismatches/<ulid:mismatch_id>/resolution")
class Resolution(MethodView):
    @blp.login_required("staff")
    @blp.arguments(ResolutionSchema)
    @blp.response(200, MismatchSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def put(self, body, mismatch_id):
        """Say how a mismatch was resolved (a later note replaces an earlier one; each is audited)."""
        return admin.resolve_mismatch(g.principal, mismatch_id, body["note"])
