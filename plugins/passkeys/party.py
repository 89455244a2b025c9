"""The relying party: its id, its name and the origins a ceremony may come from, all derived from
``site.url`` unless ``[plugins.passkeys]`` says otherwise (docs/passkeys.md)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from core import ConfigError, get_settings
from plugins.passkeys.settings import settings

#: The port each scheme leaves out of an origin.
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class RelyingParty:
    #: The domain passkeys are bound to (the authenticator keeps it with each credential).
    id: str
    #: What the authenticator shows the user.
    name: str
    #: Every origin a clientDataJSON may name, site.url's first.
    origins: tuple[str, ...]


def relying_party() -> RelyingParty:
    """This app's relying party, from ``site.url`` and ``[plugins.passkeys]``."""
    url = get_settings().site.url
    own = settings()
    rp_id = own.rp_id or site_host(url)
    site = site_origin(url)
    origins = (site, *(origin for origin in own.extra_origins if origin != site))
    return RelyingParty(id=rp_id, name=own.rp_name or rp_id, origins=origins)


def site_host(url: str) -> str:
    """The host of ``url``, lower-case, without brackets or port."""
    return urlsplit(url.strip()).hostname or ""


def site_origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` as a browser writes it in clientDataJSON."""
    parts = urlsplit(url.strip())
    host = site_host(url)
    host = f"[{host}]" if ":" in host else host
    port = parts.port
    suffix = f":{port}" if port is not None and DEFAULT_PORTS.get(parts.scheme) != port else ""
    return f"{parts.scheme}://{host}{suffix}"


def check(url: str, rp_id: str) -> None:
    """Stop start-up when ``rp_id`` cannot serve ``url``: it must be the host or a parent domain."""
    host = site_host(url)
    if rp_id and host != rp_id and not host.endswith("." + rp_id):
        raise ConfigError(
            f"plugins.passkeys.rp_id = {rp_id!r} is neither the host of site.url ({host}) nor a "
            "parent domain of it, so browsers would refuse every passkey: remove it, or set the "
            "host or a parent domain of it"
        )


def is_ip_address(host: str) -> bool:
    """Browsers refuse an IP address as a relying party id (use ``localhost`` in development)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
