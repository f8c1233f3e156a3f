"""A real allianced for the Python tests: a temporary store, a development
PKI and bearer tokens made by deploy/pki.sh and deploy/token.sh, deploy's
identity registry and method policy, loaded with the seed (alliancectl seed)
as deploy/run.sh loads it. One server for the whole session.

The build passes ALLIANCE_SOURCE_DIR, ALLIANCED and ALLIANCECTL (CMake's
python_client_test), and puts build/clients/python on PYTHONPATH.
"""

import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from alliance import AllianceError, Client
from alliance.v1 import queries_pb2

SOURCE = os.environ["ALLIANCE_SOURCE_DIR"]
ALLIANCED = os.environ["ALLIANCED"]
ALLIANCECTL = os.environ["ALLIANCECTL"]
# Give-up bounds, not expectations.
SERVING_BOUND_SECONDS = 30
STOP_BOUND_SECONDS = 15


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The running server: where it listens and the files to call it with."""

    def __init__(self, root):
        self.root = root
        self.pki_dir = str(root / "pki")
        self.identities_path = str(root / "identities.textpb")
        self.tokens_dir = root / "tokens"
        self.address = f"127.0.0.1:{free_port()}"
        self.http_port = free_port()
        self.log_path = root / "allianced.log"
        self.process = None

    def client(self, identity):
        return Client(self.address, pki_dir=self.pki_dir, identity=identity)

    def token(self, identity):
        return (self.tokens_dir / f"{identity}.token").read_text().strip()

    def log(self):
        return self.log_path.read_text(errors="replace")


def run(command):
    """Runs `command` to its end; fails the session with its output if it fails."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _registered_names(text):
    return re.findall(r'name: *"([a-z0-9-]+)"', text)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("alliance"))
    registry = open(os.path.join(SOURCE, "deploy/identities.textpb"), encoding="utf-8").read()
    names = _registered_names(registry)
    # "stranger": a certificate of the right CA that the registry does not hold.
    run([os.path.join(SOURCE, "deploy/pki.sh"), s.pki_dir, *names, "stranger"])
    tokens = run([os.path.join(SOURCE, "deploy/token.sh"), str(s.tokens_dir), *names])
    for line in tokens.splitlines():
        name, field = line.split(" ", 1)
        registry = re.sub(rf'name: *"{name}"', lambda m, f=field: f"{m.group(0)} {f}", registry,
                          count=1)
    with open(s.identities_path, "w", encoding="utf-8") as f:
        f.write(registry)

    log = open(s.log_path, "w")
    s.process = subprocess.Popen(
        [ALLIANCED, f"--data_dir={s.root / 'store'}", f"--listen={s.address}",
         f"--http_listen=127.0.0.1:{s.http_port}", f"--identities={s.identities_path}",
         f"--authz_policy={os.path.join(SOURCE, 'deploy/authz-policy.json')}",
         f"--tls_cert={s.pki_dir}/server.crt", f"--tls_key={s.pki_dir}/server.key",
         f"--tls_client_ca={s.pki_dir}/ca.crt"],
        stdout=log, stderr=subprocess.STDOUT)
    probe = s.client("kiat")
    deadline = time.monotonic() + SERVING_BOUND_SECONDS
    while True:
        assert s.process.poll() is None, f"allianced exited:\n{s.log()}"
        try:
            probe.queries.ListConsortia(queries_pb2.ListConsortiaRequest(), timeout=1)
            break
        except AllianceError:
            assert time.monotonic() < deadline, f"allianced did not serve:\n{s.log()}"
            time.sleep(0.1)
    probe.close()
    run([ALLIANCECTL, f"--server={s.address}", f"--pki_dir={s.pki_dir}",
         f"--identities={s.identities_path}", "seed"])
    yield s
    s.process.terminate()
    try:
        s.process.wait(STOP_BOUND_SECONDS)
    finally:
        if s.process.poll() is None:
            s.process.kill()
        log.close()
