"""The web chat's rooms shared by several chat servers through Redis, local pages first.

A customer's page holds its socket on one Rasa server (nginx keeps it there), but a reply may be
sent by any of them: the inbox's delivery worker reaches Rasa through nginx. python-socketio's
Redis manager passes every emit through Redis, even to a page on the sending server, so a page
could get the acknowledgement of its message before the bot's answer to it. Here an emit reaches
this server's pages at once, in order, and goes through Redis only to the other servers.
"""

from __future__ import annotations

from typing import Any, Dict

from socketio import AsyncRedisManager


class LocalFirstRedisManager(AsyncRedisManager):  # type: ignore[misc]
    async def emit(self, event: str, data: Any, namespace: Any = None, room: Any = None, skip_sid: Any = None,
                   callback: Any = None, **kwargs: Any) -> None:
        if kwargs.get("ignore_queue") or callback is not None:  # as the Redis manager does
            await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)
            return
        await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid, ignore_queue=True)
        await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid)

    async def _handle_emit(self, message: Dict[str, Any]) -> None:
        if message.get("host_id") == self.host_id and message.get("callback") is None:
            return  # sent from here: this server's pages have it already
        await super()._handle_emit(message)
