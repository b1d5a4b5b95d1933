"""moto in server mode for the AWS-mode tests, with DynamoDB requests served one at a time.

moto runs a failed TransactWriteItems by restoring a copy of the whole table taken before it
started, so a transaction that fails while another request writes the same table wipes that
write. Real DynamoDB transactions are atomic, and our stores rely on that (a conditional
transaction that loses a race writes nothing). Serializing DynamoDB calls restores that
guarantee locally; SQS and the Scheduler stay concurrent (SQS long polls must not block others).

It also counts the DynamoDB requests it serves, by operation, with the items each transaction
writes, for the cost benchmark: `GET /_counts` answers them as JSON, `DELETE /_counts` resets.

usage: python moto_server.py HOST PORT
"""

import io
import json
import sys
import threading
from collections import Counter

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def serialize_dynamodb(app):
    lock = threading.Lock()
    counts = Counter()

    def wrapped(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/_counts":
            if environ.get("REQUEST_METHOD") == "DELETE":
                counts.clear()
            body = json.dumps(dict(counts)).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("DynamoDB_"):
            operation = target.split(".", 1)[-1]
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(raw)
            with lock:
                counts[operation] += 1
                if operation == "TransactWriteItems":
                    try:
                        counts["TransactWriteItems.items"] += len(json.loads(raw).get("TransactItems", []))
                    except ValueError:
                        pass
                return list(app(environ, start_response))
        return app(environ, start_response)

    return wrapped


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, serialize_dynamodb(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
