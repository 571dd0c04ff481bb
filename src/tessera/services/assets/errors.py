"""The errors an asset request can end in, with Directus's codes and messages."""

from __future__ import annotations

from typing import Any

from tessera.errors import TesseraError


class IllegalAssetTransformationError(TesseraError):
    """A transformation Tessera will not run: too large, or not of an image.

    ``invalidTransformations`` names the parameters at fault, as in Directus; ``reason``
    (Tessera's) says why in a sentence.
    """

    code = "ILLEGAL_ASSET_TRANSFORMATION"
    status = 400

    def __init__(self, invalid: list[str], reason: str | None = None) -> None:
        extensions: dict[str, Any] = {"invalidTransformations": invalid}
        if reason:
            extensions["reason"] = reason
        super().__init__("Illegal asset transformation.", **extensions)


class RangeNotSatisfiableError(TesseraError):
    """A ``Range`` header no byte of the file answers; ``size`` goes in ``Content-Range``."""

    code = "RANGE_NOT_SATISFIABLE"
    status = 416

    def __init__(self, raw: str, start: int | None, end: int | None, size: int) -> None:
        ends = (("start", start), ("end", end))
        given = {name: value for name, value in ends if value is not None}
        super().__init__(
            f"Range \"{raw}\" is invalid or the file's size doesn't match the requested range.",
            range=given,
        )
        self.size = size
