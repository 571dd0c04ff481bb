"""Assets: a file's bytes for ``/assets/:id``, or an image transformed as the query asks.

Parameters and their checks are Directus's (:mod:`.params`), presets and the project's
transformation policy too (:mod:`.presets`); the plan is made in sharp's vocabulary
(:mod:`.operations`) and run with Pillow (:mod:`.image`).

Transformed results are cached in the file's own storage location under
``<filename_disk stem>__<hash>.<ext>`` (:mod:`.variants`): the files service deletes a
file's variants by listing :func:`variant_prefix` when the file is replaced or deleted.
"""

from tessera.services.assets.errors import IllegalAssetTransformationError, RangeNotSatisfiableError
from tessera.services.assets.ranges import byte_range
from tessera.services.assets.service import SLOTS, Asset, AssetsService
from tessera.services.assets.variants import variant_prefix

__all__ = [
    "SLOTS",
    "Asset",
    "AssetsService",
    "IllegalAssetTransformationError",
    "RangeNotSatisfiableError",
    "byte_range",
    "variant_prefix",
]
