"""Storage layer: the engine, the system tables and their migrations."""

from tessera.db.engine import Database

__all__ = ["Database"]
