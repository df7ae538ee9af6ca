"""The /docs page: Swagger UI served offline, operations grouped by who calls them.

The page must work offline (no CDN): flask-smorest's /docs page loads its scripts from
the installed swagger-ui-bundle package, served here (OPENAPI_SWAGGER_UI_URL).

Operations are tagged by caller, in Chinese with English (市民 Citizens, 企业 Enterprises,
合作方 Partners, 工作人员 Staff, 回调 Callbacks, 沙箱 Sandbox, 运维 Operations), each
tag's description naming the areas inside it. The page opens with every group collapsed,
a filter box, and keeps a pasted token across reloads (``SWAGGER_UI_CONFIG``). The spec
served at /openapi.json is in the reader's language: for Chinese, the operations'
summaries come from the catalogue and the guide is ``API_GUIDE_ZH``; openapi.yaml (the
contract) stays the English original.
"""

from __future__ import annotations

import copy

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

blp = Blueprint("docs_assets", __name__)

SWAGGER_UI_CONFIG = {
    "docExpansion": "none",          # groups collapsed: open the one you need
    "filter": True,                  # a box filtering the groups by tag
    "persistAuthorization": True,    # the pasted token survives a reload
    "displayRequestDuration": True,
    "tryItOutEnabled": False,
    "queryConfigEnabled": True,      # e.g. /docs?docExpansion=list opens every group
}

CITIZENS, ENTERPRISES, PARTNERS, STAFF, CALLBACKS, SANDBOX, OPERATIONS = (
    "市民 Citizens", "企业 Enterprises", "合作方 Partners", "工作人员 Staff", "回调 Callbacks", "沙箱 Sandbox",
    "运维 Operations")

GROUPS = {
    CITIZENS: "南海通App为市民调用：登录、实名认证、证照、签名、办事、缴费、消息。"
              "The Nanhai-Tong app, for citizens: sign-in, identity, e-licences, signatures, services, payments, inbox.",
    ENTERPRISES: "粤商通小程序为企业调用：企业登记、成员、企业证照与印章、惠企政策。"
                 "The Foshan-Nanhai-Tong mini-program, for enterprises: registration, members, licences, seals, policies.",
    PARTNERS: "合作方平台：OAuth 2.0 / OpenID Connect 授权，经用户同意读取数据，核验亮证。"
              "Partner platforms: OAuth 2.0 / OpenID Connect, data under the user's consent, presentation checks.",
    STAFF: "区工作人员：工作台登录、合作方与服务目录管理、政策发布、审计。"
           "The district's staff: console sign-in, partners, the service catalogue, policies, audit.",
    CALLBACKS: "上游平台回调本系统（支付渠道、省级网关），以其签名认证。"
               "Upstreams calling us back (payment gateways, provincial gateways), authenticated by their signatures.",
    SANDBOX: "沙箱：`make run` 时在 /sandbox 提供模拟的上游（短信、实名、支付等），/sandbox/demo 列出可用的测试数据。"
             "The sandbox upstreams mounted at /sandbox by `make run`; /sandbox/demo lists their test data.",
    OPERATIONS: "运维：存活与就绪探针。Liveness and readiness probes.",
}

# Each blueprint's operations belong to one caller; paths under /callbacks/ are callbacks.
BLUEPRINT_GROUPS = {
    "health": OPERATIONS, "wellknown": PARTNERS, "oauth": PARTNERS, "oidc_discovery": PARTNERS,
    "open_api": PARTNERS, "enterprises": ENTERPRISES, "policies": ENTERPRISES, "policy_matches": ENTERPRISES,
    "payment_callbacks": CALLBACKS,
}


def group_of(blueprint: str, path: str) -> str:
    if "/callbacks/" in path:
        return CALLBACKS
    if blueprint.startswith("admin_"):
        return STAFF
    return BLUEPRINT_GROUPS.get(blueprint, CITIZENS)


def register_groups(spec) -> None:
    """The caller tags, in this order, before any operation names one."""
    for name, description in GROUPS.items():
        spec.tag({"name": name, "description": description})


def regroup(spec, blueprint: str, description: str | None) -> None:
    """Re-tag a documented blueprint's operations by caller; its description joins the group's."""
    groups = set()
    for path, operations in spec._paths.items():
        for operation in operations.values():
            if isinstance(operation, dict) and operation.get("tags") == [blueprint]:
                operation["tags"] = [group_of(blueprint, path)]
                groups.add(operation["tags"][0])
    for tag in spec._tags:
        if tag["name"] in groups and description:
            tag["description"] += f"\n\n- **{blueprint}**: {description}"


def localised(spec: dict, translate, guide: str | None) -> dict:
    """A copy of the spec with the operations' summaries and descriptions (and the guide) in the
    reader's language."""
    spec = copy.deepcopy(spec)
    if guide:
        spec["info"]["description"] = guide
    for tag in spec.get("tags", []):
        # "- **licences**: Your e-licences..." lines: each area's description translated.
        tag["description"] = "\n".join(
            f"{line[:line.index(': ') + 2]}{translate(line[line.index(': ') + 2:])}" if line.startswith("- **") else line
            for line in tag.get("description", "").split("\n"))
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for part in ("summary", "description"):
                if operation.get(part):
                    operation[part] = translate(operation[part])
    return spec


@blp.route("/docs/assets/<path:filename>")
def asset(filename: str):
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
