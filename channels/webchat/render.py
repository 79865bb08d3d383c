"""The HTML of the customer pages, as pure functions of their inputs (no web framework here).

Everything that comes from outside the template (names, customer keys, the widget's
settings and the customer's token) is escaped where it lands: ``html.escape`` for text and
attributes, ``script_json`` for the one data block the page script reads. The page carries
no inline JavaScript of its own, so a strict Content-Security-Policy can be added later.
"""

from __future__ import annotations

import html
import json
from typing import Any, Mapping, Optional, Tuple
from urllib.parse import quote

#: Where ``add_webchat_routes`` serves ``channels/webchat/static``.
STATIC_PREFIX = "/chat/static"
#: The vendored widget; its version (and our one change to it, see static/README.md) is in the
#: file name so browsers never run a stale copy.
WEBCHAT_VERSION = "1.0.1"
WEBCHAT_BUNDLE = f"rasa-webchat-{WEBCHAT_VERSION}-no-font-cdn.js"
#: The ``as`` value of the not-signed-in option on the sign-in page.
GUEST = "guest"

# "<", ">" and "&" written as JSON escapes cannot close the <script> element or open an
# HTML comment, and JSON.parse reads them back unchanged; U+2028/9 are escaped for old parsers.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(value: Any) -> str:
    """JSON that can sit inside a ``<script>`` element whatever strings ``value`` holds."""
    return json.dumps(value, ensure_ascii=False).translate(_SCRIPT_SAFE)


def chat_page(config: Mapping[str, Any], signed_in_name: Optional[str]) -> str:
    """The help page with the chat open in its side panel; ``config`` is what ``acme-chat.js`` reads."""
    if signed_in_name is None:
        account = 'Not signed in &middot; <a href="/chat">Sign in</a>'
    else:
        account = f'Signed in as <strong>{html.escape(signed_in_name)}</strong> &middot; <a href="/chat">Switch customer</a>'
    body = f"""
<main class="help">
  <section class="articles">
    <h1>Acme help</h1>
    <p class="lead">Questions about an order, a delivery, a refund or your subscription? Ask our assistant in the chat:
      it answers straight away, and someone from our customer care team steps in whenever your request needs a person.</p>
    <div class="cards">
      <article><h2>Track an order</h2><p>Give the assistant your order number, for example 1002, to see where it is
        and when it arrives.</p></article>
      <article><h2>Returns &amp; refunds</h2><p>Most items can be returned within 30 days of delivery. Larger refunds
        are checked by our team before they are paid.</p></article>
      <article><h2>Talk to a person</h2><p>Customer care: Monday to Friday 8am&ndash;8pm, Saturday 9am&ndash;5pm.
        Just ask the assistant for a person.</p></article>
    </div>
  </section>
  <aside class="chat-panel" aria-label="Chat with Acme"><div id="acme-chat"></div></aside>
</main>
<script type="application/json" id="acme-chat-config">{script_json(dict(config))}</script>
<script src="{STATIC_PREFIX}/{WEBCHAT_BUNDLE}"></script>
<script src="{STATIC_PREFIX}/acme-chat.js"></script>"""
    return _layout("Acme help", account, body)


def sign_in_page(customers: Mapping[str, Tuple[str, str]]) -> str:
    """The demo stand-in for the shop's sign-in: pick a demo customer, or chat as a guest."""
    items = "\n".join(
        f'      <li><a href="/chat?as={html.escape(quote(key, safe=""))}">{html.escape(name)}</a>'
        f' <span class="phone">{html.escape(phone)}</span></li>'
        for key, (name, phone) in customers.items()
    )
    body = f"""
<main class="narrow">
  <h1>Demo sign-in</h1>
  <p>This page stands in for the shop's real sign-in. Choose who you are; the chat then knows which account
    you are asking about.</p>
  <ul class="customers">
{items}
  </ul>
  <p><a href="/chat?as={GUEST}">Continue as a guest</a> (not signed in: the assistant can answer general questions
    but not look at an account).</p>
</main>"""
    return _layout("Sign in - Acme help", "Not signed in", body)


def error_page(message: str) -> str:
    """A page explaining what was wrong with the request, with the way back to the sign-in page."""
    body = f"""
<main class="narrow">
  <h1>Sorry, we can't open the chat</h1>
  <p class="error">{html.escape(message)}</p>
  <p><a href="/chat">Back to the sign-in page</a></p>
</main>"""
    return _layout("Acme help", "Not signed in", body)


def _layout(title: str, account_html: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{STATIC_PREFIX}/acme-help.css">
</head>
<body>
<header class="topbar">
  <a class="brand" href="/chat">ACME</a>
  <nav><span>Shop</span><span>Orders</span><span class="current">Help</span></nav>
  <div class="account">{account_html}</div>
</header>{body}
</body>
</html>
"""
