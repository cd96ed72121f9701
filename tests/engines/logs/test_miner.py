"""Template mining: real log messages beside the template we expect, stable ids, per-line assignment."""

from __future__ import annotations

from analysis.engines.logs import TemplateMiner, iter_assignments, template_id
from analysis.engines.logs.masking import mask, normalize_template


def mine(messages: list[str]) -> list[str]:
    m = TemplateMiner()
    idx = [m.add(x) for x in messages]
    return [m.template(i) for i in idx]


def test_variables_are_masked_by_shape() -> None:
    assert mask("Received block blk_-1608999687919862906 of size 91178 from /10.250.10.6") == \
        "Received block <*> of size <*> from <*>"
    assert mask("GET https://api.example.com/v1/x?id=3 took 212ms for 3f2a9c1e-7b7d-4c1a-9d55-0e4b8f1c2a77") == \
        "GET <*> took <*> for <*>"
    assert mask("user alice@example.com from 10.0.0.7:51234 at 0x7ffd3a2c flag=true") == \
        "user <*> from <*>:<*> at <*> flag=<*>"
    assert mask("connection from 202.82.200.188 () at Fri Jul  1 07:57:30 2005") == "connection from <*> () at <*>"
    # Constants that merely contain digits stay.
    assert mask("Failed password for root from 1.2.3.4 port 22 ssh2") == "Failed password for root from <*> port <*> ssh2"


def test_normalize_template_glues_variable_fragments() -> None:
    assert normalize_template("BLOCK* ask <*>:<*> to delete blk_<*>") == "BLOCK* ask <*>:<*> to delete <*>"
    assert normalize_template("session opened for user <*> by (uid=<*>)") == "session opened for user <*> by (uid=<*>)"


SSH = [
    "Invalid user webmaster from 173.234.31.186",
    "Invalid user test9 from 52.80.34.196",
    "Invalid user oracle from 103.99.0.122",
    "Invalid user admin from 5.188.10.180",
    "session opened for user cyrus by (uid=0)",
    "session closed for user cyrus",
    "session opened for user news by (uid=0)",
    "session opened for user test by (uid=509)",
    "session opened for user root by (uid=0)",
    "Received disconnect from 52.80.34.196: 11: Bye Bye [preauth]",
    "Received disconnect from 52.80.34.197: 11: Bye Bye [preauth]",
    "Received disconnect from 10.0.0.9: 11: disconnected by user",
    "cupsd shutdown succeeded",
    "cupsd startup succeeded",
    "onReceive action: android.intent.action.SCREEN_ON",
    "onReceive action: android.intent.action.SCREEN_OFF",
]


def test_word_differences_do_not_merge_but_variable_words_do() -> None:
    t = mine(SSH)
    assert t[0] == t[1] == t[2] == t[3] == "Invalid user <*> from <*>"
    assert t[4] == t[6] == t[7] == t[8] == "session opened for user <*> by (uid=<*>)"
    assert t[5] == "session closed for user cyrus"
    assert t[9] == t[10] == "Received disconnect from <*>: <*>: Bye Bye [preauth]"
    assert t[11] == "Received disconnect from <*>: <*>: disconnected by user"
    assert t[12] != t[13]
    assert t[14] == "onReceive action: android.intent.action.SCREEN_ON" and t[15] != t[14]


def test_key_value_frame_is_kept() -> None:
    t = mine([f"authentication failure; rhost={h} user={u}" for h, u in
              [("a.example.org", "root"), ("b.example.org", "admin"), ("c.example.org", "oracle"),
               ("d.example.org", "guest"), ("e.example.org", "test")]])
    assert set(t) == {"authentication failure; rhost=<*> user=<*>"}


def test_template_ids_are_stable_and_text_derived() -> None:
    a = TemplateMiner()
    b = TemplateMiner()
    ia = a.add("Connection reset by peer 10.0.0.1")
    b.add("unrelated first message")
    ib = b.add("Connection reset by peer 10.0.0.2")
    assert a.template(ia) == b.template(ib) == "Connection reset by peer <*>"
    assert template_id(a.template(ia)) == template_id(b.template(ib))
    assert template_id("x").startswith("T") and len(template_id("x")) == 9


def test_repeated_messages_hit_the_cache_and_count() -> None:
    m = TemplateMiner(cache_size=2)
    for _ in range(5):
        i = m.add("disk /dev/sda1 is 91% full")
    assert m.count(i) == 5
    assert m.template(i) == "disk <*> is <*> full"


def test_assignments_cover_every_line_and_continuations_share_the_record_template() -> None:
    lines = [
        "2024-03-12 13:23:27.101 ERROR 1 --- [exec-3] c.s.Api : Checkout failed for order 17",
        "java.lang.IllegalStateException: boom",
        "\tat com.shop.Api.run(Api.java:12)",
        "",
        "2024-03-12 13:23:28.000 ERROR 1 --- [exec-4] c.s.Api : Checkout failed for order 18",
    ]
    rows = list(iter_assignments(lines))
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert len({r[1] for r in rows}) == 1
    assert rows[0][2] == "Checkout failed for order <*>"


def test_variable_first_token_is_consolidated_across_buckets() -> None:
    progs = ["chrome.exe", "svchost.exe", "firefox.exe", "outlook.exe", "QQProtect.exe"]
    hosts = ["www.google.com.hk", "www.microsoft.com", "qdun-data.qq.com", "d.dropbox.com"]
    msgs = [f"{p} - {h}:443 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS"
            for i, p in enumerate(progs) for h in hosts[i % 2: i % 2 + 3]]
    msgs += ["cupsd startup succeeded", "syslogd startup succeeded", "klogd startup succeeded",
             "portmap startup succeeded", "irqbalance startup succeeded"]
    t = mine(msgs)
    assert set(t[:-5]) == {"<*> - <*>:<*> open through proxy proxy.cse.cuhk.edu.hk:<*> HTTPS"}
    # Short messages keep their first word: too little else is constant to call it a variable.
    assert len(set(t[-5:])) == 5
