"""The six-hearts evaluation: scoring, the director's review, the GM's signature, periods,
results and the evaluation's part of the outbox.

A capability: it imports the kit (handlers.kit), never another capability (lint:
handlers/evaluation/ruff.toml).
"""
