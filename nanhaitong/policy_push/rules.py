"""Targeting rules and Chinese search tokens: pure functions, no database, no Flask.

A policy's ``rules`` is an object; every rule present must hold (AND), and a list means
"any of" (OR). An absent or empty rule does not restrict.

    industry_codes           GB/T 4754 codes, matched as prefixes ("C33" matches "C3311")
    sizes                    any of micro, small, medium, large
    towns                    any of Nanhai's seven towns and streets
    min_registration_years   registered at least this many full years ago
    max_registration_years   registered at most this many full years ago
    licence_types            holds a valid licence of any of these type codes

An enterprise whose attribute is unknown (None) does not meet a rule on that attribute.
``explain`` says rule by rule why an enterprise matches or not; the fan-out job turns
the same rules into SQL (service.matching_enterprise_ids), and a test checks the two agree.
"""

from __future__ import annotations

import re
from datetime import date

SIZES = ("micro", "small", "medium", "large")
TOWNS = ("桂城街道", "九江镇", "西樵镇", "丹灶镇", "狮山镇", "大沥镇", "里水镇")
RULE_NAMES = ("industry_codes", "sizes", "towns", "min_registration_years", "max_registration_years",
              "licence_types")
INDUSTRY_CODE = re.compile(r"^[A-T](?:\d{1,4})?$")  # a section letter, then up to 4 digits
LICENCE_TYPE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def validate(rules: dict) -> dict[str, list[str]]:
    """Problems per rule (empty when the rules are sound)."""
    problems: dict[str, list[str]] = {}

    def bad(name, message):
        problems.setdefault(name, []).append(message)

    for name in rules:
        if name not in RULE_NAMES:
            bad(name, f"Unknown rule; use one of {', '.join(RULE_NAMES)}.")
    for code in rules.get("industry_codes") or ():
        if not isinstance(code, str) or not INDUSTRY_CODE.match(code):
            bad("industry_codes", f"{code!r} is not a GB/T 4754 code or prefix (e.g. C, C33, C3311).")
    for size in rules.get("sizes") or ():
        if size not in SIZES:
            bad("sizes", f"{size!r} is not one of {', '.join(SIZES)}.")
    for town in rules.get("towns") or ():
        if town not in TOWNS:
            bad("towns", f"{town!r} is not a town or street of Nanhai ({'、'.join(TOWNS)}).")
    for licence_type in rules.get("licence_types") or ():
        if not isinstance(licence_type, str) or not LICENCE_TYPE.match(licence_type):
            bad("licence_types", f"{licence_type!r} is not a licence type code.")
    low, high = rules.get("min_registration_years"), rules.get("max_registration_years")
    for name, value in (("min_registration_years", low), ("max_registration_years", high)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 200):
            bad(name, "Whole years, 0 to 200.")
    if isinstance(low, int) and isinstance(high, int) and low > high and not problems:
        bad("max_registration_years", "Must not be less than min_registration_years.")
    return problems


def normalise(rules: dict) -> dict:
    """Only the rules that restrict, lists sorted and without duplicates."""
    out: dict = {}
    for name in ("industry_codes", "sizes", "towns", "licence_types"):
        if rules.get(name):
            out[name] = sorted(set(rules[name]))
    for name in ("min_registration_years", "max_registration_years"):
        if rules.get(name) is not None:
            out[name] = rules[name]
    return out


def _years_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year that has none
        return today.replace(year=today.year - years, day=28)


def registration_bounds(rules: dict, today: date) -> tuple[str | None, str | None]:
    """ISO dates (registered_on must be <= the first, and > the second), or None for no bound.

    Full years of age >= min  <=>  registered_on <= today minus min years.
    Full years of age <= max  <=>  registered_on >  today minus (max + 1) years.
    """
    low, high = rules.get("min_registration_years"), rules.get("max_registration_years")
    on_or_before = _years_before(today, low).isoformat() if low is not None else None
    after = _years_before(today, high + 1).isoformat() if high is not None else None
    return on_or_before, after


def registration_age(registered_on: str, today: date) -> int:
    born = date.fromisoformat(registered_on)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def explain(rules: dict, enterprise: dict, licence_types: set[str] | frozenset[str], today: date) -> dict:
    """Why ``enterprise`` (industry_code, size, town, registered_on) matches ``rules``, or not.

    Answers {"matches": bool, "rules": [{"rule", "required", "value", "matched"}...]}.
    """
    results = []
    industry = enterprise.get("industry_code")
    if rules.get("industry_codes"):
        hit = [p for p in rules["industry_codes"] if industry and industry.startswith(p)]
        results.append({"rule": "industry_codes", "required": rules["industry_codes"], "value": industry,
                        "matched": bool(hit), "matched_by": hit})
    for name, attribute in (("sizes", "size"), ("towns", "town")):
        if rules.get(name):
            value = enterprise.get(attribute)
            results.append({"rule": name, "required": rules[name], "value": value, "matched": value in rules[name]})
    on_or_before, after = registration_bounds(rules, today)
    registered_on = enterprise.get("registered_on")
    age = registration_age(registered_on, today) if registered_on else None
    if on_or_before is not None:
        results.append({"rule": "min_registration_years", "required": rules["min_registration_years"],
                        "value": age, "matched": bool(registered_on) and registered_on <= on_or_before})
    if after is not None:
        results.append({"rule": "max_registration_years", "required": rules["max_registration_years"],
                        "value": age, "matched": bool(registered_on) and registered_on > after})
    if rules.get("licence_types"):
        held = sorted(set(rules["licence_types"]) & set(licence_types))
        results.append({"rule": "licence_types", "required": rules["licence_types"], "value": held,
                        "matched": bool(held)})
    return {"matches": all(r["matched"] for r in results), "rules": results}


# -- Chinese full-text search -------------------------------------------------------------
# Chinese has no spaces between words, so a word tokenizer sees one "word" per sentence.
# Every run of CJK characters becomes its single characters and its overlapping pairs
# (bigrams); latin letters and digits become lower-case words. A document's tokens go in
# a column; a query of two or more CJK characters asks for all its bigrams, a single
# character for itself. 补贴 finds 研发补贴 (bigram 补贴) and not 补充贴息 (no such pair).

_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9A-Za-z]+")


def _is_cjk(run: str) -> bool:
    return not run.isascii()


def document_tokens(*texts: str | None) -> str:
    """The search column's value: space-separated, with a space at each end (for LIKE)."""
    tokens: list[str] = []
    for text in texts:
        for run in _RUNS.findall(text or ""):
            if _is_cjk(run):
                tokens.extend(run)
                tokens.extend(run[i:i + 2] for i in range(len(run) - 1))
            else:
                tokens.append(run.lower())
    return " " + " ".join(tokens) + " "


def query_tokens(query: str) -> list[str]:
    """The tokens every matching document must hold (deduplicated, in order)."""
    tokens: list[str] = []
    for run in _RUNS.findall(query or ""):
        if _is_cjk(run):
            tokens.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
        else:
            tokens.append(run.lower())
    return list(dict.fromkeys(tokens))
