"""File storage: drivers behind one streaming interface, and the configured locations.

The local filesystem driver is built in; the S3 driver needs the ``s3`` extra and is
imported only when a location uses it.
"""

from tessera.storage.driver import READ_CHUNK, Stat, StorageDriver, Written
from tessera.storage.errors import InvalidKey, ObjectNotFound, RangeNotSatisfiable, StorageError
from tessera.storage.local import LocalDriver
from tessera.storage.locations import StorageLocations, UnknownLocation, storage_locations

__all__ = [
    "READ_CHUNK",
    "InvalidKey",
    "LocalDriver",
    "ObjectNotFound",
    "RangeNotSatisfiable",
    "Stat",
    "StorageDriver",
    "StorageError",
    "StorageLocations",
    "UnknownLocation",
    "Written",
    "storage_locations",
]
