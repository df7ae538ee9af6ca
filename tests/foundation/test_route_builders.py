"""The URL builders a test process shares between apps (tests/route_builders.py) are the
functions werkzeug compiles for each rule itself."""

from __future__ import annotations

from werkzeug.routing.rules import Rule


def _compiled(function) -> tuple:
    code = function.__code__
    return function.__name__, code.co_code, code.co_consts, code.co_names, code.co_varnames, function.__defaults__


def test_every_rule_gets_the_builder_werkzeug_would_compile_for_it(app):
    compile_afresh = getattr(Rule._compile_builder, "__wrapped__", None)
    assert compile_afresh is not None, "the builders are not shared: nothing to compare"
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100
    for rule in rules:
        for append_unknown in (False, True):
            assert _compiled(Rule._compile_builder(rule, append_unknown)) == _compiled(
                compile_afresh(rule, append_unknown)), rule.rule
