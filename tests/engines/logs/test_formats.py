"""Every format family: a real-looking line beside the header fields and message we expect."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from analysis.engines.logs import iter_records

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def one(line: str, name: str = "app.log"):
    recs = list(iter_records([line], name, now=NOW))
    assert len(recs) == 1
    return recs[0]


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=timezone.utc)


# (id, line, expected attributes; "message" is compared exactly, "ts" as a UTC datetime)
CASES = [
    ("syslog-3164",
     "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
     dict(ts=utc(2025, 12, 10, 6, 55, 46), host="LabSZ", component="sshd[24200]", pid="24200", service="sshd",
          message="Invalid user webmaster from 173.234.31.186")),
    ("syslog-3164-subfacility",
     "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown",
     dict(host="combo", pid="19939", service="sshd", message="check pass; user unknown")),
    ("syslog-5424",
     "<165>1 2024-03-12T11:00:03.003Z web-01.example.com nginx 2213 ID47 [exampleSDID@32473 iut=\"3\"] "
     "upstream timed out while reading response header",
     dict(ts=utc(2024, 3, 12, 11, 0, 3, 3000), host="web-01.example.com", service="nginx", pid="2213", level="INFO",
          message="upstream timed out while reading response header")),
    ("syslog-iso-journal",
     "2024-06-11T02:00:04+0000 ip-10-0-42-17 kubelet[1402]: E0611 02:00:04.812899    1402 kubelet.go:2440] "
     "\"Error syncing pod, skipping\" pod=\"shop/cart-7d9f8c6b5-x2x9z\"",
     dict(ts=utc(2024, 6, 11, 2, 0, 4), host="ip-10-0-42-17", service="kubelet", level="ERROR",
          message="\"Error syncing pod, skipping\" pod=\"shop/cart-7d9f8c6b5-x2x9z\"")),
    ("apache-error",
     "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6",
     dict(ts=utc(2005, 12, 4, 4, 47, 44), level="ERROR", message="mod_jk child workerEnv in error state 6")),
    ("nginx-error",
     "2024/11/29 16:00:03 [crit] 2214#2214: *1834472 SSL_do_handshake() failed (SSL: error:0A00006C:SSL "
     "routines::bad key share) while SSL handshaking, client: 89.221.173.45, server: 0.0.0.0:443",
     dict(ts=utc(2024, 11, 29, 16, 0, 3), level="FATAL", pid="2214",
          message="*1834472 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL "
                  "handshaking, client: 89.221.173.45, server: 0.0.0.0:443")),
    ("combined-access",
     '10.244.1.188 - alice [07/May/2024:06:00:04 +0200] "GET /v1/orders/43305092?expand=1 HTTP/1.1" 503 1999 '
     '"-" "python-requests/2.31.0"',
     dict(ts=utc(2024, 5, 7, 4, 0, 4), level="ERROR",
          fields={"status": "503", "method": "GET", "path": "/v1/orders/43305092?expand=1", "bytes": "1999",
                  "user": "alice"})),
    ("ingress-nginx-access",
     '193.249.18.57 - - [12/Mar/2024:11:00:15 +0000] "GET /api/cart HTTP/2.0" 200 2347 "-" "Mozilla/5.0" 616 '
     '0.027 [shop-cart-service-8080] [] 10.244.3.121:8080 2347 0.026 200 94d34d2b64354324855610033270bb',
     dict(service="shop-cart-service", fields={"status": "200", "latency_ms": "27.000",
                                               "upstream": "shop-cart-service-8080"})),
    ("haproxy",
     "Nov 15 22:30:03 lb-pay-01 haproxy[1742]: 10.30.126.236:39321 [15/Nov/2024:22:30:02.844] fe_payments "
     "be_payment_service/pay-1 0/0/1/457/458 502 287 - - sH-- 4/2/1/0/0 0/0 \"POST /v1/payments/authorize HTTP/1.1\"",
     dict(ts=utc(2024, 11, 15, 22, 30, 2, 844000), host="lb-pay-01", service="payment-service", level="ERROR",
          fields={"status": "502", "latency_ms": "458.000", "backend": "be_payment_service",
                  "termination_state": "sH--"})),
    ("envoy",
     '[2024-08-14T12:00:00.603Z] "POST /v2/calculate HTTP/1.1" 504 UT 1377 24 15001 - "10.244.3.17" '
     '"Apache-HttpClient/5.2.1 (Java/17.0.10)" "03c5c1d6-5f91-4e5f-874a-5b94babae7dd" "api.taxcalc.io" "104.18.32.47:443"',
     dict(ts=utc(2024, 8, 14, 12, 0, 0, 603000), level="ERROR",
          fields={"status": "504", "latency_ms": "15001.000", "response_flags": "UT", "authority": "api.taxcalc.io"})),
    ("log4j",
     "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for "
     "application appattempt_1445144423722_0020_000001",
     dict(ts=utc(2015, 10, 18, 18, 1, 47, 978000), level="INFO",
          component="org.apache.hadoop.mapreduce.v2.app.MRAppMaster",
          message="Created MRAppMaster for application appattempt_1445144423722_0020_000001")),
    ("logback-dash",
     "2024-02-01 10:15:00.123 [http-nio-8080-exec-3] WARN  com.shop.cart.CartService - Cart 42 not found",
     dict(level="WARN", component="com.shop.cart.CartService", message="Cart 42 not found")),
    ("spring-boot",
     "2024-03-12 11:00:03.414  INFO 1 --- [io-8080-exec-14] c.s.checkout.client.PaymentClient        : "
     "Authorization approved for order ORD-240312-61166 in 212 ms",
     dict(level="INFO", pid="1", component="c.s.checkout.client.PaymentClient",
          message="Authorization approved for order ORD-240312-61166 in 212 ms")),
    ("spring-boot-3-app-name",
     "2024-08-14T12:00:00.765Z ERROR 1 --- [tax-service] [nio-8080-exec-6] c.s.tax.TaxService       : "
     "Tax provider call failed",
     dict(service="tax-service", level="ERROR", component="c.s.tax.TaxService", message="Tax provider call failed")),
    ("python-logging",
     "2024-01-05 09:30:12,345 - payments.worker - ERROR - charge failed for invoice 991",
     dict(ts=utc(2024, 1, 5, 9, 30, 12, 345000), level="ERROR", component="payments.worker",
          message="charge failed for invoice 991")),
    ("python-bracketed",
     "[2024-09-03 01:00:05,000] INFO app.batch [2211:MainThread] starting batch monthly-statements-2024-08",
     dict(level="INFO", component="app.batch", pid="2211", message="starting batch monthly-statements-2024-08")),
    ("python-basic",
     "WARNING:urllib3.connectionpool:Retrying after connection broken",
     dict(level="WARN", component="urllib3.connectionpool", message="Retrying after connection broken")),
    ("go-std",
     "2024/05/07 06:00:05 http: TLS handshake error from 10.0.0.7:51234: EOF",
     dict(ts=utc(2024, 5, 7, 6, 0, 5), message="TLS handshake error from 10.0.0.7:51234: EOF")),
    ("klog",
     "I0611 02:00:04.812899    1402 kubelet.go:2440] \"SyncLoop (probe)\" probe=\"readiness\" status=\"ready\"",
     dict(level="INFO", pid="1402", component="kubelet.go:2440",
          message="\"SyncLoop (probe)\" probe=\"readiness\" status=\"ready\"")),
    ("json-logstash",
     '{"@timestamp":"2024-07-19T08:00:11.561Z","message":"Served 12 recommendations","logger_name":'
     '"com.shop.reco.Api","thread_name":"exec-35","level":"WARN","level_value":30000,"service":"reco"}',
     dict(ts=utc(2024, 7, 19, 8, 0, 11, 561000), level="WARN", service="reco", component="com.shop.reco.Api",
          message="Served 12 recommendations")),
    ("json-pino",
     '{"level":50,"time":1737450002514,"pid":27,"hostname":"catalog-7f8d9c6b5-k77gb","req":{"method":"GET",'
     '"url":"/products/2893"},"res":{"statusCode":500},"responseTime":3.1,"msg":"request errored"}',
     dict(level="ERROR", host="catalog-7f8d9c6b5-k77gb", message="request errored",
          fields={"status": "500", "path": "/products/2893", "method": "GET", "latency_ms": "3.100"})),
    ("json-zap-epoch",
     '{"level":"info","ts":1717059601.0523,"caller":"reserve/handler.go:167","msg":"reservation released",'
     '"elapsed":"151.3ms"}',
     dict(ts=datetime.fromtimestamp(1717059601.0523, tz=timezone.utc), level="INFO",
          component="reserve/handler.go:167", message="reservation released", fields={"latency_ms": "151.300"})),
    ("logfmt",
     'time="2024-06-11T02:00:00.300041704Z" level=error msg="failed to pull image" image="shop/cart:1.2"',
     dict(ts=utc(2024, 6, 11, 2, 0, 0, 300041), level="ERROR", message="failed to pull image")),
    ("postgresql",
     "2024-05-07 06:00:22.734 UTC [31685] orders_app@orders ERROR:  duplicate key value violates unique constraint "
     "\"idempotency_keys_pkey\"",
     dict(ts=utc(2024, 5, 7, 6, 0, 22, 734000), level="ERROR", pid="31685",
          message="duplicate key value violates unique constraint \"idempotency_keys_pkey\"",
          fields={"user": "orders_app", "database": "orders"})),
    ("mysql",
     "2024-05-07T06:00:05.123456Z 12 [Warning] [MY-010055] [Server] IP address '10.0.0.9' could not be resolved",
     dict(ts=utc(2024, 5, 7, 6, 0, 5, 123456), level="WARN",
          message="IP address '10.0.0.9' could not be resolved")),
    ("redis",
     "1:M 21 Jan 2025 09:00:03.039 # WARNING Memory overcommit must be enabled!",
     dict(ts=utc(2025, 1, 21, 9, 0, 3, 39000), pid="1", level="WARN")),
    ("hdfs",
     "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 "
     "terminating",
     dict(ts=utc(2008, 11, 9, 20, 36, 15), pid="148", level="INFO", component="dfs.DataNode$PacketResponder",
          message="PacketResponder 1 for block blk_38865049064139660 terminating")),
    ("zookeeper",
     "2015-07-29 19:04:29,071 - WARN  [SendWorker:188978561024:QuorumCnxManager$SendWorker@688] - Send worker "
     "leaving thread",
     dict(ts=utc(2015, 7, 29, 19, 4, 29, 71000), level="WARN", message="Send worker leaving thread")),
    ("pipe-delimited",
     "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
     dict(ts=utc(2017, 12, 23, 22, 15, 29, 606000), component="Step_LSC", pid="30002312",
          message="onStandStepChanged 3579")),
    ("k8s-log-prefix",
     "[pod/checkout-service-7d9f8c6b5-jsqj9/checkout-service] 2024-03-12 11:00:03.414 ERROR 1 --- "
     "[io-8080-exec-14] c.s.checkout.web.CheckoutController : Checkout failed",
     dict(service="checkout-service", level="ERROR", message="Checkout failed")),
]


@pytest.mark.parametrize("line,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_header_fields(line: str, expected: dict) -> None:
    rec = one(line)
    for key, want in expected.items():
        if key == "ts":
            assert rec.timestamp == want
        elif key == "fields":
            for fk, fv in want.items():
                assert rec.fields.get(fk) == fv, (fk, rec.fields)
        else:
            assert getattr(rec, key) == want, (key, getattr(rec, key))


def test_kubectl_events_table() -> None:
    lines = [
        "FIRST SEEN             LAST SEEN              COUNT   TYPE      REASON              OBJECT"
        "                                  MESSAGE",
        "2024-03-12T11:00:00Z   2024-03-12T11:00:00Z   1       Normal    Scheduled           "
        "pod/inventory-sync-28504020-tvp69       Successfully assigned shop/inventory-sync-28504020-tvp69 to node-1",
        "2024-03-12T12:31:07Z   2024-03-12T12:35:40Z   14      Warning   BackOff             "
        "pod/checkout-service-7d9f8c6b5-jsqj9    Back-off restarting failed container checkout-service",
    ]
    recs = list(iter_records(lines, "events.txt", now=NOW))
    assert len(recs) == 2
    back = recs[1]
    assert back.level == "WARN"
    assert back.service == "checkout-service"
    assert back.component == "BackOff"
    assert back.timestamp == utc(2024, 3, 12, 12, 31, 7)
    assert back.fields["count"] == "14"
    assert back.message == "Back-off restarting failed container checkout-service"
    assert recs[0].service == "inventory-sync"


def test_java_stack_trace_is_one_record() -> None:
    lines = [
        "2024-03-12 13:23:27.101 ERROR 1 --- [io-8080-exec-3] c.s.checkout.web.CheckoutController : Checkout failed",
        "org.springframework.web.client.ResourceAccessException: I/O error on POST request: Read timed out",
        "\tat org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:791)",
        "\tat com.shop.checkout.client.PaymentClient.authorize(PaymentClient.java:88)",
        "Caused by: java.net.SocketTimeoutException: Read timed out",
        "\tat java.base/java.net.SocketInputStream.read(SocketInputStream.java:168)",
        "\t... 42 common frames omitted",
        "2024-03-12 13:23:28.000  INFO 1 --- [io-8080-exec-4] c.s.checkout.web.CheckoutController : Checkout ok",
    ]
    recs = list(iter_records(lines, "app.log", now=NOW))
    assert [(r.line_start, r.line_end) for r in recs] == [(1, 7), (8, 8)]
    assert recs[0].fields["exception_type"] == ("org.springframework.web.client.ResourceAccessException "
                                                "(caused by java.net.SocketTimeoutException)")
    assert recs[0].fields["frames"].startswith("org.springframework.web.client.RestTemplate.doExecute")


def test_python_traceback_is_one_record() -> None:
    lines = [
        "2024-09-03 02:40:11,120 ERROR app.worker: failed to render statement acct=68850821",
        "Traceback (most recent call last):",
        '  File "/app/worker.py", line 88, in render',
        "    pdf.save(path)",
        '  File "/app/pdfdoc.py", line 211, in SaveToFile',
        "    fh.write(data)",
        "OSError: [Errno 28] No space left on device",
        "2024-09-03 02:40:12,000 INFO app.worker: next",
    ]
    recs = list(iter_records(lines, "worker.log", now=NOW))
    assert [(r.line_start, r.line_end) for r in recs] == [(1, 7), (8, 8)]
    assert recs[0].fields["exception_type"] == "OSError"
    assert recs[0].fields["frames"].startswith("SaveToFile (pdfdoc.py:211)")


def test_syslog_year_inferred_from_content_and_rollover() -> None:
    lines = [
        "Dec 31 23:59:58 host1 CRON[1]: (root) CMD (backup --date 2023-12-31)",
        "Jan  1 00:00:02 host1 CRON[2]: (root) CMD (rotate)",
    ]
    recs = list(iter_records(lines, "syslog", now=NOW))
    assert recs[0].timestamp == utc(2023, 12, 31, 23, 59, 58)
    assert recs[1].timestamp == utc(2024, 1, 1, 0, 0, 2)


def test_syslog_year_without_hints_is_not_in_the_future() -> None:
    rec = one("Dec 30 10:00:00 host1 app[3]: started", name="messages")
    assert rec.timestamp == utc(2025, 12, 30, 10, 0, 0)  # Dec 30 2026 would be after NOW
    rec = one("Mar  1 10:00:00 host1 app[3]: started", name="messages")
    assert rec.timestamp.year == 2026


def test_syslog_year_from_file_name() -> None:
    rec = one("Mar  1 10:00:00 host1 app[3]: started", name="syslog-2019-03-01.log")
    assert rec.timestamp.year == 2019


def test_mixed_file_line_by_line() -> None:
    lines = [
        '{"time":"2024-01-01T00:00:00Z","level":"error","msg":"db down"}',
        "2024-01-01 00:00:01,000 WARN [main] com.x.Y: retrying",
        '10.0.0.1 - - [01/Jan/2024:00:00:02 +0000] "GET /health HTTP/1.1" 200 2 "-" "kube-probe/1.29"',
    ]
    recs = list(iter_records(lines, "mixed.log", now=NOW))
    assert [r.level for r in recs] == ["ERROR", "WARN", "INFO"]
    assert [r.timestamp.second for r in recs] == [0, 1, 2]


# Headers of other system logs (not tuned per dataset): the message must start where the event text starts.
OTHER = [
    ("alert-flag-epoch",
     "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO "
     "instruction cache parity error corrected", "INFO", "instruction cache parity error corrected"),
    ("epoch-then-syslog",
     "- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root",
     None, "session closed for user root"),
    ("fields-before-epoch",
     "134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: Component alt0 is in "
     "the unavailable state (HWID=1973)", None, "Component State Change: Component alt0 is in the unavailable state "
                                                "(HWID=1973)"),
    ("windows-cbs",
     "2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 with Core: "
     "C:\\Windows\\winsxs\\cbscore.dll", "INFO", "Loaded Servicing Stack v6.1.7601.23505 with Core: "
                                                "C:\\Windows\\winsxs\\cbscore.dll"),
    ("android-logcat",
     "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken = null",
     "DEBUG", "printFreezingDisplayLogsopening app wtoken = null"),
    ("spark",
     "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]",
     "INFO", "Registered signal handlers for [TERM, HUP, INT]"),
    ("file-name-prefix",
     "nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server "
     "[req-38101a0b-2096-447d-96ea-a692162415ae - - -] 10.11.10.1 \"GET /v2/servers/detail HTTP/1.1\" status: 200",
     "INFO", "[req-38101a0b-2096-447d-96ea-a692162415ae - - -] 10.11.10.1 \"GET /v2/servers/detail HTTP/1.1\" "
             "status: 200"),
]


@pytest.mark.parametrize("line,level,message", [c[1:] for c in OTHER], ids=[c[0] for c in OTHER])
def test_other_system_headers(line: str, level: str | None, message: str) -> None:
    rec = one(line)
    assert rec.timestamp is not None
    assert rec.message == message
    if level:
        assert rec.level == level
