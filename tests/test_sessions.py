"""Who a conversation belongs to: conversation keys, the channels' resolvers and the web chat's tokens.

Each scenario is an attempt to reach someone else's conversation, or the honest way in.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from itertools import count
from pathlib import Path

import pytest

from actions.acme.seed import seed_demo
from actions.acme.sqlite_backend import SqlBusiness
from actions.domain.links import LinkRequest
from actions.domain.session_tokens import (
    MemoryTokenClaims,
    SessionTokens,
    WebChatResolver,
    browser_binding,
)
from actions.domain.sessions import (
    Identity,
    Refused,
    Resolvers,
    RestResolver,
    customer_key,
    customer_of,
    is_visitor,
    new_visitor_key,
)
from actions.store.database import make_engine
from actions.store.memory import MemoryIdentityLinks
from actions.store.token_claims import SqlTokenClaims
from tests.support.databases import migrated_engine
from tests.support.race import race_between

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
SECRET = "s" * 32
JANE = "customer-C001"
#: Browser-session secrets as the page's server sets them in a cookie: Jane's browser, and another.
JANES_BROWSER = "J" * 43
OTHER_BROWSER = "o" * 43


def hex_ids():
    numbers = count(1)
    return lambda: f"{next(numbers):032x}"


@pytest.fixture
def directory(tmp_path: Path) -> SqlBusiness:
    business = SqlBusiness(f"sqlite:///{tmp_path / 'acme.db'}")
    business.create_all()
    seed_demo(business, NOW.date())
    return business


def web_chat(now: datetime = NOW) -> WebChatResolver:
    ids = hex_ids()
    return WebChatResolver(SessionTokens(SECRET, ids), MemoryTokenClaims(), lambda: now, ids)


# -- conversation keys ----------------------------------------------------------------------------


def test_a_customer_has_one_key_from_their_record_and_a_visitor_an_id_that_is_nobody_elses() -> None:
    assert customer_key("C001") == JANE and customer_of(JANE) == "C001"
    visitor = new_visitor_key(lambda: "0" * 31 + "1")
    assert is_visitor(visitor) and customer_of(visitor) is None
    for phone_or_junk in ("+15550100001", "15550100001", "whatsapp:+15550100001", "customer-", "visitor-xyz", ""):
        assert customer_of(phone_or_junk) is None and not is_visitor(phone_or_junk)


@pytest.mark.parametrize("bad", ["", "C 001", "C001/../C002", "x" * 65])
def test_a_key_is_never_made_from_an_id_that_could_smuggle_another_shape(bad: str) -> None:
    with pytest.raises(ValueError):
        customer_key(bad)


def test_a_visitor_id_must_be_random_hex_from_the_server() -> None:
    with pytest.raises(ValueError):
        new_visitor_key(lambda: "+15550100001")


# -- one resolver per channel ---------------------------------------------------------------------


def test_a_channel_nobody_wrote_a_resolver_for_identifies_nobody(directory: SqlBusiness) -> None:
    resolvers = Resolvers({"rest": RestResolver(directory)})
    assert isinstance(resolvers.resolve("sms", {"sender": "+15550100001"}), Refused)
    assert resolvers.resolve("rest", {"sender": "+15550100001"}) == Identity(JANE, "C001", "rest", "rest_token")


def test_rest_names_a_customer_by_the_phone_on_file_in_any_usual_form_or_by_key(directory: SqlBusiness) -> None:
    rest = RestResolver(directory)
    for sender in ("+15550100001", "+1 555-010-0001", JANE):
        assert rest.resolve({"sender": sender}).conversation_id == JANE


@pytest.mark.parametrize("sender", ["+15559990000", "", "   ", "visitor-" + "a" * 32, "jane"])
def test_rest_refuses_a_sender_who_is_no_customer_rather_than_open_a_conversation_for_it(
    directory: SqlBusiness, sender: str,
) -> None:
    refused = RestResolver(directory).resolve({"sender": sender})
    assert isinstance(refused, Refused) and "sender" in refused.reason or "phone" in refused.reason


# -- web chat tokens ------------------------------------------------------------------------------


def test_a_genuine_token_makes_the_first_socket_that_shows_it_janes_conversation() -> None:
    resolver = web_chat()
    token = resolver.tokens.issue(JANE, NOW)

    assert resolver.resolve({"token": token, "socket": "sid-1"}) == Identity(JANE, "C001", "webchat", "signed_token")
    assert resolver.resolve({"token": token, "socket": "sid-1"}).conversation_id == JANE  # the same socket again


def test_a_token_replayed_from_another_socket_identifies_nobody() -> None:
    resolver = web_chat()
    token = resolver.tokens.issue(JANE, NOW)
    resolver.resolve({"token": token, "socket": "sid-1"})

    replayed = resolver.resolve({"token": token, "socket": "sid-2"})

    assert replayed == Refused("the identity token was already used by another connection")


def test_forged_altered_expired_and_foreign_tokens_identify_nobody() -> None:
    resolver = web_chat()
    token = resolver.tokens.issue(JANE, NOW)
    body, _, signature = token.partition(".")
    sam = SessionTokens(SECRET, hex_ids()).issue("customer-C002", NOW).partition(".")[0]
    attempts = {
        "forged signature": f"{body}.{'0' * 32}",
        "body swapped for Sam's": f"{sam}.{signature}",
        "another server's secret": SessionTokens("t" * 32, hex_ids()).issue(JANE, NOW),
        "expired": SessionTokens(SECRET, hex_ids()).issue(JANE, NOW - timedelta(minutes=12)),
        "made to last a day": SessionTokens(SECRET, hex_ids(), valid_for=timedelta(days=1)).issue(JANE, NOW),
        "not text a signature has": "Ω.Ω",
        "junk": "abc.é" + "0" * 31,
    }
    for what, attempt in attempts.items():
        assert isinstance(resolver.resolve({"token": attempt, "socket": "sid-9"}), Refused), what


def test_tokens_are_short_lived_not_twelve_hours() -> None:
    tokens = SessionTokens(SECRET, hex_ids())
    token = tokens.issue(JANE, NOW)
    assert tokens.verify(token, NOW + timedelta(minutes=9)) is not None
    assert tokens.verify(token, NOW + timedelta(minutes=12)) is None


def test_without_a_token_a_visitor_gets_a_fresh_id_and_its_renewed_token_brings_it_back() -> None:
    resolver = web_chat()
    first = resolver.resolve({"token": "", "socket": "sid-1"})
    assert isinstance(first, Identity) and is_visitor(first.conversation_id) and first.customer_id is None
    assert resolver.resolve({"token": "", "socket": "sid-2"}).conversation_id != first.conversation_id

    renewed = resolver.tokens.issue(first.conversation_id, NOW)  # what the page keeps for its next connection
    assert resolver.resolve({"token": renewed, "socket": "sid-3"}).conversation_id == first.conversation_id


def test_a_token_never_names_a_phone_number_or_anything_but_a_servers_conversation_id() -> None:
    tokens = SessionTokens(SECRET, hex_ids())
    for not_a_key in ("+15550100001", "5f0c9a", "customer-C001 "):
        with pytest.raises(ValueError):
            tokens.issue(not_a_key, NOW)
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[0-9a-f]{32}", tokens.issue(JANE, NOW))


def test_a_visitors_token_names_the_customer_once_a_code_linked_the_visitor_and_only_that_visitor() -> None:
    links = MemoryIdentityLinks()
    ids = hex_ids()
    resolver = WebChatResolver(SessionTokens(SECRET, ids), MemoryTokenClaims(), lambda: NOW, ids, links)
    visitor = resolver.resolve({"token": "", "socket": "sid-1"})
    bystander = resolver.resolve({"token": "", "socket": "sid-2"})
    assert isinstance(visitor, Identity) and isinstance(bystander, Identity)
    links.add_request(LinkRequest("r1", visitor.conversation_id, "C001", NOW, NOW + timedelta(minutes=10)))
    before = resolver.resolve({"token": resolver.tokens.issue(visitor.conversation_id, NOW), "socket": "sid-3"})
    assert before == Identity(visitor.conversation_id, None, "webchat", "none")  # a claim is not a link

    links.link("r1", NOW, "otp")

    reloaded = resolver.resolve({"token": resolver.tokens.issue(visitor.conversation_id, NOW), "socket": "sid-4"})
    assert reloaded == Identity(JANE, "C001", "webchat", "signed_token+otp_link")
    other = resolver.resolve({"token": resolver.tokens.issue(bystander.conversation_id, NOW), "socket": "sid-5"})
    assert other == Identity(bystander.conversation_id, None, "webchat", "none")
    assert resolver.resolve({"token": "", "socket": "sid-6"}).customer_id is None  # a new visitor is nobody


# -- tokens bound to the browser session -------------------------------------------------------


def test_a_token_bound_to_janes_browser_carries_a_hash_of_its_secret_never_the_secret() -> None:
    tokens = SessionTokens(SECRET, hex_ids())
    token = tokens.issue(JANE, NOW, browser=JANES_BROWSER)

    claims = tokens.verify(token, NOW)
    assert claims is not None and claims.binding == browser_binding(JANES_BROWSER)
    assert JANES_BROWSER not in token and JANES_BROWSER not in claims.binding
    assert tokens.verify(tokens.issue(JANE, NOW), NOW).binding is None  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        tokens.issue(JANE, NOW, browser="not a secret the page makes")


def test_a_bound_token_copied_out_of_janes_page_identifies_nobody_elsewhere_and_still_lets_her_page_in() -> None:
    resolver = web_chat()
    token = resolver.tokens.issue(JANE, NOW, browser=JANES_BROWSER)

    for elsewhere in ({"token": token, "socket": "thief-1"},
                      {"token": token, "socket": "thief-2", "browser": ""},
                      {"token": token, "socket": "thief-3", "browser": OTHER_BROWSER},
                      {"token": token, "socket": "thief-4", "browser": JANES_BROWSER[:-1] + "!"}):
        assert resolver.resolve(elsewhere) == Refused("the identity token is bound to another browser session")

    # refused before the claim: the copies did not use it up
    janes_page = resolver.resolve({"token": token, "socket": "sid-1", "browser": JANES_BROWSER})
    assert janes_page == Identity(JANE, "C001", "webchat", "signed_token")


def test_a_bound_token_is_still_one_sockets_even_in_janes_own_browser() -> None:
    resolver = web_chat()
    token = resolver.tokens.issue(JANE, NOW, browser=JANES_BROWSER)
    resolver.resolve({"token": token, "socket": "sid-1", "browser": JANES_BROWSER})

    second_tab = resolver.resolve({"token": token, "socket": "sid-2", "browser": JANES_BROWSER})

    assert second_tab == Refused("the identity token was already used by another connection")


def test_a_renewed_token_is_bound_like_the_socket_and_a_socket_without_a_cookie_gets_unbound_ones() -> None:
    resolver = web_chat()
    with_cookie = resolver.tokens.verify(resolver.renewal(JANE, "sid-1", JANES_BROWSER), NOW)
    without = resolver.tokens.verify(resolver.renewal("visitor-" + "a" * 32, "sid-2", ""), NOW)
    junk_cookie = resolver.tokens.verify(resolver.renewal("visitor-" + "a" * 32, "sid-3", "junk"), NOW)

    assert with_cookie is not None and with_cookie.binding == browser_binding(JANES_BROWSER)
    assert without is not None and without.binding is None  # a guest whose browser refuses cookies
    assert junk_cookie is not None and junk_cookie.binding is None


def test_renewing_revokes_the_renewal_the_page_was_handed_before_if_it_never_used_it() -> None:
    resolver = web_chat()
    resolver.resolve({"token": resolver.tokens.issue(JANE, NOW, browser=JANES_BROWSER), "socket": "sid-1",
                      "browser": JANES_BROWSER})
    first = resolver.renewal(JANE, "sid-1", JANES_BROWSER)  # on connecting
    second = resolver.renewal(JANE, "sid-1", JANES_BROWSER, replacing=first)  # four minutes later

    in_the_same_browser = {"socket": "sid-2", "browser": JANES_BROWSER}
    assert resolver.resolve({"token": first, **in_the_same_browser}) == Refused(
        "the identity token was already used by another connection")
    assert resolver.resolve({"token": second, **in_the_same_browser}).conversation_id == JANE  # the page's reload


def test_renewing_with_a_replaced_token_that_is_junk_or_expired_still_renews() -> None:
    resolver = web_chat()
    expired = resolver.tokens.issue(JANE, NOW - timedelta(minutes=30), browser=JANES_BROWSER)
    for replacing in ("junk", expired):
        assert resolver.tokens.verify(resolver.renewal(JANE, "sid-1", JANES_BROWSER, replacing), NOW) is not None


# -- token claims, shared by every chat server --------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def claims(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "memory":
        yield MemoryTokenClaims()
        return

    with migrated_engine(request.param, tmp_path, "claims") as engine:
        yield SqlTokenClaims(engine)


def test_a_token_is_claimed_by_the_first_socket_and_stays_with_it(claims) -> None:  # type: ignore[no-untyped-def]
    expires = NOW + timedelta(minutes=10)
    assert claims.claim("t1", "sid-1", expires)
    assert claims.claim("t1", "sid-1", expires)  # the same socket again: still its own
    assert not claims.claim("t1", "sid-2", expires)
    assert claims.claim("t2", "sid-2", expires)


def test_two_sockets_presenting_one_token_at_the_same_moment_one_wins(claims) -> None:  # type: ignore[no-untyped-def]

    results = race_between(lambda: claims.claim("t1", "sid-a", NOW), lambda: claims.claim("t1", "sid-b", NOW))

    assert sorted(results) == [False, True]


def test_a_replay_to_another_chat_server_on_the_same_database_identifies_nobody(tmp_path: Path) -> None:

    url = f"sqlite:///{tmp_path / 'hitl.db'}"
    ids = hex_ids()
    tokens = SessionTokens(SECRET, ids)
    first = WebChatResolver(tokens, SqlTokenClaims(make_engine(url)), lambda: NOW, ids)
    second = WebChatResolver(tokens, SqlTokenClaims(make_engine(url)), lambda: NOW, ids)
    token = tokens.issue(JANE, NOW)

    assert first.resolve({"token": token, "socket": "sid-1"}).conversation_id == JANE
    assert isinstance(second.resolve({"token": token, "socket": "sid-2"}), Refused)
