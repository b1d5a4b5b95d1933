"""moto in server mode for the AWS-mode tests, with DynamoDB requests served one at a time.

moto runs a failed TransactWriteItems by restoring a copy of the whole table taken before it
started, so a transaction that fails while another request writes the same table wipes that
write. Real DynamoDB transactions are atomic, and our stores rely on that (a conditional
transaction that loses a race writes nothing). Serializing DynamoDB calls restores that
guarantee locally; SQS and the Scheduler stay concurrent (SQS long polls must not block others).

moto also backs up every table a transaction touches with a deep copy before it runs, so a
transaction's cost grows with the table (the auto-close sweep test opens thousands of
conversations). Instead a transaction is backed up by copying the table's item maps, sharing
the items: puts and deletes replace or remove items and never change one in place, so restoring
that copy undoes them just the same; the items an Update changes in place (our list counters) are
deep-copied, those alone.

It also counts the DynamoDB requests it serves, by operation, with the items each transaction
writes, for the cost benchmark: `GET /_counts` answers them as JSON, `DELETE /_counts` resets.

usage: python moto_server.py HOST PORT
"""

import copy
import io
import json
import sys
import threading
from collections import Counter, defaultdict

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

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


_shallow_backup = threading.local()


def _raw(value):
    """A key value as the request wrote it ({"S": "x"} -> "x"), or a DynamoType's value."""
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value.values()))
    return getattr(value, "value", value)


def _table_deepcopy(self, memo):
    if not getattr(_shallow_backup, "on", False):
        deep = self.__class__.__new__(self.__class__)
        memo[id(self)] = deep
        for name, value in self.__dict__.items():
            setattr(deep, name, copy.deepcopy(value, memo))
        return deep
    updated = _shallow_backup.updated
    clone = copy.copy(self)
    items = defaultdict(dict)
    for key, value in self.items.items():
        if isinstance(value, dict):
            items[key] = {
                rk: copy.deepcopy(item) if (_raw(key), _raw(rk)) in updated else item
                for rk, item in value.items()
            }
        else:
            items[key] = copy.deepcopy(value) if (_raw(key), None) in updated else value
    clone.items = items
    return clone


def _install_shallow_transaction_backups() -> None:
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        updated = set()
        for item in transact_items:
            if "Update" in item:
                table = self.get_table(item["Update"]["TableName"])
                key = item["Update"]["Key"]
                range_key = table.range_key_attr
                updated.add((_raw(key[table.hash_key_attr]), _raw(key[range_key]) if range_key else None))
        _shallow_backup.on = True
        _shallow_backup.updated = updated
        try:
            return original(self, transact_items)
        finally:
            _shallow_backup.on = False

    DynamoDBBackend.transact_write_items = transact_write_items
    Table.__deepcopy__ = _table_deepcopy


def main() -> None:
    _install_shallow_transaction_backups()
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, serialize_dynamodb(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
