"""VIP receptions: the notice, its cross-check, the departments' tasks, the status card,
visits and their archive, and the VIP part of the outbox.

A capability: it imports the kit (handlers.kit), never another capability (lint:
handlers/reception/ruff.toml).
"""
