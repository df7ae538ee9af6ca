"""The URL builders a test process shares between apps (tests/route_builders.py) are the
functions werkzeug compiles for each rule itself."""

from __future__ import annotations

import re

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


def test_every_rule_gets_the_parts_and_converters_werkzeug_would_parse_for_it(app):
    parse_afresh = getattr(Rule._parse_rule, "__wrapped__", None)
    assert parse_afresh is not None, "the parsed rules are not shared: nothing to compare"
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100
    for rule in rules:
        fresh = rule.empty()
        fresh.map, fresh._trace, fresh._converters = app.url_map, [], {}
        parts = list(parse_afresh(fresh, re.sub("/{2,}", "/", rule.rule) if rule.merge_slashes else rule.rule))
        assert rule._parts[1:] == parts, rule.rule  # the first part is the (empty) domain's
        assert rule._trace == [(False, "|"), *fresh._trace], rule.rule
        assert rule.arguments >= set(fresh._converters), rule.rule
        for name, converter in fresh._converters.items():
            own = rule._converters[name]
            assert type(own) is type(converter) and vars(own) == vars(converter), rule.rule
            assert own.map is app.url_map, rule.rule


def _tree(state) -> tuple:
    return ([rule.rule for rule in state.rules],
            {content: _tree(following) for content, following in state.static.items()},
            [(part, _tree(following)) for part, following in state.dynamic])


def test_the_apps_rules_make_the_matcher_tree_werkzeug_would_build(app):
    from werkzeug.routing.matcher import StateMachineMatcher

    add_afresh = getattr(StateMachineMatcher.add, "__wrapped__", None)
    assert add_afresh is not None, "the matcher is werkzeug's own: nothing to compare"
    rules = [rule for rule in app.url_map.iter_rules() if not rule.build_only]
    assert len(rules) > 100
    ours, werkzeugs = StateMachineMatcher(True), StateMachineMatcher(True)
    for rule in rules:
        ours.add(rule)
        add_afresh(werkzeugs, rule)
    assert _tree(ours._root) == _tree(werkzeugs._root)
