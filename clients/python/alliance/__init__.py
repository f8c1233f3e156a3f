"""The Python client of the Alliance case ledger.

An agency system records commands and reads status over gRPC with mutual
TLS, as the identity its client certificate names:

    from alliance import Client
    from alliance.v1 import queries_pb2

    client = Client("localhost:50051", pki_dir="var/pki", identity="kiat")
    status = client.queries.GetConsortium(
        queries_pb2.GetConsortiumRequest(consortium_id="chungnam-future-vehicles"))

A refusal is raised as AllianceError, carrying the gRPC code, the ErrorInfo
reason and metadata, and the fields a BadRequest names. The stubs in
alliance.v1 are generated from proto/ when the project is built
(build/clients/python is the folder to put on PYTHONPATH).
"""

from alliance.client import Client, TlsFiles, new_event_id, timestamp
from alliance.errors import AllianceError

__all__ = ["AllianceError", "Client", "TlsFiles", "new_event_id", "timestamp"]
