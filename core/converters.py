"""URL converters: ``<int:…>`` bounded to what a database integer holds."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

#: The largest integer a path may carry. Ids are 64-bit in the database; a bigger number would
#: reach the driver and fail there (SQLite raises OverflowError) instead of simply not matching.
MAX_PATH_INT = 2**63 - 1


class Int64Converter(IntegerConverter):
    """``<int:…>`` limited to 0 … 2**63 - 1: a bigger number does not match the rule (404)."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_PATH_INT,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


class AnnexMap(Map):
    """The app's URL map: Werkzeug's, with :class:`Int64Converter` as ``int``."""

    default_converters = {**Map.default_converters, "int": Int64Converter}
