"""The customer web chat: an "Acme help" page with the rasa-webchat widget, talking to Rasa's socketio channel.

``add_webchat_routes(app, ...)`` mounts the page and the vendored widget on any aiohttp
application, so whichever service serves customers' pages (today a test server, later the
inbox service) mounts it with one call. Nothing here imports Rasa: the widget speaks to
Rasa directly over socket.io from the browser.
"""

from channels.webchat.page import add_webchat_routes

__all__ = ["add_webchat_routes"]
