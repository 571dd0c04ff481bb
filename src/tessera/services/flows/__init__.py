"""Flows: automations that run a chain of operations when something triggers them."""
