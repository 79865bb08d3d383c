"""The customers' web chat: the "Acme help" page and its chat, and the Rasa channel it talks to.

``add_webchat_routes(app, ...)`` mounts the page and the chat's static files on any aiohttp
application (the inbox service serves it in the demo). The chat in the browser speaks
socket.io to the Rasa server's web chat channel (``socket_channel.WebChatInput``), which
decides whose conversation it is from the page's signed token and the browser-session cookie
the page set, which the token is bound to.
"""

from channels.webchat.page import add_webchat_routes

__all__ = ["add_webchat_routes"]
