"""The policy editor's pages: drafts, the match-count preview, publishing and the fan-out's progress."""

from __future__ import annotations

import marshmallow as ma
from flask import (
    g,
    redirect,
    request,
    url_for,
)

from schemas.policy_push import CATEGORIES, SIZES, TOWNS, PolicyWriteSchema

from ..errors import ValidationFailed
from . import actions, auth
from .routes import blp, form, render


def _policy_fields() -> dict:
    rules = {"towns": request.form.getlist("towns"), "sizes": request.form.getlist("sizes"),
             "industry_codes": [c.strip() for c in form("industry_codes").replace("，", ",").split(",") if c.strip()]}
    rules = {name: value for name, value in rules.items() if value}
    body = {name: form(name) for name in ("title", "category", "issuer", "summary", "eligibility", "how_to_apply",
                                           "body")}
    body["rules"] = rules
    try:
        return PolicyWriteSchema().load(body)
    except ma.ValidationError as error:
        raise ValidationFailed(error.messages) from None


@blp.route("/policies", methods=["GET", "POST"])
@auth.signed_in
def policies():
    if request.method == "POST":
        policy_id = actions.draft_policy(g.principal, _policy_fields())
        return redirect(url_for("console.policy", policy_id=policy_id))
    return render("policies.html", policies=actions.list_policies(g.principal), categories=CATEGORIES,
                   towns=TOWNS, sizes=SIZES)


@blp.route("/policies/preview", methods=["POST"])
@auth.signed_in
def policy_preview():
    fields = _policy_fields()
    count = actions.preview_match_count(g.principal, fields["rules"])
    # htmx swaps the count into the form; without scripts it is a page of its own
    return render("policy_preview.html", count=count, fragment=request.headers.get("HX-Request") == "true")


@blp.route("/policies/<policy_id>", methods=["GET", "POST"])
@auth.signed_in
def policy(policy_id):
    notice = None
    if request.method == "POST":
        action = form("action")
        if action == "save":
            actions.save_policy(g.principal, policy_id, _policy_fields())
            notice = "已保存草稿。"
        elif action == "publish":
            actions.publish_policy(g.principal, policy_id)
            notice = "已发布，正在推送。"
        elif action == "withdraw":
            actions.withdraw_policy(g.principal, policy_id)
            notice = "已撤回。"
    item = actions.get_policy(g.principal, policy_id)
    return render("policy.html", policy=item, notice=notice, categories=CATEGORIES, towns=TOWNS, sizes=SIZES)


@blp.route("/policies/<policy_id>/progress", methods=["GET"])
@auth.signed_in
def policy_progress(policy_id):
    """The newest fan-out's progress bar. htmx polls it every two seconds; once the fan-out
    has finished (or there is none) the answer is 286, htmx's "stop polling"."""
    item = actions.get_policy(g.principal, policy_id)
    fanout = (item["fanouts"] or [None])[0]
    running = fanout is not None and fanout["status"] in ("queued", "running")
    return render("policy_progress.html", 200 if running else 286, policy=item, fanout=fanout)
