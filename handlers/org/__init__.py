"""The organisation: chats bound to departments, /register, /staff, /roster.

A capability: it imports the kit (handlers.kit), never another capability (lint:
handlers/org/ruff.toml).
"""
