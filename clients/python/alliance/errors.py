"""Refusals as Python exceptions.

The server answers a refused call with a google.rpc.Status in the
grpc-status-details-bin trailer: an ErrorInfo whose `reason` is a stable
UPPER_SNAKE code (ANNUAL_LIMIT_EXCEEDED, ROLE_MAY_NOT_DISBURSE_FUNDS ...)
with its numbers in `metadata`, and for a malformed field a BadRequest.
"""

import grpc

from google.rpc import error_details_pb2, status_pb2

_DETAILS_KEY = "grpc-status-details-bin"


class AllianceError(Exception):
    """A call the server refused (or could not complete).

    code: the grpc.StatusCode; message: what to do about it, in words;
    reason and domain: the ErrorInfo's ("" when the server sent none);
    metadata: the ErrorInfo's metadata (dict of str); field_violations:
    [(field, description)] of a BadRequest.
    """

    def __init__(self, code, message, reason="", domain="", metadata=None,
                 field_violations=None):
        super().__init__(f"{code.name}: {reason + ': ' if reason else ''}{message}")
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.metadata = dict(metadata or {})
        self.field_violations = list(field_violations or [])

    @property
    def outcome_unknown(self):
        """True when a command may or may not have been recorded: retry it
        with the same event id (the server answers the first outcome)."""
        return self.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                             grpc.StatusCode.UNKNOWN)

    @classmethod
    def from_rpc_error(cls, error):
        """The AllianceError of a grpc.RpcError raised by a stub."""
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        message = error.details() if hasattr(error, "details") else str(error)
        reason, domain, metadata, violations = "", "", {}, []
        trailing = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
        for key, value in trailing or ():
            if key != _DETAILS_KEY:
                continue
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                bad_request = error_details_pb2.BadRequest()
                if detail.Unpack(info):
                    reason, domain, metadata = info.reason, info.domain, dict(info.metadata)
                elif detail.Unpack(bad_request):
                    violations.extend((v.field, v.description)
                                      for v in bad_request.field_violations)
        return cls(code, message or "", reason, domain, metadata, violations)
