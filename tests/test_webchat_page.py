"""The customer chat page: the browser-session cookie it sets, the token it hands the chat for the signed-in
customer, bound to that cookie, and nothing injected escapes its place."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from actions.acme.seed import DemoCustomer
from channels.webchat import add_webchat_routes
from channels.webchat.page import chat_policy
from channels.webchat.protocol import BROWSER_COOKIE

RASA = "http://127.0.0.1:5005"
CUSTOMERS = {"jane": DemoCustomer("jane", "Jane Doe", "+15550100001", "C001"),
             "sam": DemoCustomer("sam", "Sam Lee", "+15550100002", "C002")}
#: A browser-session secret as the page makes them (43 url-safe characters).
KNOWN_BROWSER = "b" * 43


def fetch(path: str, customers: Mapping[str, DemoCustomer] = CUSTOMERS,
          issue_token: Callable[[str, str], str] = lambda customer_id, browser: f"signed({customer_id})",
          headers: Optional[Mapping[str, str]] = None,
          secure_cookies: bool = False) -> Tuple[int, Mapping[str, str], str]:
    async def run() -> Tuple[int, Mapping[str, str], str]:
        app = web.Application()
        add_webchat_routes(app, socket_url=RASA, customers=customers, issue_token=issue_token,
                           secure_cookies=secure_cookies)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            response = await client.get(path, headers=dict(headers or {}), allow_redirects=False)
            return response.status, response.headers.copy(), await response.text()

    return asyncio.run(run())


def browser_cookie(headers: Mapping[str, str]) -> Tuple[str, Set[str]]:
    """The browser-session cookie a response sets: its value and its attributes, lower-cased."""
    [header] = [h for h in headers.getall("Set-Cookie", []) if h.startswith(f"{BROWSER_COOKIE}=")]  # type: ignore[attr-defined]
    first, *attributes = [part.strip() for part in header.split(";")]
    return first.partition("=")[2], {attribute.lower() for attribute in attributes if attribute}


def widget_settings(page: str) -> Dict[str, Any]:
    match = re.search(r'<script type="application/json" id="acme-chat-config">(.*?)</script>', page, re.S)
    assert match, "the page has no widget settings"
    return json.loads(match.group(1))


def test_without_a_customer_the_page_is_a_demo_sign_in_listing_every_customer_and_a_guest_option() -> None:
    status, _, page = fetch("/chat")
    assert status == 200
    assert '<a href="/chat?as=jane">Jane Doe</a>' in page
    assert '<a href="/chat?as=sam">Sam Lee</a>' in page
    assert 'href="/chat?as=guest"' in page
    assert "acme-chat-config" not in page


def test_jane_signed_in_gets_the_chat_with_a_token_issued_for_her_account_and_pointed_at_rasa() -> None:
    status, headers, page = fetch("/chat?as=jane")
    assert status == 200
    assert "Signed in as <strong>Jane Doe</strong>" in page
    assert headers["Cache-Control"] == "no-store"
    settings = widget_settings(page)
    assert settings["signedInAs"] == "jane"
    assert settings["token"] == "signed(C001)"
    assert settings["socketUrl"] == RASA
    assert settings["socketPath"] == "/socket.io/"
    assert '<script type="module" src="/chat/static/chat.js"></script>' in page


def test_a_guest_chats_without_any_token() -> None:
    issued: List[str] = []
    status, _, page = fetch("/chat?as=guest",
                            issue_token=lambda customer_id, browser: issued.append(customer_id) or "never")
    assert status == 200
    assert widget_settings(page)["token"] is None  # the chat server gives a guest a visitor conversation
    assert issued == []
    assert "Not signed in" in page


def test_an_unknown_customer_gets_a_400_page_saying_so_with_the_name_escaped() -> None:
    status, _, page = fetch("/chat?as=<b>mallory</b>")
    assert status == 400
    assert "There is no demo customer called &#x27;&lt;b&gt;mallory&lt;/b&gt;&#x27;." in page
    assert "<b>mallory" not in page


def test_markup_in_a_name_or_a_token_cannot_leave_its_place_in_the_page() -> None:
    hostile = "</script><script>alert(1)</script><!--"
    customers = {"x&y": DemoCustomer("x&y", f"Eve {hostile}", "+15550100009", "C009")}
    _, _, sign_in = fetch("/chat", customers=customers)
    assert '<a href="/chat?as=x%26y">Eve &lt;/script&gt;' in sign_in

    status, _, page = fetch("/chat?as=x%26y", customers=customers, issue_token=lambda customer_id, browser: hostile)
    assert status == 200
    assert page.count("<script") == 2  # the settings and chat.js: nothing else
    assert "alert(1)</script>" not in page
    assert widget_settings(page)["token"] == hostile


def test_the_chat_module_and_its_vendored_socket_client_are_served() -> None:
    status, headers, body = fetch("/chat/static/chat.js")
    assert status == 200
    assert "javascript" in headers["Content-Type"]
    assert 'import { io } from "./vendor/socket.io-4.7.5.esm.min.js";' in body
    status, _, vendored = fetch("/chat/static/vendor/socket.io-4.7.5.esm.min.js")
    assert status == 200 and vendored.startswith("/*!\n * Socket.IO v4.7.5")


def csp(headers: Mapping[str, str]) -> Dict[str, str]:
    return {name: value for name, _, value in (part.strip().partition(" ")
                                               for part in headers["Content-Security-Policy"].split(";"))}


@pytest.mark.parametrize("path", ["/chat", "/chat?as=jane", "/chat?as=guest", "/chat?as=nobody"])
def test_no_site_may_frame_a_chat_page_and_its_only_connection_is_to_rasa(path: str) -> None:
    _, headers, _ = fetch(path)

    assert csp(headers)["frame-ancestors"] == "'none'"
    assert csp(headers)["connect-src"] == "http://127.0.0.1:5005 ws://127.0.0.1:5005"
    assert csp(headers)["script-src"] == "'self'"


def test_a_rasa_behind_https_is_reached_over_https_and_wss_only() -> None:
    policy = csp({"Content-Security-Policy": chat_policy("https://chat.acme.example/socket")})

    assert policy["connect-src"] == "https://chat.acme.example wss://chat.acme.example"


@pytest.mark.parametrize("socket_url, customers, problem", [
    ("127.0.0.1:5005", CUSTOMERS, "socket_url"),
    ("http://127.0.0.1:5005 *; connect-src *", CUSTOMERS, "socket_url"),
    (RASA, {"guest": DemoCustomer("guest", "Gus", "+15550100010", "C010")}, "guest"),
])
def test_bad_settings_are_refused_when_the_routes_are_added(socket_url: str, customers: Mapping, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        add_webchat_routes(web.Application(), socket_url=socket_url, customers=customers,
                           issue_token=lambda customer_id, browser: "t")


# -- the browser session ---------------------------------------------------------------------------


def test_janes_page_gives_her_browser_a_session_cookie_and_binds_her_token_to_it() -> None:
    issued: List[Tuple[str, str]] = []
    status, headers, page = fetch("/chat?as=jane",
                                  issue_token=lambda customer_id, browser: issued.append((customer_id, browser)) or "t")

    secret, attributes = browser_cookie(headers)
    assert status == 200 and issued == [("C001", secret)]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret)
    # not readable by scripts, never sent from another site, for the whole host, gone when the browser closes
    assert attributes == {"httponly", "samesite=strict", "path=/"}
    assert secret not in page


@pytest.mark.parametrize("path, tokens", [("/chat?as=jane", [KNOWN_BROWSER]),
                                          ("/chat?as=guest", [])])  # a guest's page issues no token
def test_a_browser_that_has_a_session_already_keeps_it_so_its_tabs_share_one(path: str, tokens: List[str]) -> None:
    issued: List[str] = []
    _, headers, _ = fetch(path, headers={"Cookie": f"{BROWSER_COOKIE}={KNOWN_BROWSER}"},
                          issue_token=lambda customer_id, browser: issued.append(browser) or "t")

    assert "Set-Cookie" not in headers
    assert issued == tokens


@pytest.mark.parametrize("junk", ["short", "b" * 44, "b" * 42 + "!", ""])
def test_a_cookie_that_is_not_a_session_the_page_made_is_replaced(junk: str) -> None:
    issued: List[str] = []
    _, headers, _ = fetch("/chat?as=jane", headers={"Cookie": f"{BROWSER_COOKIE}={junk}"},
                          issue_token=lambda customer_id, browser: issued.append(browser) or "t")

    secret, _ = browser_cookie(headers)
    assert secret != junk and issued == [secret]


def test_a_guest_page_starts_a_browser_session_too_for_the_tokens_the_chat_server_renews() -> None:
    _, headers, _ = fetch("/chat?as=guest")

    assert browser_cookie(headers)[1] == {"httponly", "samesite=strict", "path=/"}


def test_the_cookie_is_secure_when_the_inbox_is_told_its_cookies_are() -> None:
    _, headers, _ = fetch("/chat?as=jane", secure_cookies=True)

    assert "secure" in browser_cookie(headers)[1]


def test_a_page_opened_under_another_loopback_name_is_sent_to_the_chat_servers_so_the_cookie_reaches_it() -> None:
    status, headers, _ = fetch("/chat?as=jane&x=1", headers={"Host": "localhost:8080"})

    assert status == 302
    assert headers["Location"] == "http://127.0.0.1:8080/chat?as=jane&x=1"
    assert "Set-Cookie" not in headers


@pytest.mark.parametrize("host", ["shop.example:8080", "[bad"])
def test_a_page_opened_under_a_host_name_the_chat_server_is_not_on_says_where_to_open_it(host: str) -> None:
    issued: List[str] = []
    status, headers, page = fetch("/chat?as=jane", headers={"Host": host},
                                  issue_token=lambda customer_id, browser: issued.append(browser) or "t")

    assert status == 400
    assert "open this page on &#x27;127.0.0.1&#x27;" in page
    assert issued == [] and "Set-Cookie" not in headers
