"""The composition root: settings in, a ready assistant out. The only place that wires parts."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import List

import yaml

from actions.acme.http_backend import HttpBusiness
from actions.acme.seed import seed_demo
from actions.acme.sqlite_backend import SqlBusiness
from actions.domain.assistant import Assistant
from actions.domain.business import Business
from actions.domain.messaging import SmsSender
from actions.domain.policy import check_intents, load_policy
from actions.domain.services import Services, new_id
from actions.domain.step_up import StepUp
from actions.settings import Settings
from actions.sms import DevOutboxSender, TwilioSmsSender
from actions.store.database import make_engine
from actions.store.sql import sql_stores

logger = logging.getLogger(__name__)


def build_business(settings: Settings) -> Business:
    business = build_directory(settings)
    if not isinstance(business, SqlBusiness):
        return business
    business.create_all()
    if settings.seed_demo:
        seed_demo(business, datetime.now(timezone.utc).date())
    return business


def build_directory(settings: Settings) -> Business:
    """The business as the channels' identity resolvers read it (who has this phone number):
    the same backend as the assistant's, without creating or seeding anything."""
    if settings.business == "http":
        assert settings.business_url is not None
        return HttpBusiness(settings.business_url, settings.business_api_key)
    return SqlBusiness(settings.business_database_url)


def build_sms(settings: Settings) -> SmsSender:
    if settings.twilio is None:
        logger.warning("No Twilio credentials: one-time codes go to the DEVELOPMENT outbox %s", settings.dev_outbox)
        return DevOutboxSender(settings.dev_outbox)
    t = settings.twilio
    return TwilioSmsSender(t.account_sid, t.auth_token, t.from_number, base_url=t.base_url)


def domain_intents(path: Path) -> List[str]:
    domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [next(iter(i)) if isinstance(i, dict) else str(i) for i in domain.get("intents", [])]


def build_services(settings: Settings) -> Services:
    policy = load_policy(settings.policy_path)
    check_intents(policy, domain_intents(settings.domain_path))
    engine = make_engine(settings.database_url)
    return Services(
        policy=policy,
        business=build_business(settings),
        **vars(sql_stores(engine)),
        sms=build_sms(settings),
        step_up=StepUp(policy.otp, settings.otp_pepper, new_id),
    )


def build_assistant(settings: Settings) -> Assistant:
    return Assistant(build_services(settings))
