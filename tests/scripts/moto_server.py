"""moto in server mode for the AWS-mode tests, with DynamoDB requests served one at a time.

moto runs a failed TransactWriteItems by restoring a copy of the whole table taken before it
started, so a transaction that fails while another request writes the same table wipes that
write. Real DynamoDB transactions are atomic, and our stores rely on that (a conditional
transaction that loses a race writes nothing). Serializing DynamoDB calls restores that
guarantee locally; SQS and the Scheduler stay concurrent (SQS long polls must not block others).

usage: python moto_server.py HOST PORT
"""

import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def serialize_dynamodb(app):
    lock = threading.Lock()

    def wrapped(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with lock:
                return list(app(environ, start_response))
        return app(environ, start_response)

    return wrapped


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, serialize_dynamodb(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
