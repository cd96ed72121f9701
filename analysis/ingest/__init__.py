"""Bytes -> validated artifacts: type sniffing, decoding, safe archive expansion, image checks.

Entry point: :func:`analysis.ingest.prepare.prepare_files` turns uploaded ``(name, bytes)`` pairs
into :class:`~analysis.ingest.prepare.PreparedFile` objects (or one-sentence rejections) before
anything is stored.
"""
