"""Where a message to the customer stands, the same words for every channel.

- ``pending``: queued, not yet taken by the channel (or waiting to be tried again);
- ``sent``: the channel took it, but the customer's screen has not confirmed it yet (a web
  chat page that is closed gets it when it comes back);
- ``delivered``: the customer's screen (or the provider's delivery report) confirmed it;
- ``read``: the channel reports the customer saw it (the web chat: the page was in view when it
  showed it, or came into view later);
- ``recorded``: the channel cannot push (REST): the words are only in the conversation record;
- ``failed``: it could not be sent; an agent sees why on their reply and can try again (a
  one-time code that could not be sent is reported to the customer instead);
- ``cancelled``: not sent because nobody needs it any more (a code a newer one replaced).
"""

PENDING, SENT, DELIVERED, READ, RECORDED, FAILED = "pending", "sent", "delivered", "read", "recorded", "failed"
CANCELLED = "cancelled"
#: A state a later acknowledgement may move on from, never back to.
SEEN = {DELIVERED: (PENDING, SENT), READ: (PENDING, SENT, DELIVERED)}
