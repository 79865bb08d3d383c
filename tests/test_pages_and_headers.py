"""Every page the stack serves, as a browser gets it: its security headers and where its assets come from.

One inbox runs for the module with the demo (so it also serves the customer chat page) and a
trusted proxy configured that is not the test itself (10.0.0.0/8): the test's requests come
from 127.0.0.1, like anyone who reaches the inbox around the proxy.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set
from urllib.parse import urljoin, urlsplit

import aiohttp
import pytest
import requests

from actions.settings import Settings, SettingsError
from channels.webchat.protocol import BROWSER_COOKIE
from handoff.app_state import SETTINGS
from tests.support.inbox import PASSWORDS, Inbox, running_inbox
from tests.test_inbox_app import cookie_flags
from tests.test_inbox_modules import imports

#: The references by which a page makes the browser fetch something (links to other pages are not).
PAGE_ASSET = re.compile(r"<(?:script|img|iframe|frame|audio|video|source|embed|track|input)\b[^>]*?\ssrc=[\"']([^\"']*)"
                        r"|<(?:link)\b[^>]*?\shref=[\"']([^\"']*)"
                        r"|<object\b[^>]*?\sdata=[\"']([^\"']*)", re.IGNORECASE)
#: CSS's own fetches, in a stylesheet or in CSS a script injects (the widget does).
CSS_FETCH = re.compile(r"@import\s+(?:url\()?\s*[\"']?([^\"')\s;]+)|url\(\s*[\"']?([^\"')\s]+)", re.IGNORECASE)
ABSOLUTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbox]:
    with running_inbox(tmp_path_factory.mktemp("pages"), INBOX_TRUSTED_PROXIES="10.0.0.0/8") as inbox:
        yield inbox


def every_page(inbox: Inbox) -> Dict[str, requests.Response]:
    """Every page of the stack (each GET route that is not the API, a socket or a static file), signed in,
    and the chat page for each kind of visitor; keyed by path."""
    cookie = {"inbox_session": inbox.sign_in("maria").cookie}
    paths = {route.resource.canonical for route in inbox.app.router.routes()
             if route.method == "GET" and route.resource is not None and "{" not in route.resource.canonical
             and not route.resource.canonical.startswith(("/api/", "/ws", "/static", "/chat/static"))}
    assert {"/", "/login", "/chat"} <= paths
    paths |= {"/chat?as=jane", "/chat?as=guest", "/chat?as=nobody"}
    pages = {path: requests.get(f"{inbox.url}{path}", cookies=cookie, timeout=10) for path in sorted(paths)}
    pages["/login (signed out)"] = inbox.login_form()
    pages["/ (signed out)"] = requests.get(f"{inbox.url}/", allow_redirects=False, timeout=10)
    pages["/no-such-page"] = requests.get(f"{inbox.url}/no-such-page", timeout=10)
    return pages


def directives(response: requests.Response) -> Dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {name: value.strip() for name, _, value in (part.strip().partition(" ") for part in policy.split(";"))
            if name}


def outside_fetches(inbox: Inbox, page: requests.Response) -> List[str]:
    """The URLs outside the stack that ``page`` and the stylesheets, scripts and modules it loads make the browser fetch."""
    found: List[str] = []
    seen: Set[str] = set()
    pending = [(page.url, page.text)]
    while pending:
        base, text = pending.pop()
        references = [ref for match in PAGE_ASSET.finditer(text) for ref in match.groups() if ref]
        references += [ref for match in CSS_FETCH.finditer(text) for ref in match.groups() if ref]
        if base.endswith(".js"):  # a module's imports (the inbox's script is ES modules)
            references += [specifier for _, specifier in imports(text)]
        for reference in references:
            if ABSOLUTE.match(reference) and urlsplit(urljoin(base, reference)).netloc != urlsplit(inbox.url).netloc:
                found.append(reference)
            elif not ABSOLUTE.match(reference) and not reference.startswith(("data:", "#", "+")):
                asset = urljoin(base, reference)
                if asset not in seen and reference.endswith((".css", ".js")):
                    seen.add(asset)
                    answer = requests.get(asset, timeout=10)
                    assert answer.status_code == 200, f"{asset} is not served"
                    pending.append((asset, answer.text))
    return found


# -- framing and connections -----------------------------------------------------------------------


def test_no_site_may_frame_any_page_the_chat_page_included(inbox: Inbox) -> None:
    pages = every_page(inbox)

    assert {path: directives(page).get("frame-ancestors") for path, page in pages.items()} == {
        path: "'none'" for path in pages}
    assert {path: page.headers.get("X-Frame-Options") for path, page in pages.items()} == {path: "DENY" for path in pages}
    assert pages["/chat?as=jane"].status_code == pages["/"].status_code == 200


def test_the_inbox_page_opens_sockets_only_to_the_inbox_itself(inbox: Inbox) -> None:
    page = inbox.sign_in("ali").get("/")

    assert directives(page)["connect-src"] == f"'self' ws://{urlsplit(inbox.url).netloc}"


def test_the_chat_page_connects_only_to_rasa_the_widgets_one_server(inbox: Inbox) -> None:
    rasa = inbox.app[SETTINGS].public_rasa_url
    for path in ("/chat", "/chat?as=jane", "/chat?as=guest"):
        policy = directives(requests.get(f"{inbox.url}{path}", timeout=10))

        assert policy["connect-src"] == f"{rasa} ws://{urlsplit(rasa).netloc}"
        assert policy["script-src"] == "'self'"


# -- assets ----------------------------------------------------------------------------------------


def test_every_page_loads_every_asset_from_the_stack_itself(inbox: Inbox) -> None:
    pages = every_page(inbox)

    assert {path: outside_fetches(inbox, page) for path, page in pages.items()} == {path: [] for path in pages}


# -- behind a proxy --------------------------------------------------------------------------------


def test_a_forged_x_forwarded_proto_from_an_untrusted_peer_changes_nothing(inbox: Inbox) -> None:
    forged = {"X-Forwarded-Proto": "https"}
    form = requests.get(f"{inbox.url}/login", headers=forged, timeout=10)
    chat = requests.get(f"{inbox.url}/chat?as=jane", headers=forged, timeout=10)
    signed_in = inbox.submit_login("ali", PASSWORDS["ali"])  # (the form and the post, as over plain HTTP)
    page = requests.get(f"{inbox.url}/", cookies={"inbox_session": signed_in.cookies["inbox_session"]},
                        headers=forged, timeout=10)

    assert "secure" not in cookie_flags(form, "inbox_login_csrf")
    assert "secure" not in cookie_flags(chat, BROWSER_COOKIE)
    assert directives(page)["connect-src"] == f"'self' ws://{urlsplit(inbox.url).netloc}"


def test_behind_a_trusted_proxy_that_says_https_the_cookies_are_secure_and_the_socket_is_wss(tmp_path: Path) -> None:
    with running_inbox(tmp_path, INBOX_TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1") as inbox:
        over_tls = {"X-Forwarded-Proto": "https"}
        form = requests.get(f"{inbox.url}/login", headers=over_tls, timeout=10)
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf
        signed_in = requests.post(f"{inbox.url}/login", headers=over_tls, allow_redirects=False, timeout=10,
                                  data={"username": "ali", "password": PASSWORDS["ali"], "csrf": csrf.group(1)},
                                  cookies={"inbox_login_csrf": form.cookies["inbox_login_csrf"]})
        page = requests.get(f"{inbox.url}/", headers=over_tls, timeout=10,
                            cookies={"inbox_session": signed_in.cookies["inbox_session"]})
        over_plain_http = requests.get(f"{inbox.url}/login", headers={"X-Forwarded-Proto": "http"}, timeout=10)
        chat_over_tls = requests.get(f"{inbox.url}/chat?as=jane", headers=over_tls, timeout=10)
        csrf_of_page = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
        assert csrf_of_page

        async def live_updates() -> Any:
            async with aiohttp.ClientSession() as session:
                ws = await session.ws_connect(f"{inbox.url}/ws", headers={
                    **over_tls, "Cookie": f"inbox_session={signed_in.cookies['inbox_session']}"})
                await ws.send_json({"type": "hello", "csrf": csrf_of_page.group(1)})
                return await ws.receive_json(timeout=5)

        assert "secure" in cookie_flags(form, "inbox_login_csrf")
        assert signed_in.status_code == 302
        assert {"secure", "httponly", "samesite=strict"} <= cookie_flags(signed_in, "inbox_session")
        assert directives(page)["connect-src"] == f"'self' wss://{urlsplit(inbox.url).netloc}"
        assert "secure" not in cookie_flags(over_plain_http, "inbox_login_csrf")
        assert {"secure", "httponly", "samesite=strict"} <= cookie_flags(chat_over_tls, BROWSER_COOKIE)
        assert asyncio.run(live_updates()) == {"type": "ready"}


@pytest.mark.parametrize("proxies", ["10.0.0.300", "proxy.internal", "10.0.0.0/33"])
def test_a_trusted_proxy_that_is_not_an_address_stops_start_up_naming_it(tmp_path: Path, proxies: str) -> None:
    with pytest.raises(SettingsError, match=f"INBOX_TRUSTED_PROXIES: '{re.escape(proxies)}' is not an IP address"):
        Settings.from_env({"HITL_DATA_DIR": str(tmp_path), "INBOX_TRUSTED_PROXIES": f"10.0.0.5, {proxies}"})
