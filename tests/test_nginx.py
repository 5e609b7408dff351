"""The shipped nginx config (deploy/nginx/survey.conf) in a real nginx (Debian's).

The file is used as it is, with only its machine-specific parts replaced: the listen
addresses (loopback ports), the certificate (a self-signed one made here), the log and
error-page paths (this test's folder) and the upstream servers (a port where nothing
listens, standing for an app server being restarted, and a tiny HTTP server standing
for a running one). Then links are opened and every log nginx wrote is searched.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "deploy" / "nginx" / "survey.conf"
NGINX = shutil.which("nginx") or next(
    (str(path) for path in (Path("/usr/sbin/nginx"),) if path.exists()), None
)


@pytest.fixture(autouse=True)
def _nginx_installed() -> None:
    if NGINX is None:
        pytest.fail(
            "nginx is not installed: these tests run Debian's nginx (apt-get install "
            "nginx-light; scripts/system-packages does it); they are not skipped on purpose.",
            pytrace=False,
        )


TOKEN = "Zq8_k2LmN-0pQrS3tUvWxY4zAbCdE5fGhI6jK7lMnO8"
SLOW_PATH = "/langsam"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Backend(BaseHTTPRequestHandler):
    """A running app server: 200 for everything, slow on SLOW_PATH."""

    def do_GET(self) -> None:
        if self.path.startswith(SLOW_PATH):
            time.sleep(3)
        body = b"app"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def backend() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@dataclass
class Nginx:
    process: subprocess.Popen[bytes]
    https_port: int
    http_port: int
    logs: Path

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> tuple[int, dict[str, str], str]:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, timeout=20, context=context
        )
        try:
            connection.putrequest(method, path, skip_host=True)
            connection.putheader("Host", "enkat.example.se")
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            connection.endheaders(body)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            return response.status, dict(response.getheaders()), text
        finally:
            connection.close()

    def every_log(self) -> str:
        """What nginx wrote to every log file, after it has flushed them."""
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.logs.iterdir()))


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=enkat.example.se", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def templated(
    folder: Path, upstreams: list[int], https_port: int, http_port: int, protected: bool = True
) -> str:
    """The shipped config with its machine-specific parts replaced (and nothing else)."""
    text = SHIPPED.read_text(encoding="utf-8")
    if not protected:
        crit = "        error_log /var/log/nginx/survey.error.log crit;\n"
        assert crit in text
        text = text.replace(crit, "")
    cert, key = self_signed_certificate(folder)
    servers = re.findall(r"^\s*server 10\.0\.1\.\d+:8000 .*;$", text, flags=re.MULTILINE)
    assert len(servers) == 2
    for line, port in zip(servers, upstreams, strict=True):
        text = text.replace(line, f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;")
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "/etc/ssl/certs/enkat.example.se.pem": str(cert),
        "/etc/ssl/private/enkat.example.se.key": str(key),
        "/var/log/nginx/": f"{folder}/logs/",
        "/srv/survey/deploy/nginx/errors/": f"{ROOT}/deploy/nginx/errors/",
        # Only so that the 504 test does not wait two minutes.
        "proxy_read_timeout 130s;": "proxy_read_timeout 1s;",
    }
    for shipped, replacement in replacements.items():
        assert shipped in text, shipped
        text = text.replace(shipped, replacement)
    return text


StartNginx = Callable[..., Nginx]  # start(upstream ports, protected=True)


@pytest.fixture
def start_nginx(tmp_path: Path) -> Iterator[StartNginx]:
    started: list[Nginx] = []

    def start(upstreams: list[int], protected: bool = True) -> Nginx:
        folder = tmp_path / f"nginx{len(started)}"
        (folder / "logs").mkdir(parents=True)
        https_port, http_port = free_port(), free_port()
        (folder / "survey.conf").write_text(
            templated(folder, upstreams, https_port, http_port, protected), encoding="utf-8"
        )
        # As root, nginx's workers would run as nobody, who cannot read this test's folder.
        user = "user root;" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"""{user}
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/logs/main.error.log;
events {{ worker_connections 64; }}
http {{
    access_log {folder}/logs/main.access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    default_type text/html;
    include {folder}/survey.conf;
}}
""",
            encoding="utf-8",
        )
        assert NGINX is not None
        command = [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                   "-e", str(folder / "logs" / "startup.log")]  # fmt: skip
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        nginx = Nginx(process, https_port, http_port, folder / "logs")
        started.append(nginx)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        return nginx

    yield start
    for nginx in started:
        nginx.process.terminate()
        nginx.process.wait(timeout=10)


def stopped(nginx: Nginx) -> str:
    """Stop nginx (so every log is complete) and return all it logged."""
    nginx.process.terminate()
    nginx.process.wait(timeout=10)
    return nginx.every_log()


MANGLED = [
    f"/svara/1/{TOKEN}",
    f"/svara/1/{TOKEN}/",
    f"/svara/1/{TOKEN}/klart",
    f"/svara/{TOKEN}",
    f"/SVARA/1/{TOKEN}",
    f"/svara/1/%20{TOKEN}",
    f"/%73vara/1/{TOKEN}",
    f"//svara/1/{TOKEN}",
    f"/svara/1/{TOKEN}?utm_source=mejl",
    # A lokal samverkan's group link is as good as a password too.
    f"/samverkan/4/{TOKEN}",
    f"/SAMVERKAN/4/{TOKEN}",
    f"/samverkan/4/{TOKEN}/x/y",
    f"/samverkan/4/%20{TOKEN}",
    f"/%73amverkan/4/{TOKEN}",
    f"//samverkan//4/{TOKEN}",
    f"/samverkan/4/{TOKEN}?utm_source=mejl",
]


def assert_no_link(logs: str) -> None:
    assert TOKEN not in logs and TOKEN.lower() not in logs
    assert TOKEN[:20] not in logs


@pytest.mark.parametrize("protected", [True, False], ids=["shipped", "without-the-crit-line"])
def test_it_keeps_links_out_of_every_log_while_an_app_server_restarts(
    start_nginx: StartNginx, backend: int, protected: bool
) -> None:
    # One app server down (a rolling restart), one up: nginx passes the request on, and
    # logs the failed attempt, with its request line and upstream URL, in the error log.
    nginx = start_nginx([free_port(), backend], protected=protected)
    # Another page tried on the server that is down: the error log does note it.
    others = [nginx.request("GET", f"/omgangar/{number}")[0] for number in range(2)]
    statuses = [nginx.request("GET", path)[0] for path in MANGLED]
    logs = stopped(nginx)
    assert set(statuses) == {200} and set(others) == {200}
    assert "connect() failed" in logs and "/omgangar/" in logs  # the error log works
    assert "[personlig-lank]" in logs
    if protected:
        assert_no_link(logs)
    else:  # the control: without the respondent location's log level, links leak
        assert TOKEN in (nginx.logs / "survey.error.log").read_text()


def test_it_serves_a_swedish_page_and_logs_no_link_when_every_app_server_is_down(
    start_nginx: StartNginx,
) -> None:
    nginx = start_nginx([free_port(), free_port()])
    answers = [nginx.request("GET", path) for path in MANGLED]
    other_status, _, _ = nginx.request("GET", "/omgangar")
    logs = stopped(nginx)
    for status, headers, body in answers:
        assert status == 502
        assert "Tjänsten är tillfälligt otillgänglig" in body and 'lang="sv"' in body
        assert "nginx" not in body.lower() and "Bad Gateway" not in body
        assert headers["Server"] == "nginx"  # server_tokens off: no version
        assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert other_status == 502
    assert_no_link(logs)
    # The access log has the error page's address instead of the one asked for.
    assert '"GET /_fel/502.html HTTP/1.1" 502' in logs


def test_it_says_in_swedish_that_the_file_is_too_large(
    start_nginx: StartNginx, backend: int
) -> None:
    nginx = start_nginx([backend, backend])
    for path in ("/omgangar/1/mottagare/ladda-upp", f"/svara/1/{TOKEN}"):
        status, _, body = nginx.request(
            "POST", path, {"Content-Length": str(12 * 1024 * 1024),
                           "Content-Type": "multipart/form-data; boundary=x"}
        )  # fmt: skip
        assert status == 413
        assert "Filen är för stor" in body and "nginx" not in body.lower()
    # The answers import takes up to SURVEY_MAX_IMPORT_MB (50) plus the form.
    twelve_mb = b"x" * (12 * 1024 * 1024)
    status, _, body = nginx.request(
        "POST", "/omgangar/1/importera-svar", {"Content-Length": str(len(twelve_mb)),
        "Content-Type": "multipart/form-data; boundary=x"}, twelve_mb,
    )  # fmt: skip
    assert (status, body) == (200, "app")
    status, _, body = nginx.request(
        "POST", "/omgangar/1/importera-svar", {"Content-Length": str(52 * 1024 * 1024),
        "Content-Type": "multipart/form-data; boundary=x"},
    )  # fmt: skip
    assert status == 413 and "Filen är för stor" in body
    assert_no_link(stopped(nginx))


def test_it_says_in_swedish_that_the_app_did_not_answer_in_time(
    start_nginx: StartNginx, backend: int
) -> None:
    nginx = start_nginx([backend, backend])
    status, headers, body = nginx.request("GET", SLOW_PATH)
    stopped(nginx)
    assert status == 504
    assert "Tjänsten svarade inte i tid" in body and "nginx" not in body.lower()
    assert "max-age=31536000" in headers["Strict-Transport-Security"]


def test_it_ships_a_swedish_page_for_every_error_nginx_itself_answers() -> None:
    config = SHIPPED.read_text(encoding="utf-8")
    assert re.search(r"^\s*server_tokens off;", config, flags=re.MULTILINE)
    for code in (413, 502, 503, 504):
        assert f"error_page {code} /_fel/{code}.html;" in config
        page = (ROOT / "deploy" / "nginx" / "errors" / f"{code}.html").read_text(encoding="utf-8")
        assert '<html lang="sv">' in page and "<h1>" in page
        assert "<script" not in page and "style" not in page


def test_it_blanks_links_in_the_access_log_as_the_app_does(
    start_nginx: StartNginx, backend: int
) -> None:
    nginx = start_nginx([backend, backend])
    kept = ["/svara/1", "/svara/1/klart", "/svara/1/paminnelser", "/svara/12/klart/",
            "/samverkan/plan", "/samverkan/grupper/4/plan", "/samverkan/4"]  # fmt: skip
    for path in kept + MANGLED:
        nginx.request("GET", path)
    logs = stopped(nginx)
    access = (nginx.logs / "survey.access.log").read_text()
    for path in kept:
        assert f'"GET {path} HTTP/1.1"' in access
    assert access.count("[personlig-lank]") == len(MANGLED)
    assert "utm_source" not in logs
    assert_no_link(logs)
