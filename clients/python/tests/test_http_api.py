"""The JSON/HTTP face against a real server, beside its gRPC face: every
route reaches its gRPC method (the same request gets the same answer, or the
same refusal, both ways), every error maps to AIP-193's HTTP code with its
google.rpc details, and identities without permission are refused. Routes
come from the protos' google.api.http options, not from a copy."""

import json
import os
import re
import socket
import ssl
import urllib.error
import urllib.request

import pytest
from google.api import annotations_pb2
from google.protobuf import json_format, symbol_database

from alliance import AllianceError, new_event_id
from conftest import SOURCE, run
from alliance.v1 import audit_pb2, commands_pb2, queries_pb2

# Values for the path variables of the GET routes, from the seed.
PATH_VALUES = {
    "consortium_id": "chungnam-future-vehicles",
    "program_id": "alliance-2023",
    "participant_id": "3128195582",
    "stream_id": "consortium-chungnam-future-vehicles",
    "leaf_index": "2",
}
QUERY_VALUES = {"GetInclusionProof": {"tree_size": "5"},
                "GetConsistencyProof": {"first": "3", "second": "7"}}
GRPC_TO_HTTP = {"INVALID_ARGUMENT": 400, "FAILED_PRECONDITION": 400, "OUT_OF_RANGE": 400,
                "UNAUTHENTICATED": 401, "PERMISSION_DENIED": 403, "NOT_FOUND": 404,
                "ALREADY_EXISTS": 409, "ABORTED": 409, "RESOURCE_EXHAUSTED": 429}


def routes():
    """(service stub name, method name, verb, path template) of every unary
    method with a google.api.http option."""
    found = []
    for module, service, stub in ((commands_pb2, "CommandService", "commands"),
                                  (queries_pb2, "QueryService", "queries"),
                                  (audit_pb2, "AuditService", "audit")):
        for method in module.DESCRIPTOR.services_by_name[service].methods:
            options = method.GetOptions()
            if not options.HasExtension(annotations_pb2.http):
                continue
            rule = options.Extensions[annotations_pb2.http]
            verb = rule.WhichOneof("pattern")
            found.append((stub, method, verb.upper(), getattr(rule, verb)))
    return found


class Http:
    """HTTPS calls as one identity: a client certificate, a token, or neither."""

    def __init__(self, server, identity=None, token=None):
        self.base = f"https://localhost:{server.http_port}"
        self.context = ssl.create_default_context(cafile=f"{server.pki_dir}/ca.crt")
        self.headers = {}
        if identity:
            self.context.load_cert_chain(f"{server.pki_dir}/{identity}.crt",
                                         f"{server.pki_dir}/{identity}.key")
        if token:
            self.headers["Authorization"] = "Bearer " + token

    def call(self, verb, path, body=None):
        data = None if body is None else (body if isinstance(body, bytes) else
                                          json.dumps(body).encode())
        request = urllib.request.Request(self.base + path, data=data, method=verb,
                                         headers={"Content-Type": "application/json",
                                                  **self.headers})
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


def message_of(descriptor):
    """An empty message of a descriptor's type, from the generated classes."""
    return symbol_database.Default().GetSymbol(descriptor.full_name)()


def bind(request, template, values):
    """Sets the fields the template's path variables name, as the route does."""
    for field in re.findall(r"\{([a-z_.]+)\}", template):
        target = request
        *parents, leaf = field.split(".")
        for parent in parents:
            target = getattr(target, parent)
        setattr(target, leaf, values[leaf])
    return request


def fill(template, values):
    return re.sub(r"\{([a-z_.]+)\}", lambda m: values[m.group(1).split(".")[-1]], template)


def reason_of(error_body):
    for detail in error_body["error"].get("details", []):
        if detail.get("@type", "").endswith("google.rpc.ErrorInfo"):
            return detail["reason"]
    return ""


def test_the_routes_cover_every_unary_method_of_the_three_services():
    covered = {(stub, method.name) for stub, method, _, _ in routes()}
    for module, service, stub in ((commands_pb2, "CommandService", "commands"),
                                  (queries_pb2, "QueryService", "queries"),
                                  (audit_pb2, "AuditService", "audit")):
        for method in module.DESCRIPTOR.services_by_name[service].methods:
            streaming = method.name in ("ReadLog", "Subscribe", "VerifyLog")
            assert ((stub, method.name) in covered) != streaming, method.full_name


@pytest.mark.parametrize("route", [r for r in routes() if r[2] == "GET"],
                         ids=lambda r: r[1].name)
def test_every_get_route_answers_as_its_grpc_method(server, route):
    stub, method, verb, template = route
    path = fill(template, PATH_VALUES)
    query = QUERY_VALUES.get(method.name, {})
    status, body = Http(server, identity="auditor").call(
        verb, path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""))
    assert status == 200, body
    request = json_format.ParseDict(
        {**{k: v for k, v in PATH_VALUES.items() if "{" + k + "}" in template}, **query},
        message_of(method.input_type))
    with server.client("auditor") as auditor:
        answer = json_format.MessageToDict(getattr(getattr(auditor, stub), method.name)(request),
                                           including_default_value_fields=True)
    if method.name == "GetTreeHead":
        # Each head is signed when asked for: its time and signature differ.
        for signed_now in ("timestamp", "signature"):
            assert body.pop(signed_now) and answer.pop(signed_now)
    assert body == answer


@pytest.mark.parametrize("route", [r for r in routes() if r[2] == "POST"],
                         ids=lambda r: r[1].name)
def test_every_command_route_reaches_its_method(server, route):
    """An empty command, bound to a consortium by the path: the method's own
    validation refuses it, the same way over both faces."""
    stub, method, verb, template = route
    identity = "ministry" if method.name in (
        "EstablishProgram", "SelectConsortium", "OpenSelectionRound", "SuspendConsortium",
        "ResumeConsortium", "TerminateConsortium", "CompleteConsortium") else "kiat"
    if method.name in ("EnrolResearcher", "RecordGraduation", "RecordHire", "RecordDeparture",
                       "RetractResearcherStep"):
        identity = "kongju"  # the lead university of chungnam-future-vehicles
    status, body = Http(server, identity=identity).call(verb, fill(template, PATH_VALUES), {})
    request = bind(message_of(method.input_type), template, PATH_VALUES)
    with server.client(identity) as client:
        with pytest.raises(AllianceError) as refused:
            getattr(client.commands, method.name)(request)
    assert status == GRPC_TO_HTTP[refused.value.code.name], body
    assert body["error"]["status"] == refused.value.code.name
    assert reason_of(body) == refused.value.reason
    assert body["error"]["message"] == refused.value.message


def payment(event_id=None, amount="1000", reference=None):
    return {"meta": {"eventId": event_id or new_event_id()},
            "disbursement": {"programYear": 2024, "amountKrw": amount,
                             "paymentReference": reference or "HTTP-" + new_event_id()[:8],
                             "occurredAt": "2024-06-03T00:00:00Z"}}


DISBURSE = "/v1/consortia/gyeongnam-metal-3d-printing:disburse"


def test_a_command_over_https_is_recorded_as_its_identity(server):
    event_id = new_event_id()
    status, body = Http(server, token=server.token("kiat")).call("POST", DISBURSE,
                                                                 payment(event_id))
    assert status == 200, body
    assert body["eventId"] == event_id and body["replayed"] is False
    again_status, again = Http(server, identity="kiat").call("POST", DISBURSE, payment(event_id))
    assert again_status == 409 and reason_of(again) == "EVENT_ID_REUSED"  # another body
    with server.client("kiat") as kiat:
        events = kiat.queries.ReadEvents(queries_pb2.ReadEventsRequest(
            **{"from": int(body["globalPosition"]), "max_count": 1}))
    recorded = events.events[0]
    assert recorded.event_id == event_id
    assert (recorded.recorded_by.agency, recorded.recorded_by.principal) == ("KIAT", "kiat")


@pytest.mark.parametrize("case", [
    # (identity, token, verb, path, body, HTTP code, status, reason)
    ("kiat", None, "POST", DISBURSE, b"{not json", 400, "INVALID_ARGUMENT", "MALFORMED_REQUEST"),
    ("kiat", None, "POST", DISBURSE, {"unknownField": 1}, 400, "INVALID_ARGUMENT",
     "MALFORMED_REQUEST"),
    ("kiat", None, "POST", "/v1/consortia/ulsan-secondary-batteries:disburse",
     payment(amount="99999999999"), 400, "FAILED_PRECONDITION", None),
    ("kiat", None, "GET", "/v1/consortia/no-such-consortium", None, 404, "NOT_FOUND",
     "CONSORTIUM_NOT_FOUND"),
    ("kiat", None, "GET", "/v1/consortia/chungnam-future-vehicles?as_of_position=999999999",
     None, 400, "OUT_OF_RANGE", "AS_OF_AFTER_LOG"),
    ("kiat", None, "GET", "/v1/consortia/" + "x" * 300, None, 400, "INVALID_ARGUMENT", None),
    ("kiat", None, "GET", "/v1/consortia?page_size=abc", None, 400, "INVALID_ARGUMENT",
     "INVALID_FIELD"),
    ("kiat", None, "GET", "/v1/nowhere", None, 404, "NOT_FOUND", "ROUTE_NOT_FOUND"),
    ("kiat", None, "GET", DISBURSE, None, 405, "UNIMPLEMENTED", "HTTP_METHOD_NOT_ALLOWED"),
    (None, None, "GET", "/v1/consortia", None, 401, "UNAUTHENTICATED", "UNKNOWN_IDENTITY"),
    (None, "not-a-registered-token", "GET", "/v1/consortia", None, 401, "UNAUTHENTICATED",
     "UNKNOWN_IDENTITY"),
    ("stranger", None, "GET", "/v1/consortia", None, 401, "UNAUTHENTICATED", "UNKNOWN_IDENTITY"),
    ("ministry", None, "POST", DISBURSE, payment(), 403, "PERMISSION_DENIED",
     "ROLE_MAY_NOT_DISBURSE_FUNDS"),
    ("conex", None, "POST", DISBURSE, payment(), 403, "PERMISSION_DENIED", None),
    ("chungnam", None, "GET", "/v1/consortia/ulsan-secondary-batteries", None, 403,
     "PERMISSION_DENIED", "ROLE_MAY_NOT_READ_CONSORTIUM"),
    ("conex", None, "GET", "/v1/events", None, 403, "PERMISSION_DENIED", None),
    ("chungnam", None, "GET", "/v1/treeHead", None, 403, "PERMISSION_DENIED", None),
], ids=lambda c: f"{c[5]}-{c[7] or c[6]}")
def test_errors_map_to_aip193(server, case):
    identity, token, verb, path, body, code, status_name, reason = case
    status, answer = Http(server, identity=identity, token=token).call(verb, path, body)
    assert status == code, answer
    assert answer["error"]["code"] == code
    assert answer["error"]["status"] == status_name
    assert answer["error"]["message"]
    if reason:
        assert reason_of(answer) == reason, answer


def test_lists_are_filtered_for_a_region(server):
    status, body = Http(server, token=server.token("chungnam")).call("GET", "/v1/consortia")
    assert status == 200
    assert [c["regionCode"] for c in body["consortia"]] == ["KR-44"]
    status, body = Http(server, identity="kiat").call("GET", "/v1/consortia?region_code=KR-48")
    assert status == 200 and {c["regionCode"] for c in body["consortia"]} == {"KR-48"}


def served_certificate(server):
    """The DER certificate a new HTTPS connection is served."""
    context = ssl.create_default_context(cafile=f"{server.pki_dir}/ca.crt")
    with socket.create_connection(("localhost", server.http_port)) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


def test_a_certificate_replaced_on_disk_is_served_without_a_restart(server):
    before = served_certificate(server)
    for name in ("server.crt", "server.key"):
        os.remove(os.path.join(server.pki_dir, name))
    run([os.path.join(SOURCE, "deploy/pki.sh"), server.pki_dir])  # a new key and certificate
    after = served_certificate(server)
    assert after != before
    status, _ = Http(server, identity="kiat").call("GET", "/v1/consortia")
    assert status == 200


def test_a_refused_command_leaves_the_log_unchanged(server):
    with server.client("kiat") as kiat:
        head = kiat.audit.GetTreeHead(audit_pb2.GetTreeHeadRequest()).tree_size
        status, _ = Http(server, identity="ministry").call("POST", DISBURSE, payment())
        assert status == 403
        assert kiat.audit.GetTreeHead(audit_pb2.GetTreeHeadRequest()).tree_size == head
