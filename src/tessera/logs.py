"""Log output for the server and the CLI, at the level LOG_LEVEL names."""

from __future__ import annotations

import logging

from tessera.config import LOG_LEVELS, Settings


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=LOG_LEVELS[settings.log_level],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic announces its migration context on every run; only its problems matter here.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, LOG_LEVELS[settings.log_level]))
