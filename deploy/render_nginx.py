"""Render deploy/nginx.conf: fill in its ``{{ name }}`` placeholders.

    .venv/bin/python deploy/render_nginx.py --server-name annex.example.com > /etc/nginx/nginx.conf
    make nginx-conf NGINX_ARGS="--server-name annex.example.com"      (writes deploy/nginx.generated.conf)

Defaults suit a Debian/Ubuntu server with the `nginx` package, Let's Encrypt certificates and
the app on 127.0.0.1:8000; ``--preset compose`` suits deploy/compose.yaml (the official nginx
image, the app replicas behind the service name ``app``). Every value is checked so that no
setting can smuggle a directive into the configuration.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "nginx.conf"
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
#: What a value may contain: no whitespace, quotes, braces, semicolons or `$` (no directive or
#: variable can be injected); spaces only where a list of words is meant (rendered by us).
SAFE_VALUE = re.compile(r"[A-Za-z0-9_.:/\[\]@%+=,-]*")

PRESETS: dict[str, dict[str, object]] = {
    "debian": {
        "user": "www-data",
        "pid": "/run/nginx.pid",
        "log_dir": "/var/log/nginx",
        "temp_dir": "/var/lib/nginx",
        "mime_types": "/etc/nginx/mime.types",
        "site_root": "/srv/annex/site",
        "protected_root": "/srv/annex/protected",
        "acme_root": "/var/www/html",
        "upstreams": ["127.0.0.1:8000"],
        "ipv6": True,
        "certificate": "/etc/letsencrypt/live/{server_name}/fullchain.pem",
        "certificate_key": "/etc/letsencrypt/live/{server_name}/privkey.pem",
    },
    "compose": {
        "user": "nginx",
        "pid": "/var/run/nginx.pid",
        "log_dir": "/var/log/nginx",
        "temp_dir": "/var/cache/nginx",
        "mime_types": "/etc/nginx/mime.types",
        "site_root": "/srv/annex/site",
        "protected_root": "/srv/annex/protected",
        "acme_root": "/srv/acme",
        "upstreams": ["app:8000"],
        "ipv6": False,
        "certificate": "/etc/nginx/certs/fullchain.pem",
        "certificate_key": "/etc/nginx/certs/privkey.pem",
    },
}


#: Pages of the site opened from mailed links (= plugins.auth.reset_page and verify_page): their
#: URL holds a token, so they are sent with ``Referrer-Policy: no-referrer``.
DEFAULT_NO_REFERRER_PAGES = ("reset-password.html", "verify-email.html")


class RenderError(ValueError):
    """A value that cannot go into the configuration, or a placeholder without a value."""


def _check(name: str, value: str) -> str:
    if not value or not SAFE_VALUE.fullmatch(value):
        raise RenderError(
            f"{name} = {value!r}: expected a non-empty word without spaces, quotes, ; {{ }} or $"
        )
    return value


def _listen(address: str, port: int, ipv6: bool, extra: str = "") -> list[str]:
    suffix = f" {extra}" if extra else ""
    if address:
        host = f"[{address}]" if ":" in address else address
        return [f"listen {host}:{port}{suffix};"]
    lines = [f"listen {port}{suffix};"]
    if ipv6:
        lines.append(f"listen [::]:{port}{suffix};")
    return lines


def values(args: argparse.Namespace) -> dict[str, str | list[str]]:
    """The placeholders' values from the parsed command line (presets already applied)."""
    preset = PRESETS[args.preset]

    def pick(name: str) -> object:
        chosen = getattr(args, name)
        return preset[name] if chosen is None else chosen

    server_name = _check("server_name", args.server_name)
    for prefix, name in ((args.accel_prefix, "accel_prefix"), (args.members_prefix, "members_prefix")):
        if not prefix.startswith("/"):
            raise RenderError(f"{name} = {prefix!r} must start with /")
    if not args.accel_prefix.endswith("/"):
        raise RenderError(f"accel_prefix = {args.accel_prefix!r} must end with / (the app appends the path)")
    if args.members_prefix.endswith("/") or args.members_prefix.startswith("/api"):
        raise RenderError("members_prefix is a path like /members: no trailing slash, not under /api")
    if not re.fullmatch(r"\d+r/[sm]", args.login_rate):
        raise RenderError(f"login_rate = {args.login_rate!r}: expected e.g. 30r/m or 1r/s")
    ipv6 = bool(pick("ipv6"))
    rendered: dict[str, str | list[str]] = {
        "server_name": server_name,
        "http_listen": _listen(args.listen_address, args.http_port, ipv6),
        "https_listen": _listen(args.listen_address, args.https_port, ipv6, "ssl http2"),
        "https_port_suffix": "" if args.https_port == 443 else f":{args.https_port}",
        "upstream_servers": [f"server {_check('upstream', up)};" for up in pick("upstreams")],
        "max_body_bytes": str(args.max_body_bytes),
        "login_rate": args.login_rate,
        "login_burst": str(args.login_burst),
        "accel_prefix": _check("accel_prefix", args.accel_prefix),
        "members_prefix": _check("members_prefix", args.members_prefix),
        "no_referrer_pages": [
            f'"{_check("no_referrer_page", "/" + page.lstrip("/"))}" "no-referrer";'
            for page in (args.no_referrer_pages or DEFAULT_NO_REFERRER_PAGES)
        ],
    }
    for name in ("user", "pid", "log_dir", "temp_dir", "mime_types", "acme_root"):
        rendered[name] = _check(name, str(pick(name)))
    for name in ("site_root", "protected_root"):
        path = str(pick(name)).rstrip("/")
        if not path.startswith("/"):
            raise RenderError(f"{name} = {path!r} must be an absolute path")
        rendered[name] = _check(name, path)
    for name in ("certificate", "certificate_key"):
        rendered[name] = _check(name, str(pick(name)).format(server_name=server_name))
    if args.listen_address:
        _check("listen_address", args.listen_address)
    return rendered


def render(template: str, mapping: Mapping[str, str | Sequence[str]]) -> str:
    """Replace each placeholder; a list alone on its line becomes one line per item."""
    missing = sorted({name for name in PLACEHOLDER.findall(template) if name not in mapping})
    if missing:
        raise RenderError(f"no value for {', '.join(missing)}")
    lines = []
    for line in template.splitlines():
        alone = PLACEHOLDER.fullmatch(line.strip())
        if alone and not isinstance(mapping[alone.group(1)], str):
            indent = line[: len(line) - len(line.lstrip())]
            lines.extend(indent + item for item in mapping[alone.group(1)])
            continue

        def substitute(match: re.Match[str]) -> str:
            value = mapping[match.group(1)]
            if not isinstance(value, str):
                raise RenderError(f"{match.group(1)} is a list: it must stand alone on its line")
            return value

        lines.append(PLACEHOLDER.sub(substitute, line))
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument(
        "--preset", choices=sorted(PRESETS), default="debian", help="defaults for (default: debian)"
    )
    cli.add_argument("--server-name", required=True, help="public host name, e.g. annex.example.com")
    cli.add_argument("--listen-address", default="", help="one address to listen on (default: all)")
    cli.add_argument("--http-port", type=int, default=80)
    cli.add_argument("--https-port", type=int, default=443)
    cli.add_argument(
        "--ipv6", action=argparse.BooleanOptionalAction, default=None, help="also listen on [::]"
    )
    cli.add_argument(
        "--upstream",
        dest="upstreams",
        action="append",
        default=None,
        help="the app's host:port; repeat for several instances",
    )
    cli.add_argument("--site-root", help="absolute path of the static site (site/)")
    cli.add_argument("--protected-root", help="absolute path of plugins.content.root (protected/)")
    cli.add_argument("--certificate", help="PEM certificate chain ({server_name} is filled in)")
    cli.add_argument("--certificate-key", help="PEM private key ({server_name} is filled in)")
    cli.add_argument("--max-body-bytes", type=int, default=65536, help="= the app's security.max_body_bytes")
    cli.add_argument("--members-prefix", default="/members", help="= plugins.content.url_prefix")
    cli.add_argument("--accel-prefix", default="/_protected/", help="= plugins.content.accel_redirect_prefix")
    cli.add_argument(
        "--no-referrer-page",
        dest="no_referrer_pages",
        action="append",
        default=None,
        help="a page opened from a mailed link (= plugins.auth.reset_page, verify_page); repeat for"
        f" each (default: {', '.join(DEFAULT_NO_REFERRER_PAGES)})",
    )
    cli.add_argument("--login-rate", default="30r/m", help="edge limit of /api/auth/login per client address")
    cli.add_argument("--login-burst", type=int, default=10, help="requests over the rate allowed at once")
    cli.add_argument("--user", help="the worker processes' user")
    cli.add_argument("--pid", help="pid file")
    cli.add_argument("--log-dir", help="folder of error.log and access.log")
    cli.add_argument("--temp-dir", help="folder of nginx's temporary files")
    cli.add_argument("--mime-types", help="nginx's mime.types file")
    cli.add_argument("--acme-root", help="webroot of ACME http-01 challenges (certbot --webroot -w)")
    cli.add_argument("--template", type=Path, default=TEMPLATE)
    cli.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        text = render(args.template.read_text(), values(args))
    except RenderError as error:
        print(f"render_nginx: {error}", file=sys.stderr)
        return 2
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
