"""Languages: BCP 47 language tags, and the language a user chose.

Which language a user reads is kept by whichever plugin keeps their preferences; core asks it
through the ``user_locale`` hook, so a plugin that writes to users (mail, notices) never needs
to know which plugin that is.
"""

from __future__ import annotations

import re

from core.state import hooks

#: The tags accepted: language (2-3 letters), then an optional script (4 letters), region
#: (2 letters or 3 digits) and variants, as in "de", "de-AT", "sr-Latn-RS", "es-419". Extensions
#: and private-use subtags are refused: no language a site ships is named by them.
LANGUAGE_TAG = re.compile(
    r"(?P<language>[A-Za-z]{2,3})(?:-(?P<script>[A-Za-z]{4}))?(?:-(?P<region>[A-Za-z]{2}|\d{3}))?"
    r"(?P<variants>(?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*)"
)


def language_tag(text: str) -> str:
    """``text`` as a BCP 47 language tag in its conventional case ("de-at" -> "de-AT",
    "SR-LATN-RS" -> "sr-Latn-RS"); ValueError when it is not one."""
    found = LANGUAGE_TAG.fullmatch(text) if isinstance(text, str) else None
    if found is None:
        raise ValueError('must be a BCP 47 language tag such as "en", "de" or "de-AT"')
    parts = [found["language"].lower()]
    if found["script"]:
        parts.append(found["script"].title())
    if found["region"]:
        parts.append(found["region"].upper())
    parts += [variant.lower() for variant in found["variants"].split("-") if variant]
    return "-".join(parts)


def user_locale(user_id: int) -> str | None:
    """The language tag the user ``user_id`` chose (``"de"``, ``"de-AT"``…), or None when they
    chose none or no enabled plugin keeps it (the ``user_locale`` hook)."""
    return hooks().user_locale(user_id=user_id)
