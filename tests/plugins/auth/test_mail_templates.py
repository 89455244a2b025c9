"""Mail that reads well (issue 20, point 5; api-v2 "Auth additions", Mail): every message is
text + HTML from templates a site owner may override, in the reader's language (the profile's
``locale``, else ``Accept-Language``, else ``site.locale``, else English)."""

from __future__ import annotations

import logging
import re
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest

from core import ConfigError
from plugins.auth import mail, templating
from tests.plugins.auth.conftest import (
    SITE_URL,
    bearer,
    link_token,
    post,
    signup,
    wait_for_mails,
)

#: A German browser, as Chrome sends it.
GERMAN_BROWSER = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}
LINK = re.compile(r"https?://[^\s<>\"']+")
#: Elements that have no end tag.
VOID = {"br", "meta", "hr", "img", "input", "link", "col", "area", "base", "source", "wbr"}


# -------------------------------------------------------------------------------------------------
# reading a message as a person (and a mail client) would
# -------------------------------------------------------------------------------------------------


class Page(HTMLParser):
    """An HTML part, parsed: its links, images, elements and whether every tag was closed."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.images: list[str] = []
        self.tags: set[str] = set()
        self.open: list[str] = []
        self.unbalanced: list[str] = []
        self.text = ""
        self.lang: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.add(tag)
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(attributes["href"])
        if tag == "img":
            self.images.append(attributes.get("src") or "")
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.open or self.open[-1] != tag:
            self.unbalanced.append(tag)
        else:
            self.open.pop()

    def handle_data(self, data):
        self.text += data


def parts(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML parts of a multipart/alternative message (fails the test otherwise)."""
    assert message.get_content_type() == "multipart/alternative", message.get_content_type()
    kinds = [part.get_content_type() for part in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"], kinds
    return (
        message.get_body(preferencelist=("plain",)).get_content(),
        message.get_body(preferencelist=("html",)).get_content(),
    )


def links(text: str) -> list[str]:
    return list(dict.fromkeys(url.rstrip(".,;:!?)") for url in LINK.findall(text)))


def assert_reads_well(message: EmailMessage) -> tuple[str, Page]:
    """Text and HTML with the same links; the HTML parses, closes every tag, loads nothing from
    elsewhere and styles only inline. The text and the parsed HTML."""
    text, html = parts(message)
    page = Page(html)
    assert page.unbalanced == [] and page.open == [], (page.unbalanced, page.open)
    assert set(page.hrefs) == set(links(text)), (page.hrefs, links(text))
    assert not [src for src in page.images if not src.startswith(("cid:", "data:"))]
    assert not page.tags & {"style", "link", "script", "iframe", "object", "form"}, page.tags
    assert not re.search(r"<img[^>]+src=[\"']?http", html, re.IGNORECASE)
    assert "url(" not in html  # no background image from elsewhere either
    assert '<meta name="viewport"' in html  # laid out for a phone's width
    assert message["Subject"] and "\n" not in message["Subject"]
    return text, page


def reset_mail(client, mail_dir, email="alice@example.com", headers=None, count=1):
    response = post(client, "/api/auth/password-reset", {"email": email}, headers=headers)
    assert response.status_code == 202
    return wait_for_mails(mail_dir, count)[-1]


def verification_mail(client, mail_dir, account, headers=None, count=1):
    response = post(client, "/api/auth/verify-email", token=account.access, headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)
    return wait_for_mails(mail_dir, count)[-1]


def invite(app, mail_dir, email="newcomer@example.com", count=1):
    result = app.test_cli_runner().invoke(args=["users", "invite", email])
    assert result.exit_code == 0, result.output
    # The test's app context outlives the command, so a request starts the outbox's sender.
    app.test_client().get("/api/auth/registration")
    return wait_for_mails(mail_dir, count)[-1]


def is_german(message: EmailMessage) -> bool:
    text, html = parts(message)
    return text.startswith("Hallo") and Page(html).lang == "de"


def is_english(message: EmailMessage) -> bool:
    text, html = parts(message)
    return text.startswith("Hello") and Page(html).lang == "en"


# -------------------------------------------------------------------------------------------------
# every message: multipart, the same links, HTML that passes the basic check
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [ENGLISH_BROWSER, GERMAN_BROWSER], ids=["en", "de"])
def test_every_message_is_text_and_html_with_the_same_links(app, client, mail_dir, headers):
    alice = signup(client, "alice")
    count = 0

    def next_mail(response):
        nonlocal count
        assert response.status_code == 202, response.get_data(as_text=True)
        count += 1
        return wait_for_mails(mail_dir, count)[-1]

    reset = next_mail(post(client, "/api/auth/password-reset", {"email": alice.email}, headers=headers))
    verify = next_mail(post(client, "/api/auth/verify-email", token=alice.access, headers=headers))
    change = post(client, "/api/auth/email", {"new_email": "alice.new@example.com"}, token=alice.access,
                  headers={**headers, "User-Agent": "TestBrowser/9.1"})  # fmt: skip
    assert change.status_code == 202, change.get_data(as_text=True)
    count += 2
    by_address = {m["To"]: m for m in wait_for_mails(mail_dir, count)[-2:]}
    confirmation, notice = by_address["alice.new@example.com"], by_address[alice.email]

    for message, page in [(reset, "reset-password.html"), (verify, "verify-email.html")]:
        text, _ = assert_reads_well(message)
        assert links(text) == [f"{SITE_URL}/{page}?token={link_token(message)}"]
        assert text.count(links(text)[0]) == 1  # the link once, on its own line
        assert f"\n{links(text)[0]}\n" in text
    text, _ = assert_reads_well(confirmation)
    assert len(links(text)) == 1 and "?token=" in links(text)[0]
    text, page = assert_reads_well(notice)
    assert links(text) == [] and page.hrefs == []  # the old address gets no link
    assert "alice.new@example.com" in text and "TestBrowser/9.1" in page.text
    language = is_german if headers is GERMAN_BROWSER else is_english
    assert all(language(m) for m in (reset, verify, confirmation, notice))


#: The security notices: each names when, and from where when a request of the user's caused it.
NOTICES = ["new_device", "password_changed", "factor_added", "factor_removed", "account_locked"]
#: What a template left unrendered or escaped where it should not have.
LEFTOVERS = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|&#\d+;|&(amp|lt|gt|quot);")


def sample(app, message, locale, /, **variables):
    """Message ``message`` of ``mail.SAMPLES`` in ``locale``, as it is mailed (``variables``
    replace the sample's; a passkey's is called ``name``)."""
    with app.test_request_context("/"):
        values = {**templating.site_variables(), **mail.SAMPLES[message], **variables}
        rendered = templating.render(message, [locale], values)
        assert rendered.locale == locale
        return mail.compose(values["email"], rendered.subject, rendered.text, rendered.html)


@pytest.mark.parametrize("locale", ["en", "de"])
@pytest.mark.parametrize("name", sorted(mail.SAMPLES))
def test_every_message_reads_well_in_each_shipped_language(app, name, locale):
    message = sample(app, name, locale)
    text, page = assert_reads_well(message)
    assert (is_german if locale == "de" else is_english)(message)
    english = sample(app, name, "en")
    if locale == "de":
        assert message["Subject"] != english["Subject"]
        assert '"' not in text  # „…“, never "…"
        assert text.count("„") == text.count("“") and page.text.count("„") == page.text.count("“")
        assert " on Linux" not in text + page.text  # "Firefox unter Linux"
    else:
        assert "„" not in text
    assert not LEFTOVERS.search(text), text
    assert not LEFTOVERS.search(page.text), page.text
    assert "\n\n\n" not in text and text.endswith(f"\n-- \n{templating.site_variables()['site_name']}\n")
    assert f"<title>{message['Subject']}</title>" in parts(message)[1]
    for link in links(text):  # every link whole, on a line of its own
        assert f"\n{link}\n" in text
    if "browser" in mail.SAMPLES[name]:
        assert mail.SAMPLES[name]["ip"] in text and mail.SAMPLES[name]["ip"] in page.text


@pytest.mark.parametrize("locale", ["en", "de"])
@pytest.mark.parametrize("name", NOTICES)
def test_a_notice_without_a_request_names_no_address_or_browser(app, name, locale):
    """The operator's ``users set-password`` has no request (``notices`` passes no address or
    browser then): no empty "From:" / "Von:" row, in the text or the HTML."""
    facts = {"when": mail.SAMPLES[name]["when"], "ip": "", "browser": ""}
    message = sample(app, name, locale, **facts)
    text, _ = assert_reads_well(message)
    lines = text.splitlines()
    assert f"{'Wann' if locale == 'de' else 'When'}: {facts['when']}" in lines
    assert not [line for line in lines if line.startswith(("From:", "Von:", "Browser:"))], text
    assert not re.search(r">\s*(From|Von|Browser)\s*</td>", parts(message)[1])
    assert "\n\n\n" not in text


@pytest.mark.parametrize("locale", ["en", "de"])
def test_the_operators_password_change_does_not_ask_whether_it_was_you(app, locale):
    message = sample(app, "password_changed", locale, ip="", browser="")
    text, _ = parts(message)
    assert ("vom Betreiber der Website" if locale == "de" else "by the site's operator") in text
    assert ("Falls Sie das waren" if locale == "de" else "If this was you") not in text
    assert ("Alle Sitzungen" if locale == "de" else "Every session") in text


@pytest.mark.parametrize("locale", ["en", "de"])
@pytest.mark.parametrize("name", ["factor_added", "account_locked", "new_device"])
def test_a_notice_shows_a_strange_browser_or_passkey_name_as_text_in_both_parts(app, name, locale):
    """The User-Agent is a stranger's to choose (a refused password) and a passkey's name the
    user's: the text shows them as they are, the HTML escapes them once."""
    strange = 'Bot "X" <b>1</b> & Co'
    message = sample(app, name, locale, browser=strange, name=strange)
    text, page = assert_reads_well(message)
    html = parts(message)[1]
    assert strange in text and strange in page.text
    assert "<b>" not in html and "Bot &#34;X&#34; &lt;b&gt;1&lt;/b&gt; &amp; Co" in html


def test_an_invitation_and_the_operators_test_message_read_well_too(app, mail_dir):
    invitation = invite(app, mail_dir)
    text, _ = assert_reads_well(invitation)
    assert [url.split("?")[0] for url in links(text)] == [f"{SITE_URL}/register.html"]
    assert "7 days" in text and "newcomer@example.com" in text

    result = app.test_cli_runner().invoke(args=["mail", "test", "operator@example.com"])
    assert result.exit_code == 0, result.output
    test_message = wait_for_mails(mail_dir, 2)[-1]
    text, page = assert_reads_well(test_message)
    assert "test message" in text and "test message" in page.text


def test_the_html_escapes_what_the_text_shows_as_it_is(make_auth_app, mail_dir):
    app = make_auth_app(config={"site": {"name": 'Tom & Jerry <"Club">'}})
    client = app.test_client(use_cookies=False)
    signup(client, "alice")
    text, html = parts(reset_mail(client, mail_dir))
    assert '\nTom & Jerry <"Club">' in text
    assert "Tom &amp; Jerry &lt;&#34;Club&#34;&gt;" in html
    assert '<"Club">' not in html


def test_the_site_name_defaults_to_the_host_of_the_site_url(client, mail_dir):
    signup(client, "alice")
    text, _ = parts(reset_mail(client, mail_dir))
    assert text.rstrip().endswith("-- \n127.0.0.1:5000")


# -------------------------------------------------------------------------------------------------
# the language: profile locale, else Accept-Language, else site.locale, else English
# -------------------------------------------------------------------------------------------------


def test_a_german_browser_gets_german_mail(client, mail_dir):
    signup(client, "alice")
    message = reset_mail(client, mail_dir, headers=GERMAN_BROWSER)
    assert message["Subject"] == "Passwort zurücksetzen"
    assert is_german(message)
    text, _ = parts(message)
    assert "Der Link lässt sich einmal verwenden und ist 30 Minuten gültig." in text


def test_without_accept_language_the_mail_is_english(client, mail_dir):
    signup(client, "alice")
    message = reset_mail(client, mail_dir)
    assert message["Subject"] == "Reset your password"
    assert is_english(message)


@pytest.mark.parametrize("header", ["de-AT", "de-CH;q=0.8, fr;q=0.9", "fr-FR, de;q=0.5", "DE"])
def test_the_best_shipped_match_of_the_header_is_taken(client, mail_dir, header):
    signup(client, "alice")
    assert is_german(reset_mail(client, mail_dir, headers={"Accept-Language": header}))


@pytest.mark.parametrize("header", ["fr-FR, it;q=0.5", "*", "xx-invalid-!!", ""])
def test_a_header_the_site_has_no_templates_for_falls_back_to_english(client, mail_dir, header):
    signup(client, "alice")
    assert is_english(reset_mail(client, mail_dir, headers={"Accept-Language": header}))


@pytest.fixture
def profile_app(make_auth_app):
    return make_auth_app(config={"plugins": {"enabled": ["auth", "profile"]}})


def set_locale(client, account, locale):
    response = client.patch("/api/user/profile", json={"locale": locale}, headers=bearer(account.access))
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_user_whose_profile_says_de_gets_german_mail_whatever_the_browser(profile_app, mail_dir):
    client = profile_app.test_client(use_cookies=False)
    alice = signup(client, "alice")
    set_locale(client, alice, "de")
    assert is_german(verification_mail(client, mail_dir, alice, headers=ENGLISH_BROWSER))
    assert is_german(reset_mail(client, mail_dir, headers=ENGLISH_BROWSER, count=2))


def test_a_regional_profile_locale_reads_its_language_and_clearing_it_follows_the_browser(
    profile_app, mail_dir
):
    client = profile_app.test_client(use_cookies=False)
    alice = signup(client, "alice")
    set_locale(client, alice, "de-AT")
    assert is_german(verification_mail(client, mail_dir, alice, headers=ENGLISH_BROWSER))
    set_locale(client, alice, None)
    assert is_english(verification_mail(client, mail_dir, alice, headers=ENGLISH_BROWSER, count=2))
    assert is_german(verification_mail(client, mail_dir, alice, headers=GERMAN_BROWSER, count=3))


def test_a_profile_locale_the_site_has_no_templates_for_gives_way_to_the_browser(profile_app, mail_dir):
    client = profile_app.test_client(use_cookies=False)
    alice = signup(client, "alice")
    set_locale(client, alice, "fr")
    assert is_german(verification_mail(client, mail_dir, alice, headers=GERMAN_BROWSER))


def test_site_locale_is_the_language_when_neither_user_nor_browser_says(make_auth_app, mail_dir):
    app = make_auth_app(config={"site": {"locale": "de"}})
    client = app.test_client(use_cookies=False)
    signup(client, "alice")
    assert is_german(reset_mail(client, mail_dir))
    assert is_german(reset_mail(client, mail_dir, headers={"Accept-Language": "fr"}, count=2))
    assert is_english(reset_mail(client, mail_dir, headers=ENGLISH_BROWSER, count=3))
    # An operator's command has no browser: the site's language.
    invitation = invite(app, mail_dir, count=4)
    assert invitation["Subject"] == "Einladung zu 127.0.0.1:5000"
    assert Page(parts(invitation)[1]).lang == "de"


@pytest.mark.parametrize("locale", ["German", "de_DE", "", "de-"])
def test_a_site_locale_that_is_no_language_tag_stops_start_up(make_auth_app, locale):
    with pytest.raises(ConfigError, match="site.locale"):
        make_auth_app(config={"site": {"locale": locale}})


# -------------------------------------------------------------------------------------------------
# the site owner's templates
# -------------------------------------------------------------------------------------------------


@pytest.fixture
def owner_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "mail-templates"
    (folder / "en").mkdir(parents=True)
    return folder


def owner_app(make_auth_app, folder: Path, **config):
    return make_auth_app(auth={"templates_dir": str(folder)}, config=config)


def test_an_owners_template_replaces_the_shipped_one_of_that_message_only(make_auth_app, owner_dir, mail_dir):
    (owner_dir / "en" / "password_reset.subject.txt").write_text("Your new {{ site_name }} password\n")
    (owner_dir / "en" / "password_reset.txt").write_text(
        "Hi {{ username }}! Pick a new password at {{ link }} within {{ valid_minutes }} min.\n"
    )
    app = owner_app(make_auth_app, owner_dir)
    client = app.test_client(use_cookies=False)
    alice = signup(client, "alice")

    reset = reset_mail(client, mail_dir)
    text, html = parts(reset)
    assert reset["Subject"] == "Your new 127.0.0.1:5000 password"
    url = f"{SITE_URL}/reset-password.html?token={link_token(reset)}"
    assert text == f"Hi alice! Pick a new password at {url} within 30 min.\n"
    assert "Choose a new password" in html  # the shipped HTML of that message, with the owner's subject
    assert "<title>Your new 127.0.0.1:5000 password</title>" in html

    verify = verification_mail(client, mail_dir, alice, count=2)
    assert verify["Subject"] == "Confirm your email address"  # not overridden: shipped
    assert parts(verify)[0].startswith("Hello alice,")
    assert is_german(reset_mail(client, mail_dir, headers=GERMAN_BROWSER, count=3))  # de: shipped


def test_an_owners_layout_frames_every_html_message_and_autoescapes(make_auth_app, owner_dir, mail_dir):
    (owner_dir / "base.html").write_text(
        '<!DOCTYPE html><html lang="{{ locale }}"><head><meta name="viewport" content="width=device-width">'
        "<title>{{ subject }}</title></head><body><p>Club letter</p>{% block content %}{% endblock %}"
        "<p>{{ email }} · {{ site_name }}</p></body></html>\n"
    )
    app = owner_app(make_auth_app, owner_dir, site={"name": "R&D <Lab>"})
    client = app.test_client(use_cookies=False)
    alice = signup(client, "alice")
    for message in (reset_mail(client, mail_dir), verification_mail(client, mail_dir, alice, count=2)):
        text, _ = assert_reads_well(message)
        html = parts(message)[1]
        assert "<p>Club letter</p>" in html
        assert "<p>alice@example.com · R&amp;D &lt;Lab&gt;</p>" in html
        assert "R&D <Lab>" in text  # the text part is not HTML: not escaped


def test_an_owner_may_add_a_language(make_auth_app, owner_dir, mail_dir):
    french = owner_dir / "fr"
    french.mkdir()
    (french / "password_reset.subject.txt").write_text("Réinitialiser votre mot de passe\n")
    (french / "password_reset.txt").write_text("Bonjour {{ username }},\n\n{{ link }}\n")
    (french / "password_reset.html").write_text(
        '{% extends "base.html" %}{% block content %}<p>Bonjour {{ username }},</p>'
        '<p><a href="{{ link }}">{{ link }}</a></p>{% endblock %}'
    )
    app = owner_app(make_auth_app, owner_dir)
    client = app.test_client(use_cookies=False)
    alice = signup(client, "alice")
    french_browser = {"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"}
    reset = reset_mail(client, mail_dir, headers=french_browser)
    assert reset["Subject"] == "Réinitialiser votre mot de passe"
    text, page = assert_reads_well(reset)
    assert text.startswith("Bonjour alice,") and page.lang == "fr"
    # A message the owner did not translate goes out in the next language: the site's, English.
    assert is_english(verification_mail(client, mail_dir, alice, headers=french_browser, count=2))


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("password_reset.txt", "Hello {{ usernme }}, {{ link }}\n"),  # a misspelt variable
        ("password_reset.txt", "Hello {% if username %}{{ username }}\n"),  # a block never closed
        ("password_reset.html",
         '{% extends "en/layout.html" %}{% block content %}{{ link|nosuchfilter }}{% endblock %}'),
        ("layout.html", '{% extends "base.html" %}{% block footer %}{{ site.name }}{% endblock %}'),
    ],
    ids=["undefined-variable", "syntax-error", "unknown-filter", "broken-layout"],
)  # fmt: skip
def test_a_broken_owners_template_is_logged_and_the_shipped_message_goes_out(
    make_auth_app, owner_dir, mail_dir, caplog, name, source
):
    (owner_dir / "en" / name).write_text(source)
    app = owner_app(make_auth_app, owner_dir)
    client = app.test_client(use_cookies=False)
    signup(client, "alice")
    with caplog.at_level(logging.ERROR, logger="annex.auth.mail"):
        message = reset_mail(client, mail_dir)
    text, _ = assert_reads_well(message)
    assert text.startswith("Hello alice,\n\nSomeone asked to reset the password of your account.")
    assert link_token(message)
    [record] = [r for r in caplog.records if r.name == "annex.auth.mail" and r.levelno == logging.ERROR]
    assert "password_reset" in record.getMessage() and str(owner_dir) in record.getMessage()
    assert name in record.getMessage()  # which file to fix


def test_a_shipped_template_missing_a_variable_is_an_error(app):
    """StrictUndefined: the shipped templates are tested to get every variable they use."""
    from jinja2 import UndefinedError

    from plugins.auth import templating

    with app.test_request_context("/"):
        values = {**templating.site_variables(), "email": "a@example.com", "username": "alice"}
        with pytest.raises(UndefinedError, match="link"):
            templating.render("password_reset", ["en"], {**values, "valid_minutes": 30})


# -------------------------------------------------------------------------------------------------
# the file backend and `annex mail show`
# -------------------------------------------------------------------------------------------------


def test_a_german_mail_file_is_readable_and_mail_show_prints_its_text_and_link(app, client, mail_dir):
    signup(client, "alice")
    message = reset_mail(client, mail_dir, headers=GERMAN_BROWSER)
    url = f"{SITE_URL}/reset-password.html?token={link_token(message)}"
    (path,) = sorted(mail_dir.glob("*.eml"))
    raw = path.read_bytes().decode("utf-8")  # the whole file is UTF-8 text
    assert raw.count("Content-Transfer-Encoding: 8bit") == 2  # text and HTML, neither base64 nor QP
    assert "Der Link lässt sich einmal verwenden" in raw
    assert url in raw.splitlines()  # the text part's link, whole, on its own line
    body = raw.split("\n\n", 1)[1]  # (the subject is an RFC 2047 encoded word, as it must be)
    assert "=\n" not in body

    shown = app.test_cli_runner().invoke(args=["mail", "show"])
    assert shown.exit_code == 0, shown.output
    assert "Subject: Passwort zurücksetzen" in shown.output.splitlines()
    assert "jemand möchte das Passwort Ihres Kontos" in shown.output
    assert "<html" not in shown.output and "style=" not in shown.output  # the text part, not the HTML
    assert shown.output.split("Links:", 1)[1].split() == [url]


def test_the_deploy_check_names_a_broken_owners_template(make_auth_app, owner_dir):
    (owner_dir / "en" / "invitation.txt").write_text("Welcome! {{ invite_link }}\n")
    app = owner_app(make_auth_app, owner_dir)
    output = app.test_cli_runner().invoke(args=["check", "--deploy"]).output
    [line] = [line for line in output.splitlines() if "plugins.auth.templates_dir" in line]
    assert "invitation (en)" in line and "invite_link" in line and "invitation.txt:1" in line

    (owner_dir / "en" / "invitation.txt").write_text("Welcome! {{ link }}\n")
    output = app.test_cli_runner().invoke(args=["check", "--deploy"]).output
    assert "plugins.auth.templates_dir" not in output


def test_mail_preview_writes_every_message_in_every_language_with_the_owners_templates(
    make_auth_app, owner_dir, tmp_path
):
    french = owner_dir / "fr"
    french.mkdir()
    (french / "password_reset.subject.txt").write_text("Réinitialiser votre mot de passe\n")
    (french / "password_reset.txt").write_text("Bonjour {{ username }},\n\n{{ link }}\n")
    (french / "password_reset.html").write_text(
        '{% extends "base.html" %}{% block content %}<p><a href="{{ link }}">{{ link }}</a></p>{% endblock %}'
    )
    (owner_dir / "en" / "new_device.subject.txt").write_text("Was that you?\n")
    app = owner_app(make_auth_app, owner_dir)
    out = tmp_path / "preview"
    result = app.test_cli_runner().invoke(args=["mail", "preview", str(out)])
    assert result.exit_code == 0, result.output
    names = ["password_reset", "email_verification", "invitation", "email_change_confirmation",
             "email_change_notice", "new_device", "password_changed", "factor_added", "factor_removed",
             "account_locked"]  # fmt: skip
    expected = {
        f"{name}.{locale}.{kind}" for name in names for locale in ("en", "de") for kind in ("txt", "html")
    }
    expected |= {"password_reset.fr.txt", "password_reset.fr.html"}  # French has only that message
    assert {path.name for path in out.iterdir()} == expected
    assert result.output.strip() == f"wrote {len(expected) // 2} messages (text and HTML) to {out}"
    assert (out / "new_device.en.txt").read_text().startswith("Subject: Was that you?\n\nHello alice,")
    assert (out / "password_reset.fr.txt").read_text().startswith("Subject: Réinitialiser")
    assert Page((out / "account_locked.de.html").read_text()).lang == "de"
