"""What the chat page and the web chat channel agree on, apart from the socket's events."""

#: Sent by the page when a conversation has no history yet, so the assistant greets first: the one
#: message starting with "/" a page may send (Rasa reads "/<intent>" as that intent).
INIT_PAYLOAD = "/greet"
