"""The four agents (log, metrics, vision, supervisor) behind one :class:`~analysis.agents.base.Agent` interface.

Each agent runs its deterministic engine first; an :class:`~analysis.llm.backend.LLMBackend` may
then refine the agent's report (offline: unchanged). Every agent returns an ``AgentReport``.
"""
