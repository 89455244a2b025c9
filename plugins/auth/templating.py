"""Mail templates: Jinja2 files rendered into a message's subject, text and HTML, in the reader's
language.

Each message ``name`` of a locale is three files under ``templates/<locale>/``:
``<name>.subject.txt``, ``<name>.txt`` and ``<name>.html`` (the HTML extends ``<locale>/layout.html``,
which extends ``base.html``). A site owner's ``templates_dir`` comes first: a file there replaces
the shipped file of the same relative path, and nothing else. HTML is autoescaped; text and
subject are not (they are not HTML).

A variable missing from a template is an error (``StrictUndefined``). For a shipped template that
is a bug of this plugin and raises (the tests render every one). For an owner's template it is a
typo on a live site: the error is logged with the file and line, and the message goes out from the
shipped templates instead, so nobody misses a reset link over a misspelt variable. ``annex check
--deploy`` renders the owner's templates ahead and reports the same errors.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import has_request_context, request
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)
from markupsafe import Markup, escape

from core import get_settings, language_tag, plugin_settings, user_locale

log = logging.getLogger("annex.auth.mail")

#: The templates shipped with the plugin.
SHIPPED = Path(__file__).resolve().parent / "templates"
#: The language every message ships in, the last resort.
DEFAULT_LOCALE = "en"
#: What counts as a link in a message's text (turned into one in a text-only message's HTML).
_LINK = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


@dataclass(frozen=True)
class Rendered:
    """One message in one language."""

    locale: str
    subject: str
    text: str
    html: str


class TemplateFailed(RuntimeError):
    """An owner's template could not be rendered (the reason names the file and line)."""


@functools.lru_cache(maxsize=8)
def environment(owner_dir: str) -> Environment:
    """The templates of ``owner_dir`` (may be empty: none) before the shipped ones. Files are
    re-read when they change, so an owner's edit applies without a restart."""
    loaders = [FileSystemLoader(owner_dir)] if owner_dir else []
    loaders.append(FileSystemLoader(SHIPPED))
    return Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def owner_dir() -> str:
    """``plugins.auth.templates_dir`` as configured ("" when unset)."""
    return plugin_settings("auth").templates_dir


def locales(folder: str | Path) -> list[str]:
    """The language tags that name a folder in ``folder`` (in their conventional case)."""
    path = Path(folder)
    found = []
    if path.is_dir():
        for child in sorted(path.iterdir()):
            try:
                tag = language_tag(child.name)
            except ValueError:
                continue
            if child.is_dir() and tag == child.name:
                found.append(tag)
    return found


def available() -> list[str]:
    """Every locale with templates: shipped, then the owner's own."""
    owner = owner_dir()
    return list(dict.fromkeys(locales(SHIPPED) + (locales(owner) if owner else [])))


def closest(tag: str | None, among: list[str]) -> str | None:
    """The locale of ``among`` for ``tag``: itself, else its shorter forms ("sr-Latn-RS", then
    "sr-Latn", then "sr"); None when there is none or ``tag`` is no language tag."""
    if not tag:
        return None
    try:
        parts = language_tag(tag).split("-")
    except ValueError:
        return None
    lowered = {locale.lower(): locale for locale in among}
    while parts:
        found = lowered.get("-".join(parts).lower())
        if found:
            return found
        parts.pop()
    return None


def preferred(user_id: int | None, *, from_request: bool = True) -> list[str]:
    """The locales to try for a message to ``user_id`` (None: no account yet), best first: the
    user's ``locale`` (``core.user_locale``), the request's ``Accept-Language`` (unless not
    ``from_request``: the request is not the reader's), ``site.locale``, then English. A source
    the site has no templates for is passed over ("de-AT" reads "de")."""
    site = closest(get_settings().site.locale, available())
    # The site's language first: a browser that accepts any ("*") gets it.
    among = list(dict.fromkeys([*([site] if site else []), DEFAULT_LOCALE, *available()]))
    chosen = []
    if user_id is not None:
        chosen.append(closest(user_locale(user_id), among))
    if from_request and has_request_context() and request.accept_languages:
        # werkzeug's best match also takes "de" for "de-DE" when only "de" is offered.
        chosen.append(closest(request.accept_languages.best_match(among), among))
    chosen.append(site)
    chosen.append(DEFAULT_LOCALE)
    return list(dict.fromkeys(locale for locale in chosen if locale))


def render(name: str, locales_to_try: list[str], variables: dict[str, Any]) -> Rendered:
    """Message ``name`` in the first of ``locales_to_try`` that has it; an owner's template that
    fails is logged and the shipped one used (see the module's docstring)."""
    owner = owner_dir()
    if owner:
        try:
            return _first(environment(owner), name, locales_to_try, variables)
        except TemplateFailed as failed:
            log.error(
                "mail template of %r in templates_dir %s failed, sending the shipped one: %s",
                name,
                owner,
                failed,
            )
    return _first(environment(""), name, locales_to_try, variables, shipped=True)


def _first(
    env: Environment, name: str, locales_to_try: list[str], variables: dict[str, Any], shipped: bool = False
) -> Rendered:
    for locale in locales_to_try:
        if f"{locale}/{name}.txt" not in _names(env):
            continue
        if shipped:
            return _render(env, name, locale, variables)
        try:
            return _render(env, name, locale, variables)
        except Exception as exc:  # any error of the owner's file: a typo must not stop the mail
            raise TemplateFailed(_where(exc)) from exc
    raise TemplateNotFound(f"{name} in {', '.join(locales_to_try)}")


def owner_problems(samples: dict[str, dict[str, Any]]) -> list[str]:
    """What fails in the owner's templates, rendering each message of ``samples`` (name: example
    variables) in each locale: ``"<message> (<locale>): <file:line: error>"``, for the deploy check."""
    owner = owner_dir()
    if not owner:
        return []
    if not Path(owner).is_dir():
        return [f"{owner} is not a folder"]
    found = []
    for locale in available():
        for name, variables in samples.items():
            try:
                _first(environment(owner), name, [locale], {**site_variables(), **variables})
            except TemplateFailed as failed:
                found.append(f"{name} ({locale}): {failed}")
            except TemplateNotFound:
                continue  # a language of the owner's without this message: the next one is used
    return found


def _names(env: Environment) -> set[str]:
    """Every template the environment's folders hold (listed each time: an owner may add one)."""
    return set(env.list_templates())


def _render(env: Environment, name: str, locale: str, variables: dict[str, Any]) -> Rendered:
    values = {**variables, "locale": locale}
    # A subject is one line whatever the template's line breaks: no header can be injected.
    subject = " ".join(env.get_template(f"{locale}/{name}.subject.txt").render(values).split())
    values["subject"] = subject
    text = env.get_template(f"{locale}/{name}.txt").render(values)
    html = env.get_template(f"{locale}/{name}.html").render(values)
    return Rendered(locale, subject, text, html)


def _where(exc: Exception) -> str:
    """``file:line: error`` for a template error (Jinja names the file of a syntax error; the
    traceback of a render holds the line of the template that raised)."""
    filename = getattr(exc, "filename", None)
    lineno = getattr(exc, "lineno", None)
    if filename is None:
        trace = exc.__traceback__
        while trace is not None:
            code = trace.tb_frame.f_code
            if code.co_filename.endswith((".html", ".txt")):
                filename, lineno = code.co_filename, trace.tb_lineno
            trace = trace.tb_next
    where = f"{filename}:{lineno}: " if filename else ""
    return f"{where}{type(exc).__name__}: {exc}"


def text_as_html(subject: str, text: str, locale: str) -> str:
    """The HTML part of a message written as text only: its paragraphs, links as links, in the
    shipped layout (``plain.html``)."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [_linked(line) for line in block.splitlines()]
        paragraphs.append(Markup("<br>\n").join(lines))
    values = {"subject": subject, "paragraphs": paragraphs, "locale": locale, **site_variables()}
    owner = owner_dir()
    if owner:
        try:
            return environment(owner).get_template("plain.html").render(values)
        except Exception as exc:  # as for any message: logged, and the shipped layout used
            log.error("mail template plain.html in templates_dir %s failed, using the shipped one: %s",
                      owner, _where(exc))  # fmt: skip
    return environment("").get_template("plain.html").render(values)


def _linked(line: str) -> Markup:
    out = Markup("")
    last = 0
    for match in _LINK.finditer(line):
        url = match.group(0)
        out += escape(line[last : match.start()])
        out += Markup('<a href="{0}" style="color:#1d4ed8;word-break:break-all;">{0}</a>').format(url)
        last = match.end()
    return out + escape(line[last:])


def site_variables() -> dict[str, str]:
    """``site_name`` and ``site_url``, which every template gets."""
    site = get_settings().site
    url = site.url.rstrip("/")
    return {"site_name": site.name or url.split("://", 1)[-1].split("/", 1)[0], "site_url": url}
