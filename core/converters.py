"""URL converters: ``<int:…>`` bounded to what a database integer holds."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

#: The largest integer a path may carry. Ids are 64-bit in the database; a bigger number would
#: reach the driver and fail there (SQLite raises OverflowError) instead of simply not matching.
MAX_PATH_INT = 2**63 - 1


def _at_most(limit: int) -> str:
    """A regular expression matching the decimal numbers 0 … ``limit`` (leading zeros allowed)."""
    digits = str(limit)
    shorter = rf"\d{{1,{len(digits) - 1}}}" if len(digits) > 1 else ""
    same_length = [
        rf"{digits[:i]}[0-{int(digit) - 1}]\d{{{len(digits) - i - 1}}}"
        for i, digit in enumerate(digits)
        if digit != "0"
    ]
    return "|".join(part for part in (shorter, *same_length, digits) if part)


class Int64Converter(IntegerConverter):
    """``<int:…>`` limited to 0 … 2**63 - 1: a bigger number does not match the rule (404).

    The bound is in the regular expression, not only in ``to_python``: a number that matched
    and then failed conversion would leave the path matched by the rules of other methods,
    and Werkzeug would answer ``405`` for a resource that cannot exist.
    """

    regex = rf"(?:{_at_most(MAX_PATH_INT)})"

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
