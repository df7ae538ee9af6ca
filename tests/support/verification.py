"""Identity verification upstreams (the sandbox on the live server)."""

from __future__ import annotations

import requests


def liveness_token(app, id_number: str, outcome: str = "pass") -> str:
    """A face-liveness token from the sandbox for ``id_number`` (``outcome``: pass, fail ...)."""
    answer = requests.post(f"{app.config['SANDBOX_URL']}/face/liveness-tokens", timeout=5,
                           json={"id_number": id_number, "outcome": outcome})
    assert answer.status_code == 201, answer.text
    return answer.json()["liveness_token"]
