"""Babel extraction for our code, driven by ``nanhaitong/translations/babel.cfg``.

pybabel's own Python extractor only sees string arguments of named calls; our texts also
live in places it cannot see. This extractor reads the syntax tree and yields:

* the message of a call to any of the ``keywords`` (the AppError subclasses, ``N_`` and
  the like, listed in babel.cfg): its first positional string (or the one at the position
  given as ``Name:2``), a ``"...".format(...)`` template, and every string inside a dict or
  list given first (``ValidationFailed({"field": ["message"]})``);
* ``message=`` and ``error=`` string arguments of any call (rate limits, marshmallow
  validators) and ``description=`` of an ``...Error(...)`` call (OAuth errors) or of a
  ``Blueprint(...)`` (an area of the API, shown on /docs);
* a message kept in a module constant and raised by name (``raise Unauthorized(INVALID)``);
* the messages of ``problems["field"] = ["..."]``, gathered before ``ValidationFailed``;
* the summary and description of each operation (a MethodView method's docstring, as
  flask-smorest reads it);
* ``message = "..."`` class attributes (an AppError subclass's default text);
* ``raise ValidationError("...")`` of marshmallow;
* in ``library_messages.py``, the texts of the libraries we show (marshmallow, webargs),
  read from those libraries themselves, so an upgrade that adds one is noticed.

It imports nothing of the application (a plain function of the file).
"""

from __future__ import annotations

import ast

ARGUMENT_KEYWORDS = ("message", "error", "description")
ALWAYS = ("N_", "ValidationError", "make_error_message")


def _keyword_positions(keywords, options) -> dict[str, tuple[int, ...]]:
    """``Name`` or ``Name:2`` or ``Name:1,2`` (1-based argument positions) from babel.cfg."""
    positions: dict[str, tuple[int, ...]] = {name: (0,) for name in ALWAYS}
    configured = (options or {}).get("keywords") or {}
    if isinstance(configured, str):  # older Babel hands the option over as written
        configured = dict(item.partition(":")[::2] for item in configured.split())
    for name, spec in configured.items():
        if isinstance(spec, str):
            spec = tuple(int(p) for p in spec.split(",")) if spec else None
        elif isinstance(spec, dict):  # Babel >= 2.14 may key specs by argument count
            spec = next(iter(spec.values()), None)
        numbers = tuple(p for p in (spec or (1,)) if isinstance(p, int))
        positions[name] = tuple(p - 1 for p in numbers) or (0,)
    return positions


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _template(node) -> str | None:
    """A string literal, or the literal of ``"...".format(...)``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)):
        return node.func.value.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "a " "b" split over lines is one Constant
        left, right = _template(node.left), _template(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _strings_in(node):
    """Every message string inside a dict/list/tuple literal (values, not keys)."""
    text = _template(node)
    if text is not None:
        yield node.lineno, text
        return
    if isinstance(node, ast.IfExp):  # "one text" if condition else "another"
        yield from _strings_in(node.body)
        yield from _strings_in(node.orelse)
    elif isinstance(node, ast.Dict):
        for value in node.values:
            yield from _strings_in(value)
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for value in node.elts:
            yield from _strings_in(value)


def _constants(tree: ast.Module) -> dict[str, ast.AST]:
    """Module-level ``NAME = "text"``: a message kept in a constant and raised by name."""
    found = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and _template(statement.value) is not None:
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = statement.value
    return found


def _messages(tree: ast.Module, positions: dict[str, tuple[int, ...]]):
    constants = _constants(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in positions:
                for position in positions[name]:
                    if len(node.args) > position:
                        argument = node.args[position]
                        if isinstance(argument, ast.Name) and argument.id in constants:
                            argument = constants[argument.id]
                        for lineno, text in _strings_in(argument):
                            yield lineno, name, text
            for keyword in node.keywords:
                if keyword.arg == "description" and not (name or "").endswith(("Error", "Blueprint")):
                    continue  # a response's documentation, not a message (OAuth errors take description=)
                if keyword.arg in ARGUMENT_KEYWORDS:
                    for lineno, text in _strings_in(keyword.value):
                        yield lineno, keyword.arg, text
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.List)
              and any(isinstance(target, ast.Subscript) for target in node.targets)):
            # problems["field"] = ["message"]: a field's messages gathered before ValidationFailed
            for lineno, text in _strings_in(node.value):
                yield lineno, "fields", text
        elif isinstance(node, ast.ClassDef):
            yield from _operation_summaries(node)
            bases = {getattr(base, "id", None) or getattr(base, "attr", None) for base in node.bases}
            if not bases & set(positions) and not any(str(b).endswith("Error") for b in bases):
                continue
            for statement in node.body:
                if not isinstance(statement, ast.Assign):
                    continue
                for target in statement.targets:
                    if isinstance(target, ast.Name) and target.id == "message":
                        for lineno, text in _strings_in(statement.value):
                            yield lineno, "message", text
                    elif (isinstance(target, ast.Tuple) and isinstance(statement.value, ast.Tuple)
                          and len(target.elts) == len(statement.value.elts)):
                        for name_node, value in zip(target.elts, statement.value.elts):
                            if isinstance(name_node, ast.Name) and name_node.id == "message":
                                for lineno, text in _strings_in(value):
                                    yield lineno, "message", text


HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _operation_summaries(node: ast.ClassDef):
    """A MethodView's operation summaries and descriptions, as flask-smorest reads them from
    the docstrings (the /docs page shows them in the reader's language)."""
    from flask_smorest.utils import load_info_from_docstring

    for statement in node.body:
        if isinstance(statement, ast.FunctionDef) and statement.name in HTTP_METHODS:
            docstring = ast.get_docstring(statement, clean=False)
            info = load_info_from_docstring(docstring) if docstring else {}
            for part in ("summary", "description"):
                if info.get(part):
                    yield statement.lineno, part, info[part]


def extract_nanhaitong(fileobj, keywords, comment_tags, options):
    """Babel extraction method (``[extractors] nanhaitong = nanhaitong.i18n.extract:extract_nanhaitong``)."""
    source = fileobj.read().decode((options or {}).get("encoding", "utf-8"))
    tree = ast.parse(source)
    seen = set()
    for lineno, _, text in _messages(tree, _keyword_positions(keywords, options)):
        if " " not in text.strip() or (lineno, text) in seen:  # a sentence, not a flag like error="m"
            continue
        seen.add((lineno, text))
        yield lineno, None, text, []


def extract_library_messages(fileobj, keywords, comment_tags, options):
    """Babel extraction method for the texts of the libraries whose messages reach people."""
    from .library_messages import library_messages

    for text in library_messages():
        yield 1, None, text, []
