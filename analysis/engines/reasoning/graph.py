"""Service graph inferred from the evidence: who calls whom.

Edges come from (a) access-log upstreams (the proxy or gateway that wrote the log calls the
upstream), (b) error texts that name a target (``connection to X refused``, URLs, hosts, DNS
lookups, pool errors towards a database), and (c) metric labels that name a peer (``cluster=``,
``upstream=``), and (d) the services seen in the same trace in logs that carry trace ids
(:mod:`.tracecalls`). Names are canonicalised and mapped onto the analyst's service list.
"""

from __future__ import annotations

from analysis.models import ServiceEdge

from .entities import kind_of, resolve
from .models import Observation


def build_graph(obs: list[Observation], services: list[str], implied: dict[str, str] | None = None,
                extra: list[ServiceEdge] | None = None) -> list[ServiceEdge]:
    """Deduplicated caller -> callee edges, each with the strongest piece of evidence.

    ``implied`` maps a category to the entity its hypothesis blames (e.g. ``database_overload`` ->
    ``orders-db``): a pool-exhausted error that names no host still points at that database.
    ``extra``: edges known from elsewhere (the logs' trace ids), added where the evidence has none.
    """
    implied = implied or {}
    best: dict[tuple[str, str], tuple[float, str]] = {}
    for o in obs:
        caller = resolve(o.service, services) if o.service else ""
        callees: list[str] = []
        if o.attributes.get("access") and o.attributes.get("artifact"):
            # the proxy that wrote the access log calls the upstream named in it
            from .entities import canonical

            proxy = resolve(canonical(str(o.attributes["artifact"])), services)
            if proxy and caller and proxy != caller:
                key = (proxy, caller)
                if key not in best or o.strength > best[key][0]:
                    best[key] = (o.strength, f"access log upstream ({o.attributes['artifact']})")
            continue
        if o.role == "change":
            continue
        if o.culprit_rule == "target" or o.family in ("dependency_timeout", "dependency_refused", "dns_failure", "network_error"):
            callees = [t for t in o.targets if kind_of(t) != "node"]
            if not callees and o.weights and o.modality == "log":
                cat = max(o.weights.items(), key=lambda kv: (kv[1], kv[0]))[0]
                if implied.get(cat):
                    callees = [implied[cat]]
        for t in callees:
            callee = resolve(t, services)
            if not caller or not callee or callee == caller:
                continue
            key = (caller, callee)
            if key not in best or o.strength > best[key][0]:
                best[key] = (o.strength, f"{o.family}: {o.title[:100]}")
    for e in extra or []:
        key = (resolve(e.caller, services), resolve(e.callee, services))
        if key[0] and key[1] and key[0] != key[1] and key not in best:
            best[key] = (0.0, e.evidence)
    return [ServiceEdge(caller=a, callee=b, evidence=ev) for (a, b), (_s, ev) in sorted(best.items())]
