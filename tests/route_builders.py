"""Werkzeug's URL builders, compiled once per test process instead of once per app.

Binding a rule to a map compiles two Python functions for it (``Rule._compile_builder``:
an AST, then ``compile``). The suite builds an app per test with the same few hundred
rules, and that compilation was over a third of building one. The generated code is a
function of the rule's text, its parsed parts, its defaults' names and
``append_unknown`` only; it reaches the rule's converters through ``self`` at call time,
and each rule binds the shared function to itself. So the same inputs get the same
function object here. Rules with a default for one of their own variables (the code
then holds that converter's output) are compiled as before.

Parsing a rule (``Rule._parse_rule``: its regex parts, its trace, a converter per
variable) was the next largest part: it is a function of the rule's text and the map's
converter classes only, so its parts and trace are kept too, and each rule gets converters
of its own, copies bound to its own map (``install_parse``).

Tests only: the application never builds more than one app per process.
"""

from __future__ import annotations

from importlib.metadata import version

from werkzeug.routing.matcher import State, StateMachineMatcher
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


def install_parse() -> None:
    if not version("werkzeug").startswith(_REVIEWED) or getattr(Rule._parse_rule, "memoized", False):
        return
    parse_rule = Rule._parse_rule
    parsed: dict[tuple, tuple] = {}

    def memoized(self: Rule, rule: str):
        key = (rule, tuple(self.map.converters.items()))
        known = parsed.get(key)
        if known is None:
            trace_from, converters_before = len(self._trace), set(self._converters)
            parts = list(parse_rule(self, rule))
            known = parsed[key] = (parts, self._trace[trace_from:],
                                   [(name, c) for name, c in self._converters.items() if name not in converters_before])
            return iter(parts)
        parts, trace, converters = known
        self._trace.extend(trace)
        for name, converter in converters:
            # copy.copy, without its __reduce_ex__ round (a sixtieth of a test's CPU)
            own = object.__new__(type(converter))
            own.__dict__.update(converter.__dict__)
            own.map = self.map
            self._converters[name] = own
            self.arguments.add(name)
        return iter(parts)

    memoized.memoized = True
    memoized.__wrapped__ = parse_rule
    Rule._parse_rule = memoized


def install_matcher() -> None:
    """Werkzeug's ``StateMachineMatcher.add`` without its throwaway states.

    It made a new ``State`` (a dataclass of a list, a list and a dict) for every static
    part of every rule, whether or not the part's state existed, and kept only the new
    ones: a few thousand allocations per app, most of them garbage at once. This one
    makes a state only where there is none yet; the tree it builds is the same.
    """
    if not version("werkzeug").startswith(_REVIEWED) or getattr(StateMachineMatcher.add, "lean", False):
        return

    def add(self: StateMachineMatcher, rule: Rule) -> None:
        state = self._root
        for part in rule._parts:
            if part.static:
                following = state.static.get(part.content)
                if following is None:
                    following = state.static[part.content] = State()
                state = following
            else:
                for test_part, new_state in state.dynamic:
                    if test_part == part:
                        state = new_state
                        break
                else:
                    new_state = State()
                    state.dynamic.append((part, new_state))
                    state = new_state
        state.rules.append(rule)

    add.lean = True
    add.__wrapped__ = StateMachineMatcher.add
    StateMachineMatcher.add = add
