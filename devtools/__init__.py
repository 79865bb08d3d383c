"""Tools for development and the demo: never imported by the running stack outside demo mode."""
