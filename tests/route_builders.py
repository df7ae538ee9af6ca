"""Werkzeug's URL builders, compiled once per test process instead of once per app.

Binding a rule to a map compiles two Python functions for it (``Rule._compile_builder``:
an AST, then ``compile``). The suite builds an app per test with the same few hundred
rules, and that compilation was over a third of building one. The generated code is a
function of the rule's text, its parsed parts, its defaults' names and
``append_unknown`` only; it reaches the rule's converters through ``self`` at call time,
and each rule binds the shared function to itself. So the same inputs get the same
function object here. Rules with a default for one of their own variables (the code
then holds that converter's output) are compiled as before.

Tests only: the application never builds more than one app per process.
"""

from __future__ import annotations

from importlib.metadata import version

from werkzeug.routing.rules import Rule

# The inputs above were read from werkzeug 3.1's Rule._compile_builder; another version
# may read more, so it compiles every time.
_REVIEWED = "3.1."


def install() -> None:
    if not version("werkzeug").startswith(_REVIEWED) or getattr(Rule._compile_builder, "memoized", False):
        return
    compile_builder = Rule._compile_builder
    compiled: dict[tuple, object] = {}

    def memoized(self: Rule, append_unknown: bool = True):
        defaults = self.defaults or {}
        if defaults and any(is_dynamic and data in defaults for is_dynamic, data in self._trace):
            return compile_builder(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(defaults), append_unknown)
        builder = compiled.get(key)
        if builder is None:
            builder = compiled[key] = compile_builder(self, append_unknown)
        return builder

    memoized.memoized = True
    memoized.__wrapped__ = compile_builder
    Rule._compile_builder = memoized
