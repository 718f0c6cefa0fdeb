"""Netyard's desktop app (Qt). Talks to the engine through worker processes and plain data."""
