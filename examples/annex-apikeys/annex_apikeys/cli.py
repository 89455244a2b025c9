"""``flask --app core apikeys …`` (or ``annex apikeys …``): see and revoke keys from a shell."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from annex_apikeys import keys


@click.group("apikeys", help="See and revoke API keys.")
def commands():
    pass


@commands.command("list")
@click.argument("username", required=False)
@with_appcontext
def list_command(username: str | None) -> None:
    """List every API key, or those of USERNAME (never the keys themselves)."""
    rows = keys.listing(username)
    if not rows:
        click.echo(f"no API keys of {username}" if username else "no API keys")
        return
    for row in rows:
        shown = keys.public(row)
        click.echo(
            "\t".join(
                [
                    str(shown["id"]),
                    row["username"] or f"user {row['user_id']}",
                    shown["name"],
                    f"{shown['prefix']}…",
                    f"created {shown['created_at']}",
                    f"last used {shown['last_used_at'] or 'never'}",
                    f"expires {shown['expires_at'] or 'never'}",
                ]
            )
        )


@commands.command("revoke")
@click.argument("key_id", metavar="ID", type=int)
@with_appcontext
def revoke_command(key_id: int) -> None:
    """Delete the API key ID, whoever owns it: it stops working at once."""
    row = keys.revoke(key_id)
    if row is None:
        raise click.ClickException(f"no API key {key_id}")
    click.echo(f"revoked API key {key_id} ({row['name']}) of {row['username'] or row['user_id']}")
