"""The signals catalogue: evidence families the supervisor reasons over, and how to recognise them.

A *family* is a kind of observation that SREs use to tell root causes apart (an OOM kill, a
version change, connection-pool exhaustion, NXDOMAIN, a filling disk ...). Each family says

- which taxonomy categories it supports and how strongly (``weights``),
- its ``role``: ``cause`` (the failure itself), ``precursor`` (a warning that precedes it),
  ``change`` (an operator/system change event) or ``symptom`` (what users feel; it never names a
  root cause by itself),
- whether the culprit is the *target* named in the text (a database, a dependency host, a node)
  rather than the service that wrote the line (``culprit="target"``).

Text families are recognised by regular expressions over a log template plus one sample line
(generic wording: the patterns name mechanisms, never the services of a particular incident).
Metric families are recognised from series names, labels and screenshot panel titles, together
with the direction in which the series moved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Role = Literal["cause", "precursor", "change", "symptom"]
CulpritRule = Literal["emitter", "target"]


@dataclass(frozen=True)
class TextFamily:
    """A log-text evidence family."""

    name: str
    pattern: re.Pattern[str]
    weights: dict[str, float]
    role: Role = "cause"
    culprit: CulpritRule = "emitter"
    exclude: re.Pattern[str] | None = None


@dataclass(frozen=True)
class MetricFamily:
    """A metric evidence family: a name pattern plus the direction that signals trouble."""

    name: str
    pattern: re.Pattern[str]
    direction: Literal["up", "down", "any"]
    weights: dict[str, float]
    role: Role = "cause"
    culprit: CulpritRule = "emitter"
    exclude: re.Pattern[str] | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)


def _rx(p: str) -> re.Pattern[str]:
    """Patterns are matched against lower-cased text (4x faster than ``re.IGNORECASE``)."""
    return re.compile(p)


# --------------------------------------------------------------------------------------------
# Text families. Order matters only for readability; every matching family is reported.
# --------------------------------------------------------------------------------------------
TEXT_FAMILIES: tuple[TextFamily, ...] = (
    # ---- change events -------------------------------------------------------------------
    TextFamily(
        "version_change",
        _rx(r"(\bstarting\b.*\bv\d+\.\d+|\bversion[=: ]+v?\d+\.\d+|\bdeploy(ed|ing|ment)?\b.*\bv?\d+\.\d+\.\d+"
            r"|pull(ing|ed)? image|successfully pulled image|image[=: ]+\S+:\S*\d|\brelease[d]? v?\d+\.\d+"
            r"|\brolling (out|update)\b|\bupgrad(e|ed|ing) (to|from)\b|\bnew revision\b|\brollout\b|\bcanary\b|helm (upgrade|install)"
            r"|argo\w* .{0,20}sync|deployed (version|build|commit|release)|git[_ -]?(sha|commit)[=: ]+[0-9a-f]{7}|\bbuild[=: #]+\d+)"),
        {"deployment_regression": 0.6},
        role="change",
        exclude=_rx(r"spring boot ::|servlet engine|tomcat/\S+\]$|already present on machine|linux version|kernel"),
    ),
    TextFamily(
        "replica_scaling",
        _rx(r"(scaled (up|down) replica ?set|successfulrescale|new size: \d+|scaling ?replica ?set"
            r"|horizontalpodautoscaler|\bhpa\b.*(scal|replica)|desired replicas|scale[ds]? (up|out|down) to \d+)"),
        {"deployment_regression": 0.15, "traffic_surge": 0.25},
        role="change",
    ),
    TextFamily(
        "config_reload",
        _rx(r"((config\w*|settings?|properties|parameters?)\b.{0,60}\b(reload|refresh|updat|chang|appl|overrid|modif)\w*"
            r"|(reload|refresh|appl)\w*\b.{0,20}\b(config|settings?)"
            r"|applied setting|setting changed|feature[ -]?flag\b.{0,40}\b(flip|chang|toggl|enabl|disabl|updat|set)\w*"
            r"|\bflag\b.{0,30}\b(flipped|toggled|changed)|configmap\b.{0,40}\b(updat|chang|modif)\w*"
            r"|\brevision[= ]\d+|hot[- ]reload|\bsighup\b|dynamic config|parameter group|alter system|\bsysctl\b|feature toggle"
            r"|toggle[ds]? .{0,30}(on|off|enabled|disabled))"),
        {"config_change": 1.0},
        role="change",
        exclude=_rx(r"feature flags refreshed|\bdeprecated\b"),
    ),
    TextFamily(
        "restart",
        _rx(r"(back-?off restarting|crashloopbackoff|\brestart(ed|ing)\b(?! (the )?transaction)|container .* (died|exited)|exit(ed)? (with )?code [1-9]"
            r"|liveness probe failed|killing container|\bsigkill\b|\bsigterm\b|process exited|terminated with)"),
        {"memory_exhaustion": 0.2, "node_failure": 0.1, "cpu_saturation": 0.1},
        role="symptom",
    ),
    TextFamily(
        "failover",
        _rx(r"(fail-?over|promot(ed|ing) (to )?(primary|master|leader)|switchover|new (primary|master|leader)"
            r"|became (the )?(leader|primary|master)|leader election|lost leadership)"),
        {"database_overload": 0.3, "node_failure": 0.4},
        role="change",
    ),
    # ---- memory ---------------------------------------------------------------------------
    TextFamily(
        "oom_kill",
        _rx(r"(outofmemoryerror|out of memory|oom[-_ ]?kill|oomkilled|\boom\b.*\bkill|memory cgroup out of memory"
            r"|java heap space|cannot allocate memory|memoryerror|gc overhead limit exceeded|heap out of memory"
            r"|allocation failed - javascript heap|fatal error: runtime: out of memory|exit code 137|invoked oom-killer|bad_alloc"
            r"|memory limit (exceeded|reached)|low on resource: memory|killed process \d+)"),
        {"memory_exhaustion": 1.0},
        exclude=_rx(r"(maxmemory|oom command not allowed|used memory >)"),
    ),
    TextFamily(
        "gc_pressure",
        _rx(r"(full gc|gc pause|pause young|allocation failure|gc overhead|heap usage (above|at|over)|memory usage (above|high|at)"
            r"|memory pressure|approaching (heap|memory) limit|heap.{0,20}\d+ ?% )"),
        {"memory_exhaustion": 0.5},
        role="precursor",
        exclude=_rx(r"maxmemory|redis"),
    ),
    # ---- cpu ------------------------------------------------------------------------------
    TextFamily(
        "cpu_throttling",
        _rx(r"(cpu throttl|cfs_throttl|throttled (cpu|period)|cpu (usage|utili[sz]ation|load)\b.{0,30}(high|above|exceed|\d\d ?%)"
            r"|load average|event loop (blocked|lag|delay)|thread starvation|soft lockup|runnable threads|cpu saturat)"),
        {"cpu_saturation": 0.8},
    ),
    # ---- disk -----------------------------------------------------------------------------
    TextFamily(
        "disk_full",
        _rx(r"(no space left on device|enospc|errno 28|disk (is )?full|database or disk is full|disk quota exceeded"
            r"|filesystem .{0,30}full|out of disk|not enough space|insufficient (disk|storage)|write failed.{0,40}space"
            r"|could not extend file|diskpressure|evicted.{0,40}ephemeral-storage)"),
        {"disk_full": 1.0},
    ),
    TextFamily(
        "disk_warning",
        _rx(r"((disk|filesystem|volume|partition|mount)\b.{0,40}(usage|used|utili[sz]ation|free)\b.{0,20}(\d\d ?%|high|low|warn)"
            r"|low disk|disk-?check|freediskspace|nodehasdiskpressure|inodes?\b.{0,20}(exhaust|\d\d ?%))"),
        {"disk_full": 0.5},
        role="precursor",
    ),
    # ---- database -------------------------------------------------------------------------
    TextFamily(
        "db_pool_exhausted",
        _rx(r"(queuepool limit|pool (is )?exhausted|connection pool\b.{0,40}(timeout|exhaust|full)|timeout waiting for (idle )?(object|connection)"
            r"|connection is not available, request timed out|unable to acquire (jdbc )?connection|cannot get a connection"
            r"|too many connections|remaining connection slots|max_connections|sorry, too many clients|pool timed out"
            r"|could not obtain connection|hikaripool.{0,40}(timeout|not available))"),
        {"database_overload": 0.9},
        culprit="target",
    ),
    TextFamily(
        "db_lock_wait",
        _rx(r"(lock wait timeout|deadlock|could not obtain lock|lock timeout|waiting for (a |table )?lock|canceling statement due to"
            r"|statement timeout|query timeout|querytimeout|slow query|long[- ]running (query|transaction)|still waiting for \w*lock"
            r"|replica(tion)? lag|seconds_behind_master|too many clients already)"),
        {"database_overload": 0.8},
        culprit="target",
    ),
    TextFamily(
        "db_slow_statement",
        _rx(r"(\bduration: [\d<*>.]+ ?ms\b.{0,30}(statement|execute|plan|select|update|insert)|\bseq scan\b|index scan backward"
            r"|rows removed by filter|query took [\d<*>.]+ ?(ms|s)\b|slow (sql|statement|log)|# query_time)"),
        {"database_overload": 0.6},
        culprit="target",
    ),
    # ---- network / dns --------------------------------------------------------------------
    TextFamily(
        "dns_failure",
        _rx(r"(nxdomain|servfail|no such host|name or service not known|temporary failure in name resolution"
            r"|could not resolve|unknownhostexception|getaddrinfo|name resolution|dns (lookup|resolution|query)\b.{0,30}(fail|timeout|error)"
            r"|lookup \S+ on \S+|failed to resolve|unable to resolve|eai_again|host not found)"),
        {"network_dns": 1.0},
        culprit="target",
    ),
    TextFamily(
        "network_error",
        _rx(r"(no route to host|network (is )?unreachable|connection reset by peer|packet loss|broken pipe|econnreset"
            r"|ehostunreach|tcp retransmi|link (is )?down|mtu|network partition|i/o timeout)"),
        {"network_dns": 0.5, "dependency_failure": 0.3, "node_failure": 0.15},
        culprit="target",
    ),
    # ---- dependency -----------------------------------------------------------------------
    TextFamily(
        "dependency_timeout",
        _rx(r"(read timed out|connect(ion)? timed out|timed out (after|waiting|while)|upstream timed out|gateway time-?out|\b504\b"
            r"|deadline ?exceeded|context deadline exceeded|request timeout|sockettimeout|timeoutexception|timed out\b"
            r"|timeouterror|readtimeout|connecttimeout)"),
        {"dependency_failure": 0.7, "network_dns": 0.15, "config_change": 0.1},
        culprit="target",
        role="cause",
    ),
    TextFamily(
        "dependency_refused",
        _rx(r"(connection refused|econnrefused|connect(ion)? (to|failed).{0,60}(refused|failed)|upstream connect error"
            r"|no healthy upstream|service unavailable|\b503\b|bad gateway|\b502\b|circuit ?breaker.{0,60}(open|half)"
            r"|upstream prematurely closed|upstream sent no valid|connection closed by upstream|eof from upstream"
            r"|connectexception|connectionrefusederror|connecterror|noroutetohostexception"
            r"|circuit (is )?open|failed to connect|unable to connect|could not connect|connection (closed|aborted) by)"),
        {"dependency_failure": 0.7, "node_failure": 0.1},
        culprit="target",
    ),
    # ---- certificates / auth --------------------------------------------------------------
    TextFamily(
        "cert_invalid",
        _rx(r"(certificate[_ ](has )?expired|certificate_expired|cert(ificate)? (is )?(not yet valid|expired|invalid)"
            r"|x509:|sslhandshakeexception|pkix path|certificate verify failed|certificate_verify_failed"
            r"|ssl certificate problem|tls handshake (error|fail).{0,60}(cert|expired|unknown ca)|bad certificate|unknown ca)"),
        {"certificate_expiry": 1.0},
    ),
    TextFamily(
        "cert_warning",
        _rx(r"(cert(ificate)?\b.{0,60}\bexpir(es|ing|y)\b|notafter|valid until|days? (until|before) expir|keystore.{0,40}expir"
            r"|renew(al)? (failed|error)|acme.{0,30}(fail|error))"),
        {"certificate_expiry": 0.6},
        role="precursor",
    ),
    TextFamily(
        "auth_failure",
        _rx(r"(\b401\b|\b403\b|unauthori[sz]ed|forbidden|invalid (credentials|token|api[ _-]?key|client|password|grant|signature)"
            r"|authentication (failed|failure|error)|password authentication failed|access denied|permission denied"
            r"|token (has )?expired|expiredtoken|invalid_grant|invalid_client|accessdenied|invalidclienttokenid|signaturedoesnotmatch"
            r"|credentials? (expired|rejected|invalid|revoked)|secret (rotated|expired)|login failed|not authorized|bad credentials)"),
        {"auth_credentials": 0.9},
        exclude=_rx(r"certificate"),
    ),
    # ---- traffic --------------------------------------------------------------------------
    TextFamily(
        "rate_limited",
        _rx(r"(limiting requests|limit_req|limiting connections|\b429\b|too many requests|rate[- ]?limit(ed|ing|er)?\b"
            r"|throttl(ed|ing) (request|client)|request quota|quota exceeded|backpressure|load shed|shedding load)"),
        {"traffic_surge": 0.8},
    ),
    TextFamily(
        "capacity_exhausted",
        _rx(r"(worker_connections are not enough|accept queue|listen queue|too many open files|max(imum)? (clients|workers|threads) reached"
            r"|thread pool (exhausted|full)|rejectedexecution|server (too )?busy|all workers busy|request queue full)"),
        {"traffic_surge": 0.4, "cpu_saturation": 0.2, "queue_backlog": 0.2},
    ),
    # ---- cache ----------------------------------------------------------------------------
    TextFamily(
        "cache_oom",
        _rx(r"(oom command not allowed|used memory > 'maxmemory'|maxmemory|evicted keys|evictions? (spik|rate|high)"
            r"|cache (is )?full|memcached.{0,40}(out of memory|full)|slab.{0,20}full)"),
        {"cache_failure": 1.0, "memory_exhaustion": 0.2},
        culprit="target",
    ),
    TextFamily(
        "cache_error",
        _rx(r"(cache (write|read|set|get)? ?(failed|error|unavailable|timeout)|redis.{0,40}(error|timeout|refused|unavailable|loading)"
            r"|memcache.{0,40}(error|timeout|refused)|cache miss storm|cache stampede|thundering herd|hit (ratio|rate).{0,30}(drop|low|fell))"),
        {"cache_failure": 0.7},
        culprit="target",
    ),
    TextFamily(
        "cache_miss",
        _rx(r"(cache miss|miss(ed)?,? (loaded|load|fetch)|fallback to (db|database|origin))"),
        {"cache_failure": 0.3},
        role="symptom",
        culprit="target",
    ),
    # ---- queue ----------------------------------------------------------------------------
    TextFamily(
        "queue_backlog",
        _rx(r"(consumer lag|\blag\b.{0,30}\d|backlog|queue (depth|size|length|full|is full|overflow)|messages? (pile|piling|waiting)"
            r"|unacked|dead[- ]letter|\bdlq\b|rebalanc|max\.poll\.interval|consumer (group )?(stuck|slow|behind)|offset (lag|behind)"
            r"|falling behind|partition.{0,30}(lag|behind)|prefetch|visibility timeout|queue.{0,20}(grow|increas)|messages in queue)"),
        {"queue_backlog": 0.9},
        exclude=_rx(r"replica(tion)? lag|seconds_behind_master|wal|standby"),
    ),
    # ---- node -----------------------------------------------------------------------------
    TextFamily(
        "node_notready",
        _rx(r"(nodenotready|node.{0,60}not ?ready|kubelet stopped posting|node.{0,40}(unreachable|lost|down|failed)"
            r"|taintmanagereviction|node\.kubernetes\.io/(unreachable|not-ready)|instance.{0,30}(terminat|stopp|retir|unhealthy)"
            r"|spot (instance )?interruption|host (is )?down|hypervisor|system reboot|kernel panic|nodecontroller|status check failed"
            r"|hardware (error|failure)|instance (retirement|stopped))"),
        {"node_failure": 1.0},
        culprit="target",
    ),
    TextFamily(
        "kernel_io_error",
        _rx(r"(i/o error,? dev|i/o error.{0,20}sector|blk_update_request|nvme\S*:? .{0,40}(timeout|abort|reset)|buffer i/o error|ext4-fs error|xfs.{0,20}error"
            r"|hung_task|task \S+ blocked for more than|medium error|scsi.{0,30}error|read-only file ?system|remount.{0,20}read-only"
            r"|ata\d.{0,30}(error|failed)|machine check|mce:|edac)"),
        {"node_failure": 0.9, "disk_full": 0.1, "data_corruption": 0.1},
    ),
    TextFamily(
        "backend_down",
        _rx(r"(server \S+ is down|backend \S+ has no server available|health ?check.{0,40}(fail|down|unhealthy)|marked (as )?(down|unhealthy)"
            r"|endpoint.{0,30}(removed|unhealthy|not ready)|readiness probe failed|is down, reason|layer[47] timeout)"),
        {"node_failure": 0.3, "dependency_failure": 0.3},
        role="symptom",
        culprit="target",
    ),
    # ---- corruption -----------------------------------------------------------------------
    TextFamily(
        "data_corruption",
        _rx(r"(checksum (mismatch|error|failed|verification)|crc (mismatch|error)|corrupt(ed|ion)?\b|invalid page|bad magic"
            r"|malformed (record|row|data|message|page|block)|integrity (check|error|violation)|torn page|data loss|inconsisten(t|cy) (data|state|row)"
            r"|invalid (utf|encoding|byte sequence)|deserializ\w* (fail|error)|unexpected end of (file|stream)|truncated (record|file|block)"
            r"|hash mismatch|digest mismatch|parity error|failed to decode)"),
        {"data_corruption": 1.0},
    ),
    # ---- generic symptoms -----------------------------------------------------------------
    TextFamily(
        "server_error",
        _rx(r"(\b50[0-4]\b|internal server error|unhandled exception|uncaught exception|servlet\.service\(\).{0,40}exception"
            r"|traceback \(most recent call last\)|panic:|nullpointerexception|typeerror|attributeerror|keyerror|indexerror"
            r"|cannot read propert|undefined is not|segmentation fault|stack ?trace)"),
        {"deployment_regression": 0.25},
        role="symptom",
    ),
    TextFamily(
        "latency",
        _rx(r"(slow (request|response)|took [\d<*>.]+ ?(ms|s)\b|latency (high|above|exceed)|p9\d.{0,20}(ms|high|exceed)|response time)"),
        {},
        role="symptom",
    ),
)

TEXT_BY_NAME: dict[str, TextFamily] = {f.name: f for f in TEXT_FAMILIES}


# --------------------------------------------------------------------------------------------
# Metric families (series names, labels, panel titles). ``direction`` is the bad direction.
# --------------------------------------------------------------------------------------------
_CACHE = r"(redis|memcache|cache|keyspace|valkey|elasticache)"
_DB = r"(db|database|postgres|pg_|mysql|rds|sql|mongo|aurora|dynamo|cassandra)"

METRIC_FAMILIES: tuple[MetricFamily, ...] = (
    MetricFamily("cache_hit_drop", _rx(r"(hit[_ ]?(ratio|rate)|hits?_pct|cache.*hit)"), "down", {"cache_failure": 1.0}),
    MetricFamily("cache_evictions", _rx(r"(evict|rejected_(writes|commands)|oom_rejected|errorstat_oom|" + _CACHE + r".*oom)"), "up",
                 {"cache_failure": 0.8}),
    MetricFamily("cache_memory_full", _rx(_CACHE + r".*(mem|used_bytes|bytes)|(mem|memory).*" + _CACHE), "any",
                 {"cache_failure": 0.6, "memory_exhaustion": 0.15}),
    MetricFamily("db_connections", _rx(r"(connections|pg_stat_activity|threads_connected|active_conn|pool_(active|pending|wait)|numbackends"
                                       r"|databaseconnections|conn_(wait|pending)|pool.*(wait|pending|timeout))"), "up",
                 {"database_overload": 0.8}, exclude=_rx(_CACHE + r"|nginx|envoy|haproxy|http|tcp_|established")),
    MetricFamily("db_load", _rx(r"(" + _DB + r".*(cpu|load|latency|duration|time|iops|queue|lock|slow|deadlock|query|queries|read|write))"
                                r"|((cpu|query|queries|lock|slow).*" + _DB + r")|locks?_wait|lock_waits|slow_quer|query_duration|deadlocks"
                                r"|replica_?lag|replication_?lag|seconds_behind"), "up",
                 {"database_overload": 0.9}, exclude=_rx(_CACHE + r"|disk|filesystem|free")),
    MetricFamily("memory_growth", _rx(r"(mem|heap|rss|working_set|resident|old_gen|tenured|jvm_memory|gc_(time|pause|seconds))"), "up",
                 {"memory_exhaustion": 0.8}, exclude=_rx(_CACHE + r"|free|avail|disk|filesystem")),
    MetricFamily("memory_free_drop", _rx(r"(mem.*(free|avail)|(free|avail).*mem)"), "down", {"memory_exhaustion": 0.6},
                 exclude=_rx(_CACHE)),
    MetricFamily("restarts", _rx(r"(restart|oom_?kill|crash|container_last_terminated|terminat)"), "up",
                 {"memory_exhaustion": 0.4, "node_failure": 0.1}, role="symptom"),
    MetricFamily("cpu_high", _rx(r"(cpu|load_?avg|loadavg|run_?queue|throttl)"), "up", {"cpu_saturation": 0.8},
                 exclude=_rx(_DB + r"|steal")),
    MetricFamily("disk_free_drop", _rx(r"((disk|filesystem|fs|volume|storage|inode).*(free|avail)|(free|avail).*(disk|storage|space|bytes)"
                                       r"|freestoragespace)"), "down", {"disk_full": 1.0}, exclude=_rx(r"mem")),
    MetricFamily("disk_used_up", _rx(r"((disk|filesystem|fs|volume|storage|inode).*(used|usage|util|pct|percent|size)|df_)"), "up",
                 {"disk_full": 0.9}, exclude=_rx(r"mem|io_?time|iops|latency|read|write")),
    MetricFamily("queue_depth", _rx(r"(queue|lag|backlog|depth|pending_messages|messages_(visible|ready|unacked)|approximatenumberofmessages"
                                    r"|offset_lag|consumer_lag|unacked|inflight|in_flight|oldest_message)"), "up",
                 {"queue_backlog": 1.0}, exclude=_rx(r"accept_queue|run_?queue|listen|pool|disk|io_queue|replica|replication|" + _DB)),
    MetricFamily("consumer_rate_drop", _rx(r"(consum|processed|ack|deliver|throughput|messages_out|dequeue)"), "down",
                 {"queue_backlog": 0.5}, exclude=_rx(r"auth")),
    MetricFamily("request_surge", _rx(r"(requests?(_per|_total|_count|_rate|/s|ps\b|$)|rps|qps|req_s|requestcount|throughput|invocations|traffic|sessions|arrivals|_rate$)"),
                 "up", {"traffic_surge": 0.9}, exclude=_rx(r"(error|fail|5xx|4xx|429|latency|duration|time|bytes|size|limit|reject|throttl)")),
    MetricFamily("rate_limited", _rx(r"(429|throttled_req|request.*throttl|rate_?limit|limit_req|(requests?|conn\w*)_rejected|rejected_(requests?|conn)"
                                     r"|shed|too_many)"), "up", {"traffic_surge": 0.8},
                 exclude=_rx(r"cpu|" + _CACHE)),
    MetricFamily("replicas_up", _rx(r"(replicas\b|replicas_|replica_?count|pods?_(count|ready|running)|instances?_(count|inservice)|desired|hpa|capacity|node_count|groupinservice)"),
                 "up", {"traffic_surge": 0.4, "deployment_regression": 0.1}, role="change"),
    MetricFamily("node_down", _rx(r"(^up$|^up\{|\bup\b|node_ready|nodeready|heartbeat|kube_node_status|statuscheckfailed|healthy_?(host|node)|reachab)"),
                 "down", {"node_failure": 1.0}, culprit="target", exclude=_rx(r"replica|pods")),
    MetricFamily("node_unhealthy", _rx(r"(statuscheckfailed|unhealthy_?(host|node)|node_not_ready|notready|kube_node_status_condition)"),
                 "up", {"node_failure": 0.9}),
    MetricFamily("dns_errors", _rx(r"(dns|coredns|nxdomain|servfail|resolv)"), "up", {"network_dns": 1.0}),
    MetricFamily("network_errors", _rx(r"(packet_?loss|retrans|drop(ped|s)|net.*err|tcp_.*(reset|timeout)|network_?(error|loss))"), "up",
                 {"network_dns": 0.7}),
    MetricFamily("cert_expiry", _rx(r"(cert|ssl|tls).*(expir|days|valid|seconds_left|handshake_(fail|err))"), "any", {"certificate_expiry": 0.9}),
    MetricFamily("auth_errors", _rx(r"(\b401\b|\b403\b|_401|_403|authn|authentication.*(fail|error)|login_?fail|unauthori|forbidden|invalid_token"
                                   r"|credential|token.*(fail|expir|invalid|reject))"), "up",
                 {"auth_credentials": 0.9}),
    MetricFamily("corruption", _rx(r"(checksum|corrupt|crc_err|integrity|parse_err|decode_err|malformed)"), "up", {"data_corruption": 1.0}),
    MetricFamily("dependency_latency", _rx(r"(upstream|egress|outbound|external|client|dependency|downstream|cluster).*(latency|time|duration|p9\d|timeout)"
                                           r"|(latency|time|duration).*(upstream|egress|outbound|external|dependency)"), "up",
                 {"dependency_failure": 0.5}, culprit="target"),
    MetricFamily("dependency_errors", _rx(r"(upstream|egress|outbound|external|dependency|circuit|breaker).*(err|fail|5xx|timeout|open)|circuit_?breaker"),
                 "up", {"dependency_failure": 0.6}, culprit="target"),
    MetricFamily("errors", _rx(r"(5xx|error|fail|exception|50[0-4]|fault)"), "up", {}, role="symptom"),
    MetricFamily("latency", _rx(r"(latency|duration|p9\d|p50|response_?time|_time_ms|_seconds|rt_ms)"), "up", {}, role="symptom"),
    MetricFamily("success_drop", _rx(r"(success|approved|delivered|completed|ok_|availability|apdex|conversion|orders_(placed|created|per))"), "down", {}, role="symptom"),
)

METRIC_BY_NAME: dict[str, MetricFamily] = {f.name: f for f in METRIC_FAMILIES}


_RUNTIME_VERSION = _rx(r"\b(java|jdk|jvm|tomcat|spring boot|python|node|go|openssl|kernel|glibc|netty|nginx|envoy)[ /:]*v?\d+(\.\d+)*")
_VERSION_WORD = _rx(r"\b(starting|started|version|deploy\w*|release\w*|image|rolling|upgrad\w*|revision|rollout|build|commit|sha|canary|helm|sync\w*)\b")


#: families whose key words are numbers that a template masks (``duration: <*> ms``)
_SAMPLE_FAMILIES = {"db_slow_statement"}


#: cheap gate: a template without any of these words cannot match a family (keeps big logs fast)
_GATE = re.compile(
    r"(fail|error|err\b|timeout|timed|refus|denied|expir|oom|memory|heap|space|disk|full|limit|throttl|lag\b|queue|backlog|"
    r"corrupt|checksum|crc|version|deploy|start|config|setting|reload|refresh|flag|scal|replica|restart|kill|ready|node|i/o|"
    r"nxdomain|servfail|resolv|lookup|host|cert|tls|ssl|x509|pkix|40[13]|429|50[0-4]|unauthori|forbidden|token|credential|"
    r"evict|cache|miss|hit\b|pool|connect|lock|deadlock|slow|duration|query|statement|panic|exception|fatal|crash|back-?off|"
    r"probe|unhealthy|down\b|failover|leader|primary|promot|rate|quota|busy|reject|invalid|mismatch|malformed|integrity|"
    r"truncat|exhaust|saturat|cpu|load|gc\b|pause|image|release|rollout|upgrad|revision|pull|sighup|chang|appl|overrid|"
    r"unavailable|gateway|circuit|breaker|reset|unreachable|route|dns|packet|retrans|evicted|taint|kernel|blk_|nvme|ext4|"
    r"xfs|hung|blocked|medium|mce|corrupt|decode|deserializ|parse|hash|digest|parity|loss|inconsisten|utf|encoding|magic|"
    r"took|latency|p9\d|response time|wal|tablespace|notafter|valid|renew|acme|keystore|login|password|permission|access|"
    r"signature|secret|rotat|quota|shed|backpressure|worker_connections|too many|rejectedexecution|consum|offset|rebalanc|"
    r"poll|dlq|dead|unacked|prefetch|visibility|behind|instance|spot|terminat|reboot|hypervisor|read-only|remount|ata\d|"
    r"scsi|edac|oom|killed|exit|sigkill|sigterm|died|liveness|readiness|maxmemory|slab|memcache|redis|switchover|election|"
    r"param|modif|toggle|canary|helm|argo|commit|build|sysctl|alloc|premature|hardware|status check)")
_SAMPLE_GATE = re.compile(r"(v\d+\.\d+|\d+\.\d+\.\d+|duration: |seq scan|index scan|rows removed|query_time)")


def match_text(text: str, sample: str = "") -> list[TextFamily]:
    """All text families whose pattern matches a log template (and whose exclusion does not).

    Families are matched on the template (the message without its header, so logger names such as
    ``...config.ResilienceConfig`` do not count). Version numbers are usually masked in templates,
    so a version change is also recognised when the template has a release word and the sample
    line carries a version that is not the runtime's (``Java 17``, ``Tomcat/9``).
    """
    text = text[:900].lower()
    sample = sample[:900].lower()
    if not _GATE.search(text) and not (sample and _SAMPLE_GATE.search(sample)):
        return []
    out: list[TextFamily] = []
    for fam in TEXT_FAMILIES:
        hit = bool(fam.pattern.search(text)) and not (fam.exclude and fam.exclude.search(text))
        if not hit and fam.name == "version_change" and sample and _VERSION_WORD.search(text):
            cleaned = _RUNTIME_VERSION.sub(" ", sample)
            hit = bool(fam.pattern.search(cleaned)) and not (fam.exclude and fam.exclude.search(cleaned))
        elif not hit and fam.name in _SAMPLE_FAMILIES and sample:
            hit = bool(fam.pattern.search(sample)) and not (fam.exclude and fam.exclude.search(sample))
        if hit:
            out.append(fam)
    return out


def match_metric(name: str) -> list[MetricFamily]:
    """All metric families whose name pattern matches a series name (with labels) or panel title."""
    name = name[:400].lower()
    out: list[MetricFamily] = []
    for fam in METRIC_FAMILIES:
        if fam.pattern.search(name) and not (fam.exclude and fam.exclude.search(name)):
            out.append(fam)
    return out
