"""The configured storage locations, each a driver, built from the environment.

``STORAGE_LOCATIONS`` names them (the first is where uploads go by default), and each
location ``<NAME>`` is set up by ``STORAGE_<NAME>_DRIVER`` and that driver's
``STORAGE_<NAME>_*`` options, with Directus's names. Out of the box there is one location,
``local``, a ``local`` driver on ``./uploads``, as in Directus.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from tessera.config import ConfigError, Settings
from tessera.storage.driver import StorageDriver
from tessera.storage.errors import StorageError
from tessera.storage.local import LocalDriver

log = logging.getLogger("tessera.storage")

DRIVERS = ("local", "s3")
#: Directus's defaults, which make ``local`` a location on ./uploads.
DEFAULT_DRIVER = "local"
DEFAULT_ROOT = "./uploads"
#: Options whose values an error message must not repeat.
_SECRET_OPTIONS = {"key", "secret"}


class UnknownLocation(StorageError, KeyError):
    """A file names a storage location that STORAGE_LOCATIONS does not list."""

    def __init__(self, name: str) -> None:
        super().__init__(f"storage location {name!r} is not configured (STORAGE_LOCATIONS)")

    def __str__(self) -> str:
        return str(self.args[0])


class StorageLocations(Mapping[str, StorageDriver]):
    """The drivers by location name, in ``STORAGE_LOCATIONS`` order."""

    def __init__(self, drivers: Mapping[str, StorageDriver]) -> None:
        if not drivers:
            raise ValueError("at least one storage location is needed")
        self._drivers = dict(drivers)

    def __getitem__(self, name: str) -> StorageDriver:
        try:
            return self._drivers[name]
        except KeyError:
            raise UnknownLocation(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._drivers)

    def __len__(self) -> int:
        return len(self._drivers)

    @property
    def default_name(self) -> str:
        """The location uploads go to unless they name another: the first listed."""
        return next(iter(self._drivers))

    @property
    def default(self) -> StorageDriver:
        return self._drivers[self.default_name]

    async def close(self) -> None:
        """Release every driver's connections."""
        for driver in self._drivers.values():
            await driver.close()


class _LocalOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    root: str

    @field_validator("root")
    @classmethod
    def _root(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


def storage_locations(settings: Settings) -> StorageLocations:
    """Build a driver for every location in ``STORAGE_LOCATIONS``; a bad option is a ConfigError.

    No connection is made here: an S3 client connects on first use.
    """
    options = dict(settings.storage_options)
    if options.setdefault("local_driver", DEFAULT_DRIVER) == "local":
        options.setdefault("local_root", DEFAULT_ROOT)
    names = settings.storage_location_names
    return StorageLocations(
        {name: _driver(name, _options_of(name, names, options)) for name in names}
    )


def _options_of(name: str, names: list[str], options: Mapping[str, str]) -> dict[str, str]:
    """The location's options, without its name: ``s3_bucket`` -> ``bucket`` for ``s3``.

    A variable belongs to the longest listed name it starts with, so ``STORAGE_S3_BACKUP_ROOT``
    is ``root`` of a location ``s3_backup``, not ``backup_root`` of ``s3``.
    """
    prefix = name.lower() + "_"
    longer = [other.lower() + "_" for other in names if other.lower().startswith(prefix)]
    return {
        variable.removeprefix(prefix): value
        for variable, value in options.items()
        if variable.startswith(prefix) and not any(variable.startswith(o) for o in longer)
    }


def _driver(name: str, options: dict[str, str]) -> StorageDriver:
    env = f"STORAGE_{name.upper()}_"
    kind = options.pop("driver", None)
    if kind == "local":
        local = _validated(_LocalOptions, options, env, name)
        return LocalDriver(local.root)
    if kind == "s3":
        try:
            from tessera.storage.s3 import S3Driver, S3Options
        except ImportError:
            raise ConfigError(
                f"{env}DRIVER=s3 needs the S3 client: pip install 'tessera[s3]'"
            ) from None
        return S3Driver(_validated(S3Options, options, env, name))
    expected = ", ".join(repr(d) for d in DRIVERS)
    raise ConfigError(f"{env}DRIVER must be one of {expected} (got {kind!r})")


_Options = TypeVar("_Options", bound=BaseModel)


def _validated(model: type[_Options], options: dict[str, str], env: str, name: str) -> _Options:
    """The driver's options parsed; an option it does not know is logged and left out."""
    known = {option: value for option, value in options.items() if option in model.model_fields}
    for option in sorted(options.keys() - known.keys()):
        log.warning("%s%s is not used by Tessera (storage location %r)", env, option.upper(), name)
    try:
        return model.model_validate(known)
    except ValidationError as exc:
        error = exc.errors()[0]
    if not error["loc"]:
        problem = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"storage location {name!r} ({env}*): {problem}")
    option = str(error["loc"][0])
    variable = env + option.upper()
    if error["type"] == "missing":
        raise ConfigError(f"{variable} must be set")
    if error["type"].startswith("bool"):
        problem = "must be true or false"
    else:
        problem = error["msg"].removeprefix("Value error, ")
    got = "" if option in _SECRET_OPTIONS else f" (got {error.get('input')!r})"
    raise ConfigError(f"{variable} {problem}{got}")
