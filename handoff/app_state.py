"""What the inbox application holds, by typed key: its settings and parts, and its open pages."""

from __future__ import annotations

from typing import Set

from aiohttp import web

from actions.settings import Settings
from handoff.call_controls import CallControls
from handoff.desk import Desk
from handoff.domain.login_throttle import LoginThrottle
from handoff.my_phone import MyPhone
from handoff.phone_codes import SqlPhoneCodes
from handoff.timers import Timers

SETTINGS = web.AppKey("settings", Settings)
THROTTLE = web.AppKey("login_throttle", LoginThrottle)
DESK = web.AppKey("desk", Desk)
TIMERS = web.AppKey("timers", Timers)
PHONE_CODES = web.AppKey("phone_codes", SqlPhoneCodes)  # people's phones and the approval codes texted to them
MY_PHONE = web.AppKey("my_phone", MyPhone)  # a person's own phone: a new number waits for its code
SOCKETS = web.AppKey("sockets", Set)  # the open pages (Page)
TEMPLATES = web.AppKey("templates", dict)  # file name -> Template, read once at start
CANNED = web.AppKey("canned", list)
#: The API's OpenAPI description (``handoff/openapi.yaml``), served at ``/api/openapi.json``.
OPENAPI = web.AppKey("openapi", dict)
CALLS = web.AppKey("calls", CallControls)  # the customer's call, worked by the person on it (hold, hand-back)

#: The largest request body the inbox reads (a reply, a note, a form): beyond it a 413 that says so.
MAX_BODY_BYTES = 256 * 1024
