"""A corpus of secrets and PII (all fake) embedded in log lines, CSV headers and screenshot text.

Each entry is ``(kind, value, text)``: ``value`` must never appear in anything sent to Bedrock;
``text`` is how it shows up in the artifact. :func:`write_incident` lays the corpus out as an
incident folder (logs/, metrics/, screenshots/, incident.json).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

LOG_SECRETS: list[tuple[str, str, str]] = [
    ("aws_access_key_id", "AKIAQ3EGRTS7UXN2WLPZ", "boto: using credentials aws_access_key_id=AKIAQ3EGRTS7UXN2WLPZ"),
    ("aws_secret_access_key", "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",
     "boto: aws_secret_access_key = Zk8vR2pQ+7mN4xT1bW9cY3hJ6fL0sD5gA2eK8uIo"),
    ("aws_session_token", "FwoGZXIvYXdzEJr0aDH7kQ2mPz9Lx3Vb8Nc4Rt1Yw6Ju",
     "request header X-Amz-Security-Token: FwoGZXIvYXdzEJr0aDH7kQ2mPz9Lx3Vb8Nc4Rt1Yw6Ju"),
    ("aws_temp_key_id", "ASIAZ7XK2M4N6P8Q0R2T", "assumed role, key ASIAZ7XK2M4N6P8Q0R2T expires in 3600s"),
    ("github_classic_pat", "ghp_R4nD0mT0k3nV4lu3F0rT35t1ngPurp0s3sXy",
     "git clone https://ghp_R4nD0mT0k3nV4lu3F0rT35t1ngPurp0s3sXy@github.com/acme/deploy.git failed"),
    ("github_fine_grained", "github_pat_11AB2CD3E0fGhIjKlMnOpQ_rStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz01",
     "CI token github_pat_11AB2CD3E0fGhIjKlMnOpQ_rStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz01 rejected"),
    ("gitlab_pat", "glpat-x9Yz8WvU7tS6rQ5pO4nM", "gitlab runner registered with glpat-x9Yz8WvU7tS6rQ5pO4nM"),
    ("slack_bot_token", "xoxb-2468013579-1357924680-AbCdEfGhIjKlMnOpQrStUvWx",
     "notifier: posting with xoxb-2468013579-1357924680-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("slack_webhook", "https://hooks.slack.com/services/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",
     "alert sent to https://hooks.slack.com/services/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 status=200"),
    ("stripe_secret", "sk_live_51HxQ2aBcDeFgHiJkLmNoPqRsT", "payment client init key sk_live_51HxQ2aBcDeFgHiJkLmNoPqRsT"),
    ("stripe_restricted", "rk_live_9zYxWvUtSrQpOnMlKjIhGf", "refund worker using rk_live_9zYxWvUtSrQpOnMlKjIhGf"),
    ("google_api_key", "AIzaSyD4-9tQxB7vW2kLmN3pR8sT1uV6wX0yZ5a", "maps call key=AIzaSyD4-9tQxB7vW2kLmN3pR8sT1uV6wX0yZ5a quota exceeded"),
    ("google_oauth_token", "ya29.a0AfH6SMBx9Kq2Lm3Np4Rs5Tu6Vw7Xy8Za1Bc2De3",
     "gcs upload with access token ya29.a0AfH6SMBx9Kq2Lm3Np4Rs5Tu6Vw7Xy8Za1Bc2De3 returned 401"),
    ("jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTQ0MiIsInJvbGUiOiJhZG1pbiJ9.c2lnbmF0dXJlX2Zha2VfMTIzNDU2",
     "auth failed for jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTQ0MiIsInJvbGUiOiJhZG1pbiJ9.c2lnbmF0dXJlX2Zha2VfMTIzNDU2 expired"),
    ("rsa_private_key_body", "MIIEowIBAAKCAQEAx7Qm2Vn9Lp4Rs8Tu1Wx3Yz6Ab0Cd5Ef",
     "loaded key -----BEGIN RSA PRIVATE KEY----- MIIEowIBAAKCAQEAx7Qm2Vn9Lp4Rs8Tu1Wx3Yz6Ab0Cd5Ef -----END RSA PRIVATE KEY-----"),
    ("openssh_private_key_body", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB",
     "deploy key line b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB"),
    ("postgres_url_password", "Sup3rS3cretPg", "connecting to postgres://orders_app:Sup3rS3cretPg@db-main.prod.acme-corp.com:5432/orders"),
    ("redis_url_password", "r3d1sP4ssw0rdX", "cache connect redis://:r3d1sP4ssw0rdX@cache-1.prod.acme-corp.com:6379/0 timed out"),
    ("basic_auth_header", "YWRtaW46cGFzc3dvcmQxMjM=", "upstream request Authorization: Basic YWRtaW46cGFzc3dvcmQxMjM="),
    ("bearer_token", "opaqTok.4f9a1c7e2b8d", "proxy forwarded Authorization: Bearer opaqTok.4f9a1c7e2b8d to billing"),
    ("password_kv", "Tr0ub4dorX3", "login attempt password=Tr0ub4dorX3 rejected"),
    ("json_password", "hunter2-Xy9", 'config loaded {"db": "orders", "password": "hunter2-Xy9", "pool": 50}'),
    ("yaml_passwd", "s3cr3t-yaml-pw", "parsed config: db_passwd: s3cr3t-yaml-pw"),
    ("api_key_kv", "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "vendor call api_key=9f8e7d6c5b4a39281706f5e4d3c2b1a0 failed 503"),
    ("x_api_key_header", "3kT9pLm2Qw8zXv5bN7cR1sD4", "headers x-api-key: 3kT9pLm2Qw8zXv5bN7cR1sD4 sent"),
    ("oauth_client_secret", "Gh7Jk9Lm2Np4Qr6St8Vw", "oauth refresh client_id=web client_secret=Gh7Jk9Lm2Np4Qr6St8Vw"),
    ("session_cookie", "8f14e45fceea167a5a36dedd4bea2543", "request Cookie: sessionid=8f14e45fceea167a5a36dedd4bea2543; theme=dark"),
    ("sendgrid", "SG.aBcDeFgHiJkLmNoPqRsTuV.wXyZ0123456789aBcDeFgHiJkLmNoPq", "mailer key SG.aBcDeFgHiJkLmNoPqRsTuV.wXyZ0123456789aBcDeFgHiJkLmNoPq"),
    ("twilio_api_key", "SK0123456789abcdef0123456789abcdef", "sms via SK0123456789abcdef0123456789abcdef"),
    ("npm_token", "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "npm publish token npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"),
    ("pypi_token", "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZjEyLTM0NTYtNzg5MC1hYmNkLWVmMTIzNDU2Nzg5MAACKlsz",
     "twine upload pypi-AgEIcHlwaS5vcmcCJGFiY2RlZjEyLTM0NTYtNzg5MC1hYmNkLWVmMTIzNDU2Nzg5MAACKlsz"),
    ("openai_key", "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34", "llm client sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34 429"),
    ("anthropic_key", "sk-ant-api03-Xy12Zw34Vu56Ts78Rq90Po12", "summariser sk-ant-api03-Xy12Zw34Vu56Ts78Rq90Po12 denied"),
    ("vault_token", "hvs.CAESIJlU9Ck2bXq7Z1RtYp3Wm5Nk", "vault login hvs.CAESIJlU9Ck2bXq7Z1RtYp3Wm5Nk ok"),
    ("shopify_token", "shpat_0123456789abcdef0123456789abcdef", "shop sync shpat_0123456789abcdef0123456789abcdef"),
    ("square_token", "sq0atp-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk", "square pay sq0atp-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk"),
    ("mailgun_key", "key-0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d", "mailgun key-0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d 401"),
    ("mailchimp_key", "0123456789abcdef0123456789abcdef-us6", "newsletter 0123456789abcdef0123456789abcdef-us6"),
    ("telegram_bot_token", "1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
     "bot 1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1 polling"),
    ("discord_webhook", "https://discord.com/api/webhooks/112233445566/AbCdEfGhIjKlMnOp",
     "posting https://discord.com/api/webhooks/112233445566/AbCdEfGhIjKlMnOp"),
    ("azure_storage_key", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq",
     "blob conn DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq;EndpointSuffix=core.windows.net"),
    ("azure_sas_signature", "Xq7Yt2Zu9Vw4Ab3Cd8Ef1Gh6", "GET /c/b?sv=2021-06-08&sp=r&sig=Xq7Yt2Zu9Vw4Ab3Cd8Ef1Gh6 403"),
    ("huggingface_token", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", "model pull hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"),
    ("datadog_api_key", "0123abcd4567ef890123abcd4567ef89", "agent start DD_API_KEY=0123abcd4567ef890123abcd4567ef89"),
    ("heroku_api_key", "01234567-89ab-cdef-0123-456789abcdef", "deploy HEROKU_API_KEY=01234567-89ab-cdef-0123-456789abcdef"),
    ("k8s_secret_b64", "cGFzc3dvcmQxMjM0NQ==", "secret manifest DB_PASSWORD: cGFzc3dvcmQxMjM0NQ=="),
    ("docker_auth", "ZG9ja2VyOnMzY3IzdHB3ZA==", 'registry config {"auths": {"r.acme.io": {"auth": "ZG9ja2VyOnMzY3IzdHB3ZA=="}}}'),
    ("cli_password_flag", "Pr0dDbPassw0rd", "ran: mysqldump -u backup --password=Pr0dDbPassw0rd orders"),
    ("email", "jane.doe@acme-corp.io", "password reset sent to jane.doe@acme-corp.io"),
    ("ipv4_client", "203.0.113.77", "rate limited client 203.0.113.77 after 500 requests"),
    ("ipv6", "2001:db8:85a3::8a2e:370:7334", "connection from 2001:db8:85a3::8a2e:370:7334 reset"),
    ("mac_address", "3c:22:fb:9a:01:7e", "dhcp lease for 3c:22:fb:9a:01:7e renewed"),
    ("fqdn_hostname", "payments-db-2.eu-west-1.acme-corp.com", "failover to payments-db-2.eu-west-1.acme-corp.com"),
    ("ec2_hostname", "ip-10-42-7-19", "node ip-10-42-7-19 NotReady"),
    ("user_id", "u-7781234", "cart update user_id=u-7781234 failed"),
    ("ssh_user", "jsmith", "sshd: Accepted publickey for jsmith from 198.51.100.23 port 52211 ssh2"),
    ("credit_card", "4539 1488 0343 6467", "charge declined card 4539 1488 0343 6467"),
    ("ssn", "512-44-7391", "kyc check ssn 512-44-7391 mismatch"),
    ("phone", "+1 415-555-0199", "sms to +1 415-555-0199 undeliverable"),
    ("iban", "DE89 3704 0044 0532 0130 00", "payout to DE89 3704 0044 0532 0130 00 queued"),
    ("aws_account_in_arn", "482910573316", "AccessDenied on arn:aws:iam::482910573316:role/checkout-task"),
    ("home_dir_user", "mwilliams", "cannot read /home/mwilliams/.aws/credentials"),
    ("customer_id", "cus_Q8x7Z2", "invoice failed customer_id=cus_Q8x7Z2"),
]

CSV_SECRETS: list[tuple[str, str, str]] = [
    ("csv_ip_label", "10.20.30.40", 'http_errors{instance="10.20.30.40:9100"}'),
    ("csv_host_label", "web-3.prod.acme-corp.com", 'latency_p99{host="web-3.prod.acme-corp.com"}'),
    ("csv_email_column", "ops.lead@acme-corp.io", "queue_depth owner=ops.lead@acme-corp.io"),
    ("csv_token_label", "ghp_CsvH3ad3rT0k3nV4lu3Xy0123456789abcd", 'cpu{token="ghp_CsvH3ad3rT0k3nV4lu3Xy0123456789abcd"}'),
]

SCREENSHOT_SECRETS: list[tuple[str, str, str]] = [
    ("shot_email", "oncall.bob@acme-corp.io", "Owner: oncall.bob@acme-corp.io"),
    ("shot_ip", "172.16.99.201", "Target 172.16.99.201"),
    ("shot_password", "PanelPassw0rd9", "password: PanelPassw0rd9"),
    ("shot_token", "xoxb-97531-86420-ZyXwVuTsRq", "Slack xoxb-97531-86420-ZyXwVuTsRq"),
]

INCIDENT_SECRETS: list[tuple[str, str, str]] = [
    ("incident_email", "reporter.kim@acme-corp.io", "Reported by reporter.kim@acme-corp.io"),
]

ALL = LOG_SECRETS + CSV_SECRETS + SCREENSHOT_SECRETS + INCIDENT_SECRETS


def write_incident(root: Path, screenshot_png: bytes) -> Path:
    """Lay the corpus out as an incident folder under ``root``; returns the folder."""
    inc = root / "secrets-incident"
    for sub in ("logs", "metrics", "screenshots"):
        (inc / sub).mkdir(parents=True, exist_ok=True)
    lines = []
    for i, (_kind, _value, text) in enumerate(LOG_SECRETS):
        level = "ERROR" if i % 3 == 0 else "WARN" if i % 3 == 1 else "INFO"
        lines.append(f"2026-11-30T10:{i // 6:02d}:{(i * 7) % 60:02d}Z {level} checkout-service {text}")
    for k in range(40):
        lines.append(f"2026-11-30T10:{12 + k // 10:02d}:{(k * 5) % 60:02d}Z ERROR checkout-service db connection pool "
                     f"exhausted (waited 30000 ms) for request r-{k}")
    (inc / "logs" / "checkout.log").write_text("\n".join(lines) + "\n")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["timestamp"] + [text for _k, _v, text in CSV_SECRETS])
    for m in range(30):
        writer.writerow([f"2026-11-30T10:{m:02d}:00Z"] + [round((5.0 if m >= 12 else 0.1) * (j + 1) + 0.01 * (m % 3), 3)
                                                         for j in range(len(CSV_SECRETS))])
    rows = [buf.getvalue().rstrip("\n")]
    (inc / "metrics" / "checkout_metrics.csv").write_text("\n".join(rows) + "\n")
    (inc / "screenshots" / "dashboard.png").write_bytes(screenshot_png)
    (inc / "incident.json").write_text(json.dumps({
        "title": "Checkout 5xx spike", "services": ["checkout-service"], "severity": "SEV2",
        "description": "Errors since 10:12 UTC. " + " ".join(t for _k, _v, t in INCIDENT_SECRETS)}))
    return inc
