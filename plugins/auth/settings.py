"""``[plugins.auth]``: every setting of the auth plugin, with its default."""

from __future__ import annotations

import warnings
from typing import Literal

from pydantic import Field

from core import Secret, SecretKey, Section, plugin_settings

# The contract names a limit "register", which shadows ABCMeta.register on the class; on
# instances the field wins, which is all this model is read through.
warnings.filterwarnings("ignore", message='Field name "register"', category=UserWarning)


class Limits(Section):
    """``[plugins.auth.limits]``: rate limits of the auth routes (``limits`` notation)."""

    #: Login attempts per (client IP, account): an account's username and email share one count.
    login: str = "5/minute"
    #: Login attempts per client IP.
    login_ip: str = "30/minute"
    #: Wrong passwords per account, from any IP: at login and every route that asks for it again.
    login_account_failures: str = "100/hour"
    #: Registrations per client IP.
    register: str = "10/hour"
    #: Refreshes per client IP.
    refresh: str = "60/minute"
    #: Password-reset requests per client IP.
    password_reset: str = "5/hour"
    #: Password-reset requests per email address.
    password_reset_account: str = "3/hour"
    #: Password checks per session of a signed-in user (password change, logout-all, ending
    #: another session, account delete); wrong ones also count in ``login_account_failures``.
    password_check: str = "5/minute"
    #: Verification mails per account.
    verify_email_account: str = "3/hour"
    #: Email change requests per account (each mails a new address and the old one).
    email_change_account: str = "5/hour"
    #: Wrong passwords per account and remembered device, once ``login_account_failures`` is
    #: spent (the owner's own browser still signs in then; a guesser holding its cookie does not
    #: get far).
    login_device_failures: str = "10/hour"
    #: Sign-ins with the link of an "account locked" notice, per client IP.
    login_link: str = "10/hour"
    #: Wrong second factors per account (at ``POST /api/auth/mfa`` and re-authentication by code).
    mfa: str = "10/hour"


class Notify(Section):
    """``[plugins.auth.notify]``: which security notices mail the account's owner."""

    #: A sign-in from a browser the account has not signed in from before.
    new_device: bool = True
    #: The password was changed or reset.
    password_changed: bool = True
    #: A change of address was asked for (mailed to the old address).
    email_changed: bool = True
    #: A sign-in method or second factor was added or removed (an authenticator, a passkey…).
    factor_changed: bool = True
    #: The account refused a password because of too many wrong ones (at most one an hour).
    account_locked: bool = True


class Settings(Section):
    #: bcrypt cost; stored hashes of a lower cost are re-hashed at the next login.
    bcrypt_rounds: int = Field(12, ge=4, le=18)
    #: Pepper for the HMAC applied before bcrypt (a secret that must never change once users exist;
    #: 32 bytes or more in production when set; empty: no pepper).
    password_pepper: SecretKey = ""
    #: Shortest accepted password, in characters after NFKC normalisation.
    password_min_length: int = Field(8, ge=8, le=1024)
    #: HS256 signing key (32 bytes or more in production); empty derives one from security.secret_key.
    jwt_key: SecretKey = ""
    #: Former signing keys that still verify (key rotation).
    previous_keys: list[SecretKey] = []
    #: Seconds an access token lives.
    access_token_ttl: int = Field(900, ge=1)
    #: Seconds a refresh token lives.
    refresh_token_ttl: int = Field(1_209_600, ge=1)
    #: Seconds after login at which a session ends whatever the refreshes.
    session_max_age: int = Field(2_592_000, ge=1)
    #: Seconds during which the refresh token retired last may be presented again.
    refresh_grace_seconds: int = Field(10, ge=0)
    #: Where tokens may travel: Authorization header, cookies, or both.
    transports: list[Literal["bearer", "cookie"]] = Field(["bearer", "cookie"], min_length=1)
    #: ``false`` drops the __Host-/__Secure- prefixes and the Secure flag (plain-HTTP development).
    cookie_secure: bool = True
    #: Roles every new account gets.
    default_roles: list[str] = ["member"]
    #: ``console`` (log), ``file`` (.eml files in mail_dir) or ``smtp``.
    mail_backend: Literal["console", "file", "smtp"] = "console"
    #: Folder for the file backend's .eml files.
    mail_dir: str = "instance/mail"
    #: Sender of every message.
    mail_from: str = "Annex <no-reply@localhost>"
    #: Folder of the site's own mail templates: a file there replaces the shipped one of the same
    #: relative path (``de/password_reset.html``…); empty: the shipped templates only.
    templates_dir: str = ""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: Secret = ""
    smtp_starttls: bool = False
    #: Seconds before an SMTP connection attempt gives up.
    smtp_timeout: float = 10.0
    #: Page of the site that finishes a password reset (``<site.url>/<page>?token=…``).
    reset_page: str = "reset-password.html"
    #: Page of the site that confirms an email address.
    verify_page: str = "verify-email.html"
    #: Page of the site that confirms a new email address (``<site.url>/<page>?token=…``).
    email_change_page: str = "confirm-email.html"
    #: Seconds after the last proof (``auth_time``) during which sensitive actions need no new one.
    reauth_max_age: int = Field(300, ge=0)
    #: Who may create an account: anyone, only the holder of an invitation, or nobody.
    registration: Literal["open", "invite", "closed"] = "open"
    #: Page of the site that an invitation links to (``<site.url>/<page>?token=…``).
    invite_page: str = "register.html"
    #: Page of the site that signs in with the link of an "account locked" notice.
    login_link_page: str = "login-link.html"
    notify: Notify = Notify()
    limits: Limits = Limits()


def settings() -> Settings:
    """This app's ``[plugins.auth]``, read at request time."""
    return plugin_settings("auth")
