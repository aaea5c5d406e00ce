"""A real nginx in front of a lesson's servers, run as the current user inside a temporary prefix.

Nothing of the system's nginx is used or touched: no /etc/nginx, no /var/log/nginx, no root, no
service. We run the binary the learner installed (Debian ``nginx-light``, Homebrew ``nginx``,
conda-forge ``nginx``) as::

    nginx -p PREFIX -e PREFIX/error.log -c PREFIX/nginx.conf -g 'daemon off;'

``-p`` makes every relative path of the config relative to PREFIX, ``-e`` moves the error log
nginx opens *before* reading the config (otherwise /var/log/nginx/error.log, which a normal user
may not write), and ``daemon off`` keeps the master process in the foreground, so it is our child:
we stop it (SIGTERM, a fast shutdown) and ``wait()`` for it like any other server. The config must
put ``pid``, the logs and every ``*_temp_path`` inside PREFIX too (see the lesson's template).

    with Nginx(render(template, port=8000), prefix, port=8000) as proxy:
        proxy.url, proxy.access_log(), proxy.error_log()
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from workshop import net, procs
from workshop.launch import Service

ENV_NGINX = "WORKSHOP_NGINX"
#: Where packages put nginx when it is not on PATH (Debian installs it in /usr/sbin, which a
#: normal user's PATH often lacks).
CANDIDATES = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/opt/homebrew/bin/nginx", "/usr/local/bin/nginx",
              "/opt/local/sbin/nginx"]
TEMP_PATHS = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]


def find_nginx() -> str | None:
    """The nginx binary to use: ``$WORKSHOP_NGINX``, then PATH, then the usual install places."""
    chosen = os.environ.get(ENV_NGINX)
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    found = shutil.which("nginx")
    if found:
        return found
    return next((c for c in CANDIDATES if os.access(c, os.X_OK)), None)


def install_instructions() -> str:
    if sys.platform == "darwin":
        how = "brew install nginx"
    else:
        how = "sudo apt-get install nginx-light   (Debian/Ubuntu; Fedora: sudo dnf install nginx)"
    return ("No nginx found, so the checks that run through a real nginx were skipped. Install one (it is only "
            f"run as you, on 127.0.0.1, never as a service):\n    {how}\nor with conda: conda install -c conda-forge "
            f"nginx\nor point {ENV_NGINX} at an nginx binary.")


def version(binary: str) -> str:
    """``1.22.1`` (nginx prints its version on stderr)."""
    out = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10)
    match = re.search(r"nginx/([\d.]+)", out.stderr + out.stdout)
    return match.group(1) if match else "unknown"


def render(template: str, **values) -> str:
    """Fill the ``{{name}}`` placeholders of ``template`` (nginx's own ``$variables`` stay as they are).

    A placeholder without a value is an error, so a template and its launcher cannot drift apart.
    """
    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"the nginx template needs a value for {{{{{name}}}}}")
        return str(values[name])

    return re.sub(r"\{\{\s*(\w+)\s*\}\}", fill, template)


def self_signed(folder: Path, host: str = net.LOOPBACK) -> tuple[Path, Path]:
    """A self-signed certificate for ``host`` (and localhost), made now: ``(cert.pem, key.pem)`` in ``folder``.

    With the ``cryptography`` package (Daphne's Twisted brings it) when it is there, else with
    ``openssl req``. Clients must be told to trust it: an ``ssl`` context loading cert.pem, or
    Chromium's ``ignore_https_errors``.
    """
    folder = Path(folder)
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        _with_cryptography(cert, key, host)
    except ImportError:
        openssl = shutil.which("openssl")
        if openssl is None:
            raise RuntimeError("neither the cryptography package nor openssl is installed: no certificate for TLS")
        subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={host}",
                        "-addext", f"subjectAltName=IP:{host},DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True, timeout=60)
    return cert, key


def _with_cryptography(cert: Path, key: Path, host: str) -> None:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host)),
                                                               x509.DNSName("localhost")]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(private, hashes.SHA256()))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


class Nginx(Service):
    """nginx serving ``config`` (the rendered text) from ``prefix``; ready when ``port`` listens and
    the master has started a worker. nginx listens on each port as soon as it has bound it, retries a
    busy one for 2.5 s and then exits; it starts its workers only once every port is bound. So one
    port answering proves little, and a worker proves all (the config must keep nginx's default
    ``master_process on``: a single-process nginx never starts one).

    Its stdout and stderr go to ``prefix/nginx.out``; the config decides where the access and error
    logs go (``access.log`` and ``error.log`` in the prefix, for ``access_log()``/``error_log()``).
    """

    def __init__(self, config: str, prefix: Path, port: int, *, name: str = "nginx", binary: str | None = None,
                 host: str = net.LOOPBACK, timeout: float = 10.0):
        binary = binary or find_nginx()
        if binary is None:
            raise RuntimeError(install_instructions())
        self.prefix = Path(prefix).resolve()
        for temp in TEMP_PATHS:
            (self.prefix / "temp" / temp).mkdir(parents=True, exist_ok=True)
        self.conf = self.prefix / "nginx.conf"
        self.conf.write_text(config)
        argv = [binary, "-p", f"{self.prefix}/", "-e", str(self.prefix / "error.log"), "-c", str(self.conf),
                "-g", "daemon off;"]
        super().__init__(name, argv, port, host=host, log_path=self.prefix / "nginx.out", ready_timeout=timeout)

    def start(self) -> "Nginx":
        super().start()
        self.wait_ready(lambda: procs.descendants(self.proc.pid),
                        f"{self.name} answered on {self.host}:{self.port} but never started a worker: another of "
                        "its ports was taken?", interval=0.02)
        return self

    def access_log(self, lines: int = 40) -> str:
        return _tail(self.prefix / "access.log", lines)

    def error_log(self, lines: int = 40) -> str:
        return _tail(self.prefix / "error.log", lines)

    def log_tail(self, lines: int = 40) -> str:
        """What nginx said at start-up and its error log (a config error names the file and line)."""
        return "\n".join(part for part in (super().log_tail(lines), self.error_log(lines)) if part.strip())


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
