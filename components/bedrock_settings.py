"""The Bedrock settings page body: backend switch, region, profile, models per agent, test connection, cost ledger.

``render_bedrock_settings(settings, store)`` draws the form and returns the (possibly edited)
``Settings`` copy; the edit is also kept in ``st.session_state["settings.bedrock"]`` so the page or
``components.resources`` can build the backend from it. Nothing here calls AWS except the
"Test connection" button (one 1-token Converse call per distinct model).
``render_payload_preview(previews)`` shows what each agent would send (already redacted);
``payload_previews(store, incident_id, settings, knowledge)`` computes it once per incident content and
settings (``st.cache_data``), so reruns of the report page with the preview open do not re-run the engines.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from analysis.llm.cost import price_for, price_table, summarize
from analysis.settings import Settings

AGENTS = ("log", "metrics", "vision", "supervisor")
STATE_KEY = "settings.bedrock"


def _profiles() -> list[str]:
    try:
        import boto3

        return sorted(boto3.Session().available_profiles)
    except Exception:
        return []


def _form(settings: Settings) -> Settings:
    backend = st.radio("Backend", ["offline", "bedrock"], index=1 if settings.backend == "bedrock" else 0,
                       horizontal=True, key="settings.backend",
                       help="offline: deterministic engines only. bedrock: the engines run first, then each agent "
                            "asks its model; any failure falls back to the offline result.")
    c1, c2 = st.columns(2)
    region = c1.text_input("Region", value=settings.bedrock_region, key="settings.region")
    profiles = _profiles()
    options = ["(default credential chain)", *profiles]
    current = settings.bedrock_profile if settings.bedrock_profile in profiles else options[0]
    profile = c2.selectbox("AWS profile", options, index=options.index(current), key="settings.profile")
    st.caption("Models per agent (model ids or cross-region inference-profile ids)")
    models = {}
    cols = st.columns(2)
    for i, agent in enumerate(AGENTS):
        models[agent] = cols[i % 2].text_input(agent, value=getattr(settings, f"bedrock_model_{agent}"),
                                               key=f"settings.model.{agent}")
    with st.expander("Limits and endpoint"):
        c1, c2, c3 = st.columns(3)
        steps = c1.number_input("Supervisor max tool steps", 1, 20, int(settings.bedrock_max_steps), key="settings.steps")
        budget = c2.number_input("Budget per incident (USD)", 0.0, 100.0, float(settings.bedrock_budget_usd), 0.5,
                                 key="settings.budget")
        timeout = c3.number_input("Timeout per call (s)", 5.0, 600.0, float(settings.bedrock_timeout_s), 5.0,
                                  key="settings.timeout")
        endpoint = st.text_input("Endpoint URL override (SREWB_BEDROCK_ENDPOINT_URL)",
                                 value=settings.bedrock_endpoint_url or "", key="settings.endpoint")
    return settings.model_copy(update={
        "backend": backend, "bedrock_region": region.strip(),
        "bedrock_profile": None if profile == options[0] else profile,
        "bedrock_max_steps": int(steps), "bedrock_budget_usd": float(budget), "bedrock_timeout_s": float(timeout),
        "bedrock_endpoint_url": endpoint.strip() or None,
        **{f"bedrock_model_{a}": m.strip() for a, m in models.items()}})


def _test_connection(settings: Settings) -> None:
    if st.button("Test connection", key="settings.test", icon=":material/network_check:"):
        from analysis.llm.factory import test_connection

        with st.spinner("Calling each model once (1 token)..."):
            checks = test_connection(settings)
        for check in checks:
            line = f"**{', '.join(check.agents)}** — {check.message}"
            (st.success if check.ok else st.error)(line)


def _titles(store: Any) -> dict[str, str]:
    try:
        return {i.id: i.title for i in store.list_incidents()}
    except Exception:  # the ledger still shows ids
        return {}


def _ledger(settings: Settings, store: Any) -> None:
    st.subheader("Cost ledger")
    try:
        rows = store.list_llm_calls()
    except Exception as exc:  # a busy store must not break the settings page
        st.warning(f"The ledger cannot be read right now ({type(exc).__name__}).")
        return
    if not rows:
        st.info("No Bedrock calls recorded yet.")
        return
    groups = pd.DataFrame(summarize(rows))
    incidents = sorted(groups["incident_id"].unique())
    c1, c2, c3 = st.columns(3)
    c1.metric("Calls", int(groups["calls"].sum()))
    c2.metric("Cache hits", int(groups["cache_hits"].sum()))
    c3.metric("Spent (USD)", f"{groups['cost_usd'].sum():.4f}")
    chosen = st.selectbox("Incident", ["(all)", *incidents], key="settings.ledger.incident")
    view = groups if chosen == "(all)" else groups[groups["incident_id"] == chosen]
    per_incident = view.groupby("incident_id", as_index=False)[["calls", "cache_hits", "errors", "tokens_in",
                                                                "tokens_out", "cost_usd"]].sum()
    per_incident["budget_left_usd"] = (settings.bedrock_budget_usd - per_incident["cost_usd"]).round(4)
    titles = _titles(store)
    per_incident.insert(1, "title", [titles.get(i, "") for i in per_incident["incident_id"]])
    st.caption("Per incident")
    st.dataframe(per_incident, hide_index=True, key="settings.ledger.incidents")
    st.caption("Per incident and agent")
    st.dataframe(view, hide_index=True, key="settings.ledger.agents")
    prices = price_table(settings)
    st.caption("Prices used (USD per million tokens in / out): " + "; ".join(
        f"{a}: {price_for(getattr(settings, f'bedrock_model_{a}'), prices)[0]:g} / "
        f"{price_for(getattr(settings, f'bedrock_model_{a}'), prices)[1]:g}" for a in AGENTS))


def render_bedrock_settings(settings: Settings, store: Any) -> Settings:
    """Draw the Bedrock settings body; returns the edited Settings (also kept in session state)."""
    base = st.session_state.get(STATE_KEY, settings)
    edited = _form(base)
    st.session_state[STATE_KEY] = edited
    if edited.backend == "bedrock":
        st.caption("Screenshots, log lines and metric names are redacted (secrets, e-mails, IPs, hostnames, user "
                   "ids) before they are sent; answers are shown with the original values.")
    _test_connection(edited)
    _ledger(edited, store)
    return edited


@st.cache_data(show_spinner=False, max_entries=8)
def _previews(incident_id: str, content_key: tuple[Any, ...], settings_json: str, _store: Any,
              _knowledge: Any) -> list[Any]:
    from analysis.llm.bedrock_backend import preview_analysis
    from analysis.workflow import load_artifacts

    settings = Settings.model_validate_json(settings_json)
    return preview_analysis(_store.get_incident(incident_id), load_artifacts(_store, incident_id, settings), settings,
                            knowledge=_knowledge, incident_id=incident_id)


def payload_previews(store: Any, incident_id: str, settings: Settings, knowledge: Any = None) -> list[Any]:
    """Each agent's redacted payload for the incident as it is now (cached by incident, artifacts and settings)."""
    inc = store.get_incident(incident_id)
    content_key = (str(inc.updated_at), tuple((a.sha256, a.name) for a in store.list_artifacts(incident_id)),
                   knowledge is not None)
    return _previews(incident_id, content_key, settings.model_dump_json(), store, knowledge)


def render_payload_preview(previews: list[Any]) -> None:
    """"What will be sent": the redacted payload per agent (``analysis.llm.bedrock_backend.preview_analysis``)."""
    if not previews:
        st.info("Nothing would be sent: no agent has findings to refine.")
        return
    tabs = st.tabs([p.agent for p in previews])
    for tab, pv in zip(tabs, previews):
        with tab:
            counts = ", ".join(f"{n} {k.lower()}" for k, n in pv.redactions.items()) or "nothing"
            size = f"{len(pv.text):,} characters of JSON" + (" (first 20,000 shown)" if len(pv.text) > 20_000 else "")
            st.caption(f"{pv.model} · prompt {pv.prompt_version} · {size} · redacted so far: {counts}")
            if pv.images:
                st.caption("Screenshots attached (sensitive text blacked out before sending): " + ", ".join(pv.images))
            st.code(pv.text[:20_000], language="json", wrap_lines=True, height=520)
