#!/usr/bin/env python3
"""An agency system's day, in Python: the ministry selects a consortium into
the 2024 round, KIAT signs its 2024 agreement and pays the first instalment,
and the consortium's status is printed.

    PYTHONPATH=build/clients/python python3 clients/python/examples/select_and_disburse.py \
        --server=localhost:50051 --pki_dir=var/pki

Against deploy/run.sh's server (the 2023 program, its 2024 round open). A
second run finds the consortium selected and the agreement signed, says so,
and pays again: each payment has its own reference.
"""

import argparse
import sys

import grpc

from alliance import AllianceError, Client, timestamp
from alliance.v1 import commands_pb2, events_pb2, queries_pb2, types_pb2

UNIVERSITY = types_pb2.PARTICIPANT_ROLE_UNIVERSITY
ENTERPRISE = types_pb2.PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE


def selection(consortium_id, program_id, year):
    # Illustrative participants (valid business registration numbers).
    participants = [
        types_pb2.Participant(participant_id="4028200013", name_ko="예시대학교",
                              name_en="Example University", role=UNIVERSITY),
        types_pb2.Participant(participant_id="4028100020", name_ko="예시에너지(주)",
                              name_en="Example Energy", role=ENTERPRISE),
        types_pb2.Participant(participant_id="4028100035", name_ko="예시소재(주)",
                              name_en="Example Materials", role=ENTERPRISE),
    ]
    return commands_pb2.SelectConsortiumRequest(
        meta=Client.meta(correlation_id="python-example"),
        selection=events_pb2.ConsortiumSelected(
            consortium_id=consortium_id, program_id=program_id, round_year=year,
            region_code="KR-46", region_name_ko="전라남도", field_ko="에너지신산업",
            field_en="new energy industries", lead_participant_id="4028200013",
            participants=participants, occurred_at=timestamp()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="localhost:50051")
    parser.add_argument("--pki_dir", default="var/pki")
    parser.add_argument("--program", default="alliance-2023")
    parser.add_argument("--consortium", default="jeonnam-example-energy")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--grant_krw", type=int, default=1_380_000_000)
    parser.add_argument("--amount_krw", type=int, default=345_000_000)
    args = parser.parse_args()

    ministry = Client(args.server, pki_dir=args.pki_dir, identity="ministry")
    kiat = Client(args.server, pki_dir=args.pki_dir, identity="kiat")
    try:
        try:
            result = ministry.commands.SelectConsortium(
                selection(args.consortium, args.program, args.year))
            print(f"selected {args.consortium}: event {result.event_id} at position "
                  f"{result.global_position}")
        except AllianceError as refusal:
            if refusal.reason != "CONSORTIUM_ALREADY_SELECTED":
                raise
            print(f"{args.consortium} was selected before")

        try:
            kiat.commands.SignAgreement(commands_pb2.SignAgreementRequest(
                meta=Client.meta(), agreement=events_pb2.AgreementSigned(
                    consortium_id=args.consortium, program_year=args.year,
                    grant_krw=args.grant_krw,
                    agreement_reference=f"KIAT-{args.year}-{args.consortium}",
                    occurred_at=timestamp())))
            print(f"agreement for {args.year} signed: {args.grant_krw:,} KRW")
        except AllianceError as refusal:
            if refusal.reason != "AGREEMENT_ALREADY_SIGNED":
                raise
            print(f"the {args.year} agreement was signed before")

        request = commands_pb2.DisburseFundsRequest(
            meta=Client.meta(), disbursement=events_pb2.FundsDisbursed(
                consortium_id=args.consortium, program_year=args.year,
                amount_krw=args.amount_krw, occurred_at=timestamp()))
        request.disbursement.payment_reference = f"PY-{request.meta.event_id[:8]}"
        paid = kiat.commands.DisburseFunds(request)
        print(f"disbursed {args.amount_krw:,} KRW: event {paid.event_id}")

        status = kiat.queries.GetConsortium(
            queries_pb2.GetConsortiumRequest(consortium_id=args.consortium))
        print(f"{status.consortium_id} ({status.region_name_ko}, {status.field_en}): "
              f"disbursed {status.disbursed_total_krw:,} of {status.limit_total_krw:,} KRW, "
              f"remaining {status.remaining_total_krw:,}; state "
              f"{types_pb2.ConsortiumState.Name(status.state)}")
        return 0
    except AllianceError as refusal:
        print(f"refused: {refusal.code.name} {refusal.reason}: {refusal.message} "
              f"{refusal.metadata}", file=sys.stderr)
        return 1
    finally:
        ministry.close()
        kiat.close()


if __name__ == "__main__":
    sys.exit(main())
