"""Annex core: a small Flask framework that loads pluggy plugins.

Plugins import only from here; everything below is the public API.
"""

from core.accounts import hold_account as hold_account
from core.api import Body as Body
from core.api import RateLimit as RateLimit
from core.api import endpoint as endpoint
from core.api import field_error as field_error
from core.api import read_json_object as read_json_object
from core.api import to_response as to_response
from core.app import create_app as create_app
from core.config import ConfigError as ConfigError
from core.config import Section as Section
from core.db import transaction as transaction
from core.deploycheck import Finding as Finding
from core.errors import ApiError as ApiError
from core.errors import unauthorized as unauthorized
from core.errors import unavailable as unavailable
from core.identity import Identity as Identity
from core.identity import current_identity as current_identity
from core.identity import permission_allowed as permission_allowed
from core.migrations import Migration as Migration
from core.openapi import add_security_scheme as add_security_scheme
from core.outbox import queue_email as queue_email
from core.plugins import PluginError as PluginError
from core.plugins import hookimpl as hookimpl
from core.ratelimit import check_rate_limit as check_rate_limit
from core.ratelimit import client_ip as client_ip
from core.ratelimit import client_ip_key as client_ip_key
from core.ratelimit import rate_limited as rate_limited
from core.secretkeys import Secret as Secret
from core.secretkeys import SecretKey as SecretKey
from core.security import UNSAFE_METHODS as UNSAFE_METHODS
from core.sql import SQL as SQL
from core.state import get_db as get_db
from core.state import get_settings as get_settings
from core.state import hooks as hooks
from core.state import plugin_settings as plugin_settings
from core.state import rate_limiter as rate_limiter
from core.statements import execute as execute
from core.statements import one as one
from core.statements import rows as rows
from core.statements import scalar as scalar
from core.times import now as now
from core.times import rfc3339 as rfc3339
from core.version import __version__ as __version__
