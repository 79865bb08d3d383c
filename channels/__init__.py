"""Rasa input/output channels for the customer's own channels (SMS, WhatsApp, voice, web chat).

The core assistant talks over Rasa's stock REST channel (``bot/credentials.yml``).
"""
