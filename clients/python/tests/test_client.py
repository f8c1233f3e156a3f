"""The Python client against a real server: the example script an agency
would start from, refusals as AllianceError with their details, a command
resent with its event id, and who may call."""

import os
import subprocess
import sys

import grpc
import pytest

from alliance import AllianceError, Client, TlsFiles, new_event_id, timestamp
from alliance.v1 import commands_pb2, events_pb2, queries_pb2

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "select_and_disburse.py")
CONSORTIUM = "jeonnam-example-energy"


def run_example(server, *args):
    return subprocess.run([sys.executable, EXAMPLE, f"--server={server.address}",
                           f"--pki_dir={server.pki_dir}", f"--consortium={CONSORTIUM}", *args],
                          capture_output=True, text=True, timeout=60)


def consortium(server, consortium_id, identity="kiat"):
    with server.client(identity) as client:
        return client.queries.GetConsortium(
            queries_pb2.GetConsortiumRequest(consortium_id=consortium_id))


def test_example_selects_disburses_and_prints_status(server):
    first = run_example(server, "--amount_krw=345000000")
    assert first.returncode == 0, first.stderr
    assert f"selected {CONSORTIUM}" in first.stdout
    assert "disbursed 345,000,000 KRW" in first.stdout
    assert "disbursed 345,000,000 of 6,900,000,000 KRW" in first.stdout
    status = consortium(server, CONSORTIUM)
    assert status.region_code == "KR-46"
    assert status.disbursed_total_krw == 345_000_000

    # Run again: selected and signed before, a second payment.
    second = run_example(server, "--amount_krw=100000000")
    assert second.returncode == 0, second.stderr
    assert "was selected before" in second.stdout
    assert "agreement was signed before" in second.stdout
    assert consortium(server, CONSORTIUM).disbursed_total_krw == 445_000_000


def disbursement(amount_krw, consortium_id="gyeongnam-metal-3d-printing", year=2024):
    return commands_pb2.DisburseFundsRequest(
        meta=Client.meta(), disbursement=events_pb2.FundsDisbursed(
            consortium_id=consortium_id, program_year=year, amount_krw=amount_krw,
            payment_reference="PYTEST-" + new_event_id()[:8], occurred_at=timestamp()))


def test_a_role_refusal_carries_its_reason_and_metadata(server):
    with server.client("ministry") as ministry:
        with pytest.raises(AllianceError) as refused:
            ministry.commands.DisburseFunds(disbursement(1_000))
    error = refused.value
    assert error.code == grpc.StatusCode.PERMISSION_DENIED
    assert error.reason == "ROLE_MAY_NOT_DISBURSE_FUNDS"
    assert error.domain == "alliance.kiat.or.kr"
    assert error.metadata["identity"] == "ministry"
    assert not error.outcome_unknown


def test_a_malformed_field_names_the_field(server):
    with server.client("kiat") as kiat:
        with pytest.raises(AllianceError) as refused:
            kiat.commands.DisburseFunds(disbursement(0))
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in refused.value.field_violations] == ["disbursement.amount_krw"]


def test_a_rule_refusal_leaves_the_consortium_unchanged(server):
    before = consortium(server, "chungnam-future-vehicles")
    with server.client("kiat") as kiat:
        with pytest.raises(AllianceError) as refused:
            kiat.commands.DisburseFunds(
                disbursement(before.limit_total_krw + 1, "chungnam-future-vehicles"))
    assert refused.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert refused.value.reason  # e.g. ANNUAL_LIMIT_EXCEEDED
    after = consortium(server, "chungnam-future-vehicles")
    assert after.disbursed_total_krw == before.disbursed_total_krw
    assert after.stream_version == before.stream_version


def test_a_command_resent_with_its_event_id_is_recorded_once(server):
    request = disbursement(1_000)
    with server.client("kiat") as kiat:
        first = kiat.commands.DisburseFunds(request)
        again = kiat.commands.DisburseFunds(request)
    assert not first.replayed
    assert again.replayed
    assert again.global_position == first.global_position


def test_an_unregistered_certificate_is_unauthenticated(server):
    stranger = Client(server.address, TlsFiles.from_pki_dir(server.pki_dir, "stranger"))
    with pytest.raises(AllianceError) as refused:
        stranger.queries.GetConsortium(
            queries_pb2.GetConsortiumRequest(consortium_id="chungnam-future-vehicles"))
    stranger.close()
    assert refused.value.code == grpc.StatusCode.UNAUTHENTICATED


def test_a_region_reads_only_its_consortia(server):
    with server.client("chungnam") as chungnam:
        listed = chungnam.queries.ListConsortia(queries_pb2.ListConsortiaRequest())
        assert [c.region_code for c in listed.consortia] == ["KR-44"]
        with pytest.raises(AllianceError) as refused:
            chungnam.queries.GetConsortium(
                queries_pb2.GetConsortiumRequest(consortium_id="ulsan-secondary-batteries"))
    assert refused.value.reason == "ROLE_MAY_NOT_READ_CONSORTIUM"
