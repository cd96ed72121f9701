"""Deterministic analysis engines: logs, metrics, screenshots, timeline, confidence."""
