"""A channel to the ledger as one identity, with stubs that raise AllianceError."""

import datetime
import os
import time
import uuid

import grpc

from google.protobuf import timestamp_pb2

from alliance.errors import AllianceError
from alliance.v1 import audit_pb2_grpc, commands_pb2_grpc, queries_pb2_grpc, types_pb2

# Every call has a deadline: the server refuses calls without one.
DEFAULT_TIMEOUT_SECONDS = 30.0
# A command whose outcome is unknown (UNAVAILABLE, DEADLINE_EXCEEDED) is sent
# again this many times with the same event id; backoff doubles from this.
COMMAND_RETRIES = 2
RETRY_BACKOFF_SECONDS = 0.2


def new_event_id():
    """A fresh event id (a random UUID) for a command's meta.event_id."""
    return str(uuid.uuid4())


def timestamp(when=None):
    """A google.protobuf.Timestamp of `when` (an aware datetime; now, UTC, if None)."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(when.astimezone(datetime.timezone.utc).replace(tzinfo=None))
    return stamp


class TlsFiles:
    """The mutual TLS files of one identity: the CA that issued the server's
    certificate, and the identity's own certificate and key (PEM)."""

    def __init__(self, ca_path, certificate_path, key_path):
        self.ca_path = ca_path
        self.certificate_path = certificate_path
        self.key_path = key_path

    @classmethod
    def from_pki_dir(cls, pki_dir, identity):
        """The files deploy/pki.sh makes: <dir>/ca.crt, <dir>/<identity>.crt and .key."""
        return cls(os.path.join(pki_dir, "ca.crt"), os.path.join(pki_dir, f"{identity}.crt"),
                   os.path.join(pki_dir, f"{identity}.key"))

    def credentials(self):
        def read(path):
            with open(path, "rb") as f:
                return f.read()
        return grpc.ssl_channel_credentials(root_certificates=read(self.ca_path),
                                            private_key=read(self.key_path),
                                            certificate_chain=read(self.certificate_path))


class _Stub:
    """A generated stub whose methods take a deadline by default, raise
    AllianceError, and (for commands) resend a request whose outcome is
    unknown with the same event id."""

    def __init__(self, stub, timeout, retries):
        self._stub = stub
        self._timeout = timeout
        self._retries = retries

    def __getattr__(self, name):
        method = getattr(self._stub, name)

        def call(request, timeout=None, **kwargs):
            attempt = 0
            while True:
                try:
                    return method(request, timeout=timeout or self._timeout, **kwargs)
                except grpc.RpcError as error:
                    refusal = AllianceError.from_rpc_error(error)
                    if not refusal.outcome_unknown or attempt >= self._retries:
                        raise refusal from None
                    time.sleep(RETRY_BACKOFF_SECONDS * (2 ** attempt))
                    attempt += 1
        call.__name__ = name
        return call


class Client:
    """The service as one identity.

    target: "host:port" of allianced's gRPC port. The identity's TLS files
    come from `tls` (a TlsFiles) or from `pki_dir` and `identity`.
    commands, queries and audit are the three services' stubs.
    """

    def __init__(self, target, tls=None, *, pki_dir=None, identity=None,
                 timeout=DEFAULT_TIMEOUT_SECONDS):
        if tls is None:
            if pki_dir is None or identity is None:
                raise ValueError("give tls=TlsFiles(...) or pki_dir= and identity=")
            tls = TlsFiles.from_pki_dir(pki_dir, identity)
        self.identity = identity
        self.channel = grpc.secure_channel(target, tls.credentials())
        self.commands = _Stub(commands_pb2_grpc.CommandServiceStub(self.channel), timeout,
                              COMMAND_RETRIES)
        self.queries = _Stub(queries_pb2_grpc.QueryServiceStub(self.channel), timeout, 0)
        self.audit = _Stub(audit_pb2_grpc.AuditServiceStub(self.channel), timeout, 0)

    @staticmethod
    def meta(correlation_id=""):
        """A CommandMeta with a fresh event id."""
        return types_pb2.CommandMeta(event_id=new_event_id(), correlation_id=correlation_id)

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
