"""The shared inbox service where people pick up handed-off conversations and approve requests.

The assistant already records handoff and approval requests (``actions/store``); the
inbox that serves them to agents and managers lives here.
"""
