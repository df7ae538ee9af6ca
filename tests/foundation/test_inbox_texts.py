"""Inbox, push and SMS texts come from the template catalogue (nanhaitong/sms_templates.py),
never from a text written at the place that sends them.

Read from the code (no hand list): every call that puts a message in an inbox
(``notify_user``, ``notify_enterprise``, ``notify_enterprises``, and any function of the
same module that hands its own parameters on as the title or body) must pass a title and a
body that carry no text of their own (no string literal, f-string or ``"...".format``):
they come from ``inbox_text(name, **values)``. Every SMS names a registered template (never
the gateway's free-text ``notice``). Every template named in the code exists and is given
exactly its parameters; and each has a Chinese text in the catalogue, which
tests/foundation/test_translations.py extends to every one added later (they are ``N_``
message ids). What staff write themselves (a policy's title and summary) is sent as written.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import nanhaitong
from nanhaitong import sms_templates
from nanhaitong.i18n import get_translations

PACKAGE = Path(nanhaitong.__file__).resolve().parent
SENDERS = {"notify_user", "notify_enterprise", "notify_enterprises"}
TEXT_ARGUMENTS = ("title", "body")
# Chinese: the ideographs and the full-width punctuation ("{service}：{status}" is a Chinese title).
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
PLACEHOLDERS = re.compile(r"\{(\w+)\}")
# The gateway's own templates: codes only (a free-text notice would bypass registration).
GATEWAY_TEMPLATES = {sms_templates.GENERIC_CODE_TEMPLATE}


def _name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


WORDS = re.compile(r"[^\W\d_]")  # a letter of any script: "…" or "、" alone are not words
CLEAN = {"inbox_text", "phrase", "sms_params"}  # what the catalogue answers is not text written here


def _carries_text(node: ast.AST, scope: dict[str, list[ast.AST]], seen: frozenset = frozenset()) -> bool:
    """Whether ``node`` puts words of its own in the message: a literal, an f-string's
    literal part, ``"...".format``, or a name (local, or of the module) bound to one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(WORDS.search(node.value))
    if isinstance(node, ast.Name):
        if node.id in seen:
            return False
        return any(_carries_text(value, scope, seen | {node.id}) for value in scope.get(node.id, ()))
    if isinstance(node, ast.Call):
        if (isinstance(node.func, ast.Name) and node.func.id in CLEAN) or (
                isinstance(node.func, ast.Attribute) and node.func.attr in CLEAN):
            return False
        # a method of a text ("...".format(...), template.format(...)); the arguments are values
        return isinstance(node.func, ast.Attribute) and _carries_text(node.func.value, scope, seen)
    if isinstance(node, ast.Subscript):
        return _carries_text(node.value, scope, seen)
    if isinstance(node, ast.Attribute):
        return False  # data (a row's title, an item's name)
    if isinstance(node, ast.Dict):
        return any(_carries_text(v, scope, seen) for v in node.values)
    return any(_carries_text(child, scope, seen) for child in ast.iter_child_nodes(node))


def _bindings(body) -> dict[str, list[ast.AST]]:
    """name -> what is assigned to it (a tuple unpacked element by element)."""
    found: dict[str, list[ast.AST]] = {}
    for node in body:
        for statement in ast.walk(node) if not isinstance(node, ast.FunctionDef) else ():
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, []).append(statement.value)
                    elif isinstance(target, ast.Tuple):
                        values = (statement.value.elts if isinstance(statement.value, ast.Tuple)
                                  and len(statement.value.elts) == len(target.elts)
                                  else [statement.value] * len(target.elts))
                        for element, value in zip(target.elts, values):
                            if isinstance(element, ast.Name):
                                found.setdefault(element.id, []).append(value)
    return found


def _argument(call: ast.Call, keyword: str, position: int | None):
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    if position is not None and len(call.args) > position:
        return call.args[position]
    return None


def _parameters(function: ast.FunctionDef) -> list[str]:
    args = function.args
    return [a.arg for a in args.posonlyargs + args.args] + [a.arg for a in args.kwonlyargs]


def _text_slots(tree: ast.Module) -> dict[str, dict[str, int | None]]:
    """Every function that sends an inbox message, with where its title/body come in:
    the senders themselves, and (to a fixed point) functions of this module that pass a
    parameter of theirs on as a title or body."""
    slots: dict[str, dict[str, int | None]] = {name: {"title": None, "body": None} for name in SENDERS}
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    changed = True
    while changed:
        changed = False
        for function in functions:
            if function.name in slots:
                continue
            parameters = _parameters(function)
            positional = [a.arg for a in function.args.posonlyargs + function.args.args]
            found = {}
            for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
                for keyword, position in slots.get(_name(call), {}).items():
                    value = _argument(call, keyword, position)
                    if isinstance(value, ast.Name) and value.id in parameters:
                        found[value.id] = positional.index(value.id) if value.id in positional else None
            if found:
                slots[function.name] = found
                changed = True
    return slots


def inbox_problems(source: str, filename: str) -> list[str]:
    """What breaks the rule in one module: each names the file, line and argument."""
    tree = ast.parse(source)
    slots = _text_slots(tree)
    module_scope = _bindings(tree.body)
    problems = []
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    for owner in [tree, *functions]:
        body = owner.body
        scope = {**module_scope, **(_bindings(body) if owner is not tree else {})}
        # notify = messages.notify_user if ... else messages.notify_enterprise
        aliases = {name: sender for name, values in scope.items() for value in values
                   if not isinstance(value, ast.Call) for sender in _senders_named(value, slots)}
        calls = [n for statement in body for n in (ast.walk(statement) if owner is not tree
                                                   or not isinstance(statement, ast.FunctionDef) else ())
                 if isinstance(n, ast.Call)]
        for call in calls:
            problems += _call_problems(call, aliases.get(_name(call), _name(call)), slots, scope, filename)
    return sorted(set(problems))


def _senders_named(node, slots) -> list[str]:
    """The senders an expression names (``messages.notify_user if ... else ...``)."""
    return [n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(node)
            if (isinstance(n, ast.Name) and n.id in slots) or (isinstance(n, ast.Attribute) and n.attr in slots)]


def _call_problems(call, name, slots, scope, filename) -> list[str]:
    problems = []
    for keyword, position in slots.get(name, {}).items():
        value = _argument(call, keyword, position)
        if value is not None and _carries_text(value, scope):
            problems.append(f"{filename}:{call.lineno}: {name}(... {keyword}=<text written here>): "
                            f"use sms_templates.inbox_text(<template>, ...)")
    if name in ("inbox_text", "sms_params") and call.args and isinstance(call.args[0], ast.Constant):
        template = call.args[0].value
        known = sms_templates.INBOX_TEXTS if name == "inbox_text" else sms_templates.TEMPLATES
        if template not in known:
            problems.append(f"{filename}:{call.lineno}: {name}({template!r}): no such template")
        elif not any(k.arg is None for k in call.keywords):  # no **values: the keywords are all of them
            wanted = (sms_templates.inbox_params(template) if name == "inbox_text"
                      else sms_templates.TEMPLATES[template].params)
            given = {k.arg for k in call.keywords}
            if given != wanted:
                problems.append(f"{filename}:{call.lineno}: {name}({template!r}) takes {sorted(wanted)}, "
                                f"given {sorted(given)}")
    if name == "enqueue_sms":
        template = _argument(call, "template", 1)
        if isinstance(template, ast.Constant) and template.value not in sms_templates.TEMPLATES:
            problems.append(f"{filename}:{call.lineno}: enqueue_sms(..., {template.value!r}): "
                            "not a template registered in sms_templates.TEMPLATES")
        params = _argument(call, "params", 2)
        if params is not None and _carries_text(params, scope):
            problems.append(f"{filename}:{call.lineno}: enqueue_sms(...) with a text written here: "
                            "use sms_templates.sms_params(<template>, ...)")
    return problems


def test_no_inbox_push_or_sms_text_is_written_where_it_is_sent():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts or path.name == "sms_templates.py":
            continue
        problems += inbox_problems(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("planted", [
    'messages.notify_user(u, topic="esign", title="文件已签署", body=body)',
    'messages.notify_enterprise(e, topic="esign", title=title, body=f"《{name}》已签署")',
    'notify_enterprises(ids, topic="payment", title=title, body="Paid {x}".format(x=1))',
    'def _tell(user_id, title, text):\n    notify_user(user_id, topic="security", title=title, body=text)\n'
    '_tell(u, "账号注销已撤销", body)',
    'enqueue_sms(phone, "notice", {"text": body})',
    'STATUS = {"submitted": "已提交"}\ndef f():\n    title = f"{item.name}：{STATUS[s]}"\n    messages.notify_user(u, topic="t", title=title, body=b)',
    'def f():\n    notify = messages.notify_user if c else messages.notify_enterprise\n'
    '    notify(o, topic="esign", title="签名证书已吊销", body=b)',
    'WORDS = {"done": ("缴费成功", "您的{what}已完成。")}\ndef f(what):\n    title, template = WORDS[what]\n'
    '    notify_user(u, topic="payment", title=title, body=template.format(what=x))',
    'enqueue_sms(phone, "licence_expiry", {"licence": name, "date": f"{d}到期"})',
    'inbox_text("no_such_template")',
    'inbox_text("certificate_revoked", serial=s, extra=1)',
    'sms_params("licence_expiry", licence=name)',
])
def test_the_rule_catches_a_planted_text(planted):
    assert inbox_problems(planted, "planted.py"), planted


def test_a_catalogue_text_passes():
    assert not inbox_problems(
        'title, body = inbox_text("certificate_revoked", serial=s)\n'
        'notify(owner, topic="esign", title=title, body=body)\n'
        'enqueue_sms(phone, "licence_expiry", sms_params("licence_expiry", **values))', "ok.py")


def test_every_inbox_and_sms_template_reads_in_chinese_with_its_parameters():
    zh = get_translations("zh_CN")
    texts = [(name, text) for name, pair in sms_templates.INBOX_TEXTS.items() for text in pair]
    texts += [(name, template.text) for name, template in sms_templates.TEMPLATES.items()]
    for name, text in texts:
        chinese = zh.gettext(text)
        assert chinese != text and CJK.search(chinese), (name, text)
        assert sorted(PLACEHOLDERS.findall(chinese)) == sorted(PLACEHOLDERS.findall(text)), (name, text)
    # An SMS that repeats an inbox message says the same words (one message id for both).
    for name, template in sms_templates.TEMPLATES.items():
        if name in sms_templates.INBOX_TEXTS:
            assert sms_templates.INBOX_TEXTS[name][1] == template.text, name


def test_inbox_text_fills_the_template_in_chinese_and_refuses_wrong_values():
    assert sms_templates.inbox_text("certificate_revoked", serial="0a1b2c") == (
        "签名证书已吊销", "签名证书（序列号 0a1b2c…）已吊销，此后不能再用于签署。")
    with pytest.raises(ValueError):
        sms_templates.inbox_text("certificate_revoked")
    with pytest.raises(ValueError):
        sms_templates.sms_params("licence_expiry", licence="驾驶证")
    assert sms_templates.sms_params("esign_declined", title="合同", reason="理" * 80)["reason"] == "理" * 60
