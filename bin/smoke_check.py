#!/usr/bin/env python3
"""Check a running deployment from the outside, as a visitor would.

    python3 bin/smoke_check.py https://civica.example.org
    python3 bin/smoke_check.py http://127.0.0.1:8000 --host civica.example.org \
        --forwarded-proto https      # gunicorn directly, before the proxy

Standard library only: run it from any machine after a deployment or an
upgrade. Exits 1 and says what is wrong when any check fails:
- /health/ answers 200 and every check (database, cache, broker, worker) is ok;
- the home page answers 200 with HSTS, a Content-Security-Policy, nosniff,
  frame denial and a request id;
- a static file the home page links to is served with a long cache lifetime
  (whitenoise's hashed names), the campaigns and open-data pages answer 200;
- a receipt path under /media/ is not served.
"""

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from urllib.parse import urljoin, urlsplit


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Checker:
    def __init__(self, base: str, host: str | None, proto: str | None):
        if urlsplit(base).scheme not in {"http", "https"}:
            raise SystemExit(f"not an http(s) URL: {base!r}")
        self.base = base.rstrip("/") + "/"
        self.headers = {"User-Agent": "civic-smoke-check/1"}
        if host:
            self.headers["Host"] = host
        if proto:
            self.headers["X-Forwarded-Proto"] = proto
        self.opener = urllib.request.build_opener(NoRedirect)
        self.failures: list[str] = []

    def get(self, path: str):
        url = urljoin(self.base, path)  # http(s), checked in __init__
        request = urllib.request.Request(url, headers=self.headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def expect(self, ok: bool, what: str) -> bool:
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            self.failures.append(what)
        return ok

    def run(self) -> int:
        status, _, body = self.get("health/")
        detail = body.decode("utf-8", "replace")[:300]
        if self.expect(status == 200, f"/health/ answers 200 (got {status}: {detail})"):
            checks = json.loads(body)["checks"]
            for name, check in checks.items():
                self.expect(check["status"] == "ok", f"health: {name} {check}")

        status, headers, body = self.get("")
        self.expect(status == 200, f"home page answers 200 (got {status})")
        for header, pattern in [
            ("Strict-Transport-Security", r"max-age=\d{7,}"),
            ("Content-Security-Policy", r"default-src 'self'"),
            ("X-Content-Type-Options", r"^nosniff$"),
            ("X-Frame-Options", r"^DENY$"),
            ("X-Request-ID", r"^[A-Za-z0-9._-]{8,64}$"),
        ]:
            value = headers.get(header) or ""
            self.expect(bool(re.search(pattern, value)), f"home: {header}: {value!r}")

        page = body.decode("utf-8", "replace")
        static = re.search(r'(?:href|src)="([^"]*/static/[^"]+\.css)"', page)
        if self.expect(bool(static), "home page links a stylesheet under /static/"):
            path = urlsplit(static.group(1)).path.lstrip("/")
            status, headers, _ = self.get(path)
            cache = headers.get("Cache-Control") or ""
            self.expect(status == 200, f"{path} answers 200 (got {status})")
            self.expect("max-age=315360000" in cache, f"{path} cached: {cache!r}")

        for path in ("campaigns/", "open-data/", "shop/catalogue/"):
            status, _, _ = self.get(path)
            self.expect(status == 200, f"/{path} answers 200 (got {status})")
        status, _, _ = self.get("media/receipts/2026/receipt-1.pdf")
        self.expect(status == 404, f"receipts have no public URL (got {status})")

        if self.failures:
            print(f"\n{len(self.failures)} check(s) failed.")
            return 1
        print("\nAll checks passed.")
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("--host", help="Host header (when calling gunicorn directly)")
    parser.add_argument("--forwarded-proto", help="X-Forwarded-Proto to send")
    args = parser.parse_args()
    return Checker(args.base_url, args.host, args.forwarded_proto).run()


if __name__ == "__main__":
    sys.exit(main())
