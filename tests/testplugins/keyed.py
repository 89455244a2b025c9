"""A third-party plugin with secret settings of its own, typed with core's public markers.

Its ``signature`` setting would be masked by no naming rule: only its type makes it a secret.
"""

from __future__ import annotations

from core import Secret, SecretKey, Section, hookimpl


class Nested(Section):
    webhook_key: SecretKey = ""


class Settings(Section):
    #: Signs this plugin's links; empty: no signing.
    signature: SecretKey = ""
    #: Former keys that still verify.
    retired: list[SecretKey] = []
    #: A password of a service this plugin calls (masked, no length rule).
    upstream: Secret = ""
    nested: Nested = Nested()
    label: str = "keyed"


@hookimpl
def register_settings():
    return Settings
