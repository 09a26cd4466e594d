"""nginx on this machine in front of a local server, with the deployment's own
locations, proxy and page-cache directives (deploy/nginx/civic-*.conf but
civic.conf), everything else in a scratch folder: for the tests, the
benchmarks and a look at the front cache without installing anything in /etc.

    .venv/bin/python bin/nginx_front.py --upstream 127.0.0.1:8000 --port 8080

``nginx_front(upstream, port, folder)`` is the same as a context manager.
"""

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

NGINX_DIR = Path(__file__).resolve().parent.parent / "deploy" / "nginx"
# Where the deployment's files name their folders (install.sh puts them there).
CONF_FOLDER = "/etc/nginx/civic/"
CACHE_FOLDER = "/var/cache/nginx/"
# The files of deploy/nginx that go to CONF_FOLDER (civic.conf is the site's
# own server, written here instead).
INCLUDED = (
    "civic-cache.conf",
    "civic-locations.conf",
    "civic-proxy.conf",
    "civic-shared.conf",
    "civic-fragments.conf",
    "civic-upstream.conf",
)


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def write_config(folder: Path, *, upstream: str, port: int) -> Path:
    """An nginx.conf in ``folder`` with the deployment's directives, copied
    there with their folders moved into it (the caches in ``folder/cache``);
    returns its path."""
    (folder / "cache").mkdir(exist_ok=True)
    for name in INCLUDED:
        text = (NGINX_DIR / name).read_text()
        if name == "civic-cache.conf" and CACHE_FOLDER not in text:
            raise RuntimeError(f"civic-cache.conf no longer names {CACHE_FOLDER}")
        text = text.replace(CONF_FOLDER, f"{folder}/")
        # On a port of its own the browser names host:port (its Origin says
        # so, and Django's CSRF check compares the two); $host drops the port.
        text = text.replace(
            "proxy_set_header Host $host;", "proxy_set_header Host $http_host;"
        )
        (folder / name).write_text(text.replace(CACHE_FOLDER, f"{folder / 'cache'}/"))
    # As root, nginx's workers would run as nobody, who cannot write here.
    user = "user root root;" if os.geteuid() == 0 else ""
    temp = " ".join(
        f"{kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""{user}
daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    {temp}
    include {folder / "civic-cache.conf"};
    upstream civic_web {{ server {upstream}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{port};
        include {folder / "civic-locations.conf"};
    }}
}}
"""
    )
    return conf


@contextlib.contextmanager
def nginx_front(upstream: str, port: int, folder: Path):
    """nginx on ``127.0.0.1:port`` in front of ``upstream`` (host:port) while
    the block runs; yields its base URL."""
    binary = nginx_binary()
    if not Path(binary).exists():
        raise RuntimeError("nginx is missing: run `make system-deps`")
    conf = write_config(folder, upstream=upstream, port=port)
    process = subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                raise RuntimeError((folder / "error.log").read_text()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", default="127.0.0.1:8000")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--folder", default="var/nginx-front")
    args = parser.parse_args()
    folder = Path(args.folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    with nginx_front(args.upstream, args.port, folder) as url:
        print(f"nginx on {url} in front of {args.upstream}; Ctrl-C stops it")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
