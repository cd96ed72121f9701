"""Generate the demo incidents shipped in data/samples/ (deterministic; re-run to refresh them).

Each sample is what an analyst would upload: incident.json, logs/, metrics/, screenshots/.
Usage: python scripts/make_samples.py
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent / "data" / "samples"


def _font(size: int):
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default()


def dashboard(path: Path, title: str, panels: list[tuple[str, str, list[float]]], start: datetime, step_min: int) -> None:
    """Render a dark Grafana-like dashboard: one line chart per panel with time and value ticks."""
    w, h = 1600, 900
    img = Image.new("RGB", (w, h), (17, 18, 23))
    d = ImageDraw.Draw(img)
    d.text((20, 14), title, fill=(220, 220, 220), font=_font(22))
    cols = 2
    pw, ph = (w - 60) // cols, (h - 80) // ((len(panels) + 1) // cols)
    for i, (ptitle, unit, values) in enumerate(panels):
        x0 = 20 + (i % cols) * (pw + 20)
        y0 = 60 + (i // cols) * (ph + 10)
        d.rectangle([x0, y0, x0 + pw, y0 + ph - 10], fill=(24, 27, 31), outline=(50, 52, 60))
        d.text((x0 + 12, y0 + 8), ptitle, fill=(230, 230, 230), font=_font(18))
        cx0, cy0, cx1, cy1 = x0 + 70, y0 + 45, x0 + pw - 20, y0 + ph - 50
        lo, hi = 0.0, max(values) * 1.15
        for k in range(5):
            yv = lo + (hi - lo) * k / 4
            yy = cy1 - (cy1 - cy0) * k / 4
            d.line([cx0, yy, cx1, yy], fill=(40, 42, 48))
            d.text((x0 + 8, yy - 8), f"{yv:.0f}{unit}", fill=(160, 160, 170), font=_font(13))
        n = len(values)
        for k in range(0, n, max(1, n // 6)):
            xx = cx0 + (cx1 - cx0) * k / (n - 1)
            t = start + timedelta(minutes=step_min * k)
            d.text((xx - 18, cy1 + 8), t.strftime("%H:%M"), fill=(160, 160, 170), font=_font(13))
        pts = [(cx0 + (cx1 - cx0) * k / (n - 1), cy1 - (cy1 - cy0) * (v - lo) / (hi - lo)) for k, v in enumerate(values)]
        d.line(pts, fill=(115, 191, 105), width=2)
    img.save(path, optimize=True)


def checkout_deploy(rng: random.Random) -> None:
    """Cascade: web-frontend shows 502s; the culprit is a checkout-service deploy (v3.2.0) with a new NPE."""
    base = ROOT / "checkout-deploy-regression"
    for sub in ("logs", "metrics", "screenshots"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    t0 = datetime(2025, 3, 4, 9, 0, tzinfo=timezone.utc)
    deploy = t0 + timedelta(minutes=42, seconds=10)
    (base / "incident.json").write_text(json.dumps({
        "title": "Checkout failing for some customers",
        "description": "Support reports 'Something went wrong' on Place order since mid-morning. The web-frontend "
                       "502 alert fired at 09:47 UTC. Browsing works.",
        "services": ["web-frontend", "checkout-service", "payment-service"],
        "severity": "SEV2"}, indent=2) + "\n")
    app, edge = [], []
    for sec in range(0, 90 * 60, 7):
        t = t0 + timedelta(seconds=sec + rng.random() * 3)
        ts = t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"
        order = f"ORD-{rng.randint(100000, 999999)}"
        pod = "checkout-service-6f7c9d-abcde" if t < deploy else "checkout-service-7b8d4e-xyz12"
        failing = t >= deploy and rng.random() < 0.45
        if t < deploy or not failing:
            app.append(f"{ts}  INFO 1 --- [nio-8080-exec-{rng.randint(1, 20)}] c.e.checkout.OrderController      : "
                       f"Order {order} placed, total={rng.randint(10, 500)}.{rng.randint(0, 99):02d} EUR in {rng.randint(40, 200)} ms")
            status, lat = 200, rng.uniform(0.05, 0.25)
        else:
            app.append(f"{ts} ERROR 1 --- [nio-8080-exec-{rng.randint(1, 20)}] c.e.checkout.OrderController      : "
                       f"Order {order} failed")
            app.append("java.lang.NullPointerException: Cannot invoke \"com.example.checkout.tax.TaxRule.rate()\" because \"rule\" is null")
            app.append("\tat com.example.checkout.tax.TaxCalculator.apply(TaxCalculator.java:88)")
            app.append("\tat com.example.checkout.OrderController.place(OrderController.java:141)")
            status, lat = 502, rng.uniform(0.02, 0.08)
        if abs((t - deploy).total_seconds()) < 4:
            app.append(f"{ts}  INFO 1 --- [           main] c.e.checkout.CheckoutApplication   : "
                       f"Starting CheckoutApplication v3.2.0 on {pod} with PID 1")
        ip = f"203.0.113.{rng.randint(1, 254)}"
        edge.append(f"{ip} - - [{t.strftime('%d/%b/%Y:%H:%M:%S +0000')}] \"POST /api/checkout HTTP/1.1\" {status} "
                    f"{rng.randint(200, 900)} \"-\" \"Mozilla/5.0\" {lat:.3f} upstream=checkout-service:8080")
        if rng.random() < 0.6:
            edge.append(f"{ip} - - [{t.strftime('%d/%b/%Y:%H:%M:%S +0000')}] \"GET /products/{rng.randint(1, 999)} HTTP/1.1\" "
                        f"200 {rng.randint(2000, 9000)} \"-\" \"Mozilla/5.0\" {rng.uniform(0.01, 0.09):.3f} upstream=catalog-service:8080")
    (base / "logs" / "checkout-service.log").write_text("\n".join(app) + "\n")
    (base / "logs" / "web-frontend-access.log").write_text("\n".join(edge) + "\n")
    rows = ["timestamp,checkout_requests_per_min,checkout_5xx_per_min,checkout_p99_ms,frontend_502_per_min"]
    err_series = []
    for m in range(90):
        t = t0 + timedelta(minutes=m)
        after = t >= deploy.replace(second=0)
        req = 8.5 + rng.uniform(-0.6, 0.6)
        e5 = (req * 0.45 if after else 0.02) + rng.uniform(0, 0.05)
        err_series.append(e5)
        rows.append(f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{req:.2f},{e5:.2f},{rng.uniform(180, 260) if not after else rng.uniform(240, 320):.0f},{e5 * 0.98:.2f}")
    (base / "metrics" / "checkout_1m.csv").write_text("\n".join(rows) + "\n")
    dashboard(base / "screenshots" / "grafana_checkout.png", "Checkout overview",
              [("Checkout 5xx per minute", "", err_series), ("Checkout requests per minute", "", [8.5 + rng.uniform(-0.6, 0.6) for _ in range(90)])],
              t0, 1)


def orders_db_pool(rng: random.Random) -> None:
    """Cascade: orders-api times out; the culprit is orders-db (a slow query saturates it, the pool runs dry)."""
    base = ROOT / "orders-db-overload"
    for sub in ("logs", "metrics"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    t0 = datetime(2025, 6, 17, 7, 0, tzinfo=timezone.utc)
    onset = t0 + timedelta(minutes=35, seconds=20)
    (base / "incident.json").write_text(json.dumps({
        "title": "Orders API timing out",
        "description": "The mobile app's 'My orders' page times out; orders-api p99 alert fired at 07:41 UTC.",
        "services": ["orders-api", "orders-db"], "severity": "SEV2"}, indent=2) + "\n")
    api, db = [], []
    for sec in range(0, 70 * 60, 5):
        t = t0 + timedelta(seconds=sec + rng.random() * 2)
        iso = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
        slow = t >= onset
        if slow and rng.random() < 0.5:
            api.append(json.dumps({"ts": iso, "level": "error", "logger": "orders.db",
                                   "msg": "sqlalchemy.exc.TimeoutError: QueuePool limit of size 10 overflow 20 reached, "
                                          "connection timed out, timeout 30.00", "service": "orders-api"}))
        else:
            api.append(json.dumps({"ts": iso, "level": "info", "logger": "orders.http",
                                   "msg": f"GET /v1/orders?customer={rng.randint(1000, 9999)} 200 in {rng.randint(20, 90) if not slow else rng.randint(900, 4000)} ms",
                                   "service": "orders-api"}))
        pg = t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d} UTC"
        if slow and rng.random() < 0.6:
            db.append(f"{pg} [{rng.randint(20000, 29999)}] orders@orders LOG:  duration: {rng.randint(2500, 9000)}.{rng.randint(100, 999)} ms  "
                      "execute <unnamed>: SELECT o.id, o.total FROM orders o WHERE o.customer_id = $1 ORDER BY o.created_at DESC LIMIT 20")
        elif rng.random() < 0.3:
            db.append(f"{pg} [{rng.randint(20000, 29999)}] [unknown]@[unknown] LOG:  connection received: host=10.0.3.{rng.randint(2, 200)} port={rng.randint(30000, 60000)}")
        if slow and rng.random() < 0.05:
            db.append(f"{pg} [{rng.randint(20000, 29999)}] orders@orders FATAL:  remaining connection slots are reserved for non-replication superuser connections")
        if abs((t - onset).total_seconds()) < 3:
            db.append(f"{pg} [19999] LOG:  automatic analyze of table \"orders.public.orders\"")
    (base / "logs" / "orders-api.jsonl").write_text("\n".join(api) + "\n")
    (base / "logs" / "postgresql.log").write_text("\n".join(db) + "\n")
    rows = ["timestamp,metric,service,value"]
    for m in range(70):
        t = t0 + timedelta(minutes=m)
        slow = t >= onset.replace(second=0)
        stamp = t.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        rows.append(f"{stamp},cpu_utilization_percent,orders-db,{(92 if slow else 35) + rng.uniform(-4, 4):.1f}")
        rows.append(f"{stamp},active_connections,orders-db,{(98 if slow else 22) + rng.randint(-3, 3)}")
        rows.append(f"{stamp},http_p99_ms,orders-api,{(6200 if slow else 140) + rng.uniform(-40, 40):.0f}")
        rows.append(f"{stamp},http_requests_per_second,orders-api,{50 + rng.uniform(-3, 3):.1f}")
    (base / "metrics" / "orders_long.csv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    checkout_deploy(random.Random(7))
    orders_db_pool(random.Random(11))
