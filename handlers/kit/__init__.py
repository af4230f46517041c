"""The shared kit of the handlers: what every capability uses and none owns.

Imports no capability (handlers.org, handlers.reception, handlers.evaluation): a wall
that lint keeps (handlers/kit/ruff.toml).
"""
