"""Clients for the upstreams we do not own, and sandbox simulators of them.

Nothing here imports Flask or ``nanhaitong``: settings arrive through constructors,
and failures leave as the small taxonomy in :mod:`integrations.errors`.
"""
