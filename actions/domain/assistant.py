"""The assistant: everything it does with a customer's message, and with news from people.

Its parts, each in its own module: ``turn_routing`` (what a message is and what to do with it),
``handing_over`` (a conversation for people), ``decision_news`` (telling the customer what
people decided), on the shared ``turn_context``.
"""

from __future__ import annotations

from actions.domain.decision_news import DecisionNews


class Assistant(DecisionNews):
    """One customer message in, the bot's replies out (``handle``); and the news of a hand-back
    (``handed_back``) or of decided approvals (``approvals_decided``)."""
