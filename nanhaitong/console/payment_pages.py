"""The payment operator's pages: orders and their timelines, refunds, reconciliation and stuck orders."""

from __future__ import annotations

from datetime import date

from flask import (
    g,
    redirect,
    request,
    url_for,
)

from schemas.admin import RefundRequestSchema, RunSchema
from schemas.identity import Phone

from ..payments import admin as payments
from . import auth
from .routes import STATUS_NAMES, arg, blp, form, parse, parse_date, render, today

_REFUND_REQUEST, _RUN = RefundRequestSchema(), RunSchema()


@blp.route("/orders", methods=["GET"])
@auth.signed_in
def orders():
    filters = {"out_trade_no": arg("out_trade_no"), "phone": parse(Phone(), arg("phone"), "phone"),
               "status": arg("status"), "channel": arg("channel"),
               "date_from": parse_date(arg("date_from"), "date_from"), "date_to": parse_date(arg("date_to"), "date_to")}
    items, next_cursor = payments.search_orders(g.principal, limit=20, cursor=arg("cursor"), **filters)
    return render("orders.html", orders=payments.order_summaries(items), next_cursor=next_cursor,
                   args=request.args, statuses=STATUS_NAMES)


@blp.route("/orders/<order_id>", methods=["GET", "POST"])
@auth.signed_in
def order(order_id):
    notice = None
    if request.method == "POST":
        made = payments.request_refund(g.principal, order_id, form("reason"))
        notice = ("退款申请已提交，等待另一位支付运营人员审批。" if made.status == "pending_approval"
                  else "已向支付渠道发起退款。")
    return render("order.html", order=payments.order_timeline(g.principal, order_id), notice=notice,
                   threshold=payments.approval_threshold_fen())


@blp.route("/refunds", methods=["GET", "POST"])
@auth.signed_in
def refunds():
    notice = None
    if request.method == "POST":
        approve = form("action") == "approve"
        decided = payments.decide_refund(g.principal, form("request_id"), approve=approve,
                                         note=form("note") or None)
        notice = "已批准，已向支付渠道发起退款。" if decided.status == "executed" else "已驳回。"
    items = _REFUND_REQUEST.dump(payments.pending_refunds(g.principal), many=True)
    return render("refunds.html", requests=items, notice=notice)


@blp.route("/reconciliation", methods=["GET", "POST"])
@auth.signed_in
def reconciliation():
    if request.method == "POST":
        day = parse_date(form("date"), "date") or date.fromisoformat(today())
        run = payments.run_reconciliation(g.principal, day, form("channel") or None)
        return redirect(url_for("console.reconciliation_run", run_id=run.id))
    runs, _ = payments.list_runs(g.principal, limit=50)
    return render("reconciliation.html", runs=_RUN.dump(runs, many=True), today=today())


@blp.route("/reconciliation/<run_id>", methods=["GET", "POST"])
@auth.signed_in
def reconciliation_run(run_id):
    notice = None
    if request.method == "POST":
        payments.resolve_mismatch(g.principal, form("mismatch_id"), form("note"))
        notice = "已记录处理说明。"
    return render("run.html", run=_RUN.dump(payments.with_mismatches(*payments.get_run(g.principal, run_id))),
                   notice=notice)


@blp.route("/stuck", methods=["GET"])
@auth.signed_in
def stuck():
    return render("stuck.html", queue=payments.stuck_orders(g.principal))
