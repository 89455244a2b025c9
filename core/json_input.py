"""A JSON reader that refuses hostile input before any plugin sees it.

Python's ``json`` accepts NaN, lone surrogates, NUL and arbitrarily deep or long input; each of
those can crash a database driver or a later ``json.dumps``. The contract makes them 400s.
"""

from __future__ import annotations

import json
import math
from typing import Any

from core.errors import ApiError

#: Deepest nesting of arrays/objects accepted.
MAX_DEPTH = 32
#: Integers beyond signed 64 bits are refused (databases and JavaScript cannot hold them).
MAX_INT = 2**63 - 1


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_json", message)


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > 19 or abs(value := int(text)) > MAX_INT:
        raise invalid("integer out of range")
    return value


def _parse_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise invalid("number out of range")
    return value


def _parse_constant(name: str) -> Any:
    raise invalid(f"{name} is not valid JSON")


def loads(data: bytes) -> Any:
    """Parse a request body, raising ``ApiError(400, "invalid_json")`` on anything hostile."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("body is not valid UTF-8") from None
    try:
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except RecursionError:
        raise invalid(f"nesting deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise invalid(f"body is not valid JSON: {exc}") from None
    _check_tree(value)
    return value


def _check_tree(root: Any) -> None:
    """Walk the parsed value once: depth, lone surrogates and NUL characters."""
    stack = [(root, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            check_string(value)
        elif isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise invalid(f"nesting deeper than {MAX_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    check_string(key)
                stack.append((item, depth + 1))


def check_string(value: str) -> None:
    if "\x00" in value:
        raise invalid("strings must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid("strings must not contain lone surrogates") from None
