"""README.md and README.zh.md tell the same walkthrough: same steps, same calls, same sections."""

from __future__ import annotations

import re
from pathlib import Path

import nanhaitong

ROOT = Path(nanhaitong.__file__).resolve().parent.parent


def _walkthrough(text: str) -> list[str]:
    start = text.index("### ")
    end = text.index("\n## ", start)
    return text[start:end].splitlines()


def _steps(lines: list[str]) -> list[int]:
    return [int(m.group(1)) for line in lines if (m := re.match(r"^(\d+)\. ", line))]


def _calls(text: str) -> list[str]:
    return sorted(set(re.findall(r"`((?:GET|POST|PUT|PATCH|DELETE) /[^`\s]*)", text)))


def test_both_readmes_tell_the_same_numbered_walkthrough():
    english = (ROOT / "README.md").read_text(encoding="utf-8")
    chinese = (ROOT / "README.zh.md").read_text(encoding="utf-8")
    steps = _steps(_walkthrough(english))
    assert steps == list(range(1, len(steps) + 1)), steps  # numbered once each, in order
    assert _steps(_walkthrough(chinese)) == steps
    assert _calls(english) == _calls(chinese)
    assert len(re.findall(r"^##+ ", english, re.M)) == len(re.findall(r"^##+ ", chinese, re.M))
    for text in (english, chinese):
        assert "13800138005" in text and "何俊杰" in text  # whose licence is the tampered one
        assert "invalid_transition" in text and "`accepted`" in text
        assert "README" in text.split("\n", 5)[2]  # each links the other at the top
