"""LLM backends behind one protocol: ``offline`` (default, deterministic), ``scripted`` (tests), ``bedrock``."""
