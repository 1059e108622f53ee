#!/usr/bin/env python3
"""A recorded-response peer for AWS Billing's credits API, which moto lacks.

Serves, on 127.0.0.1, the two awsJson1_0 operations `recoup claims sync` reads
(target prefix AWSBilling, SigV4 signing name "billing"):

  * GetCredits                 {"accountId", "startDate", "endDate"?, "payerAccountFlag"?}
                               -> {"credits": [CreditData]}
  * GetCreditAllocationHistory {"accountId", "creditId"?, "startDate", "endDate",
                                "maxResults"?, "nextToken"?}
                               -> {"creditAllocationHistoryList": [...], "nextToken"?}

The shapes are those of the AWS Billing and Cost Management API reference
(API_billing_GetCredits, API_billing_CreditData, API_billing_Amount,
API_billing_GetCreditAllocationHistory, API_billing_CreditAllocationHistoryEntry);
the botocore model installed here (1.43.11) has no credits operations, so
requests are checked against those pages by hand below, not against a model.
UNVERIFIED against a live account: the response member of GetCredits
("credits", as the Ruby SDK names it), and whether AWS sends startDate as
epoch seconds in responses (the reference says Timestamp).

Every request must be signed (SigV4, checked as tests/peers/recorded_server.py
checks it, with the keys given). Accounts in `denied` get AWS's 403
AccessDeniedException (an account whose policy does not allow the credits API).
Allocation pages hold `page_size` entries (nextToken is the next index).

    server = BillingCreditsServer(keys={key_id: secret}).start()
    server.credits.append({...CreditData...}); server.allocations.append({...})
    env["AWS_ENDPOINT_URL_BILLING"] = server.endpoint
"""

import calendar
import datetime
import json
import os
import re
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recorded_server import ApiError, RecordedServer  # noqa: E402

ACCOUNT_RE = re.compile(r"^[0-9]{12}$")


def _number(body, key, required):
    if key not in body:
        if required:
            raise ApiError(400, "ValidationException", "%s is required" % key)
        return None
    v = body[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ApiError(400, "SerializationException", "%s must be a number (epoch seconds)" % key)
    return v


def _check(body, allowed, required):
    if not isinstance(body, dict):
        raise ApiError(400, "SerializationException", "the body must be a JSON object")
    for k in body:
        if k not in allowed:
            raise ApiError(400, "ValidationException", "unknown member %s" % k)
    account = body.get("accountId")
    if not isinstance(account, str) or not ACCOUNT_RE.match(account):
        raise ApiError(400, "ValidationException", "accountId must be a 12-digit string")
    for k in required:
        if k not in body:
            raise ApiError(400, "ValidationException", "%s is required" % k)


def _month_of(epoch_seconds):
    d = datetime.datetime.fromtimestamp(epoch_seconds, tz=datetime.timezone.utc)
    return "%04d-%02d" % (d.year, d.month)


def epoch(iso):
    return calendar.timegm(datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").timetuple())


class BillingCreditsServer:
    _verify = RecordedServer._verify  # the same SigV4 check, against self.keys

    def __init__(self, keys, page_size=2):
        self.keys = dict(keys)
        self.page_size = page_size
        self.credits = []       # CreditData dicts
        self.allocations = []   # CreditAllocationHistoryEntry dicts
        self.denied = set()     # account IDs answered with AccessDeniedException
        self.lock = threading.Lock()
        self._calls = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.endpoint = "http://127.0.0.1:%d" % self.httpd.server_address[1]

    def start(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def calls(self):
        with self.lock:
            return [dict(c) for c in self._calls]

    def _reply(self, h, status, obj, error_type=None):
        body = json.dumps(obj).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/x-amz-json-1.0")
        h.send_header("Content-Length", str(len(body)))
        h.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error_type:
            h.send_header("x-amzn-ErrorType", error_type)
        h.end_headers()
        h.wfile.write(body)

    def _handle(self, h):
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        entry = {"operation": None, "status": None, "input": None, "access_key_id": None}
        try:
            target = h.headers.get("X-Amz-Target", "")
            prefix, _, op = target.rpartition(".")
            if prefix != "AWSBilling":
                raise ApiError(400, "UnknownOperationException", "Unknown target " + target)
            entry["operation"] = op
            key_id, _ = self._verify(h, raw, "billing")
            entry["access_key_id"] = key_id
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                raise ApiError(400, "SerializationException", "Body is not JSON")
            entry["input"] = body
            if op == "GetCredits":
                out = self.get_credits(body)
            elif op == "GetCreditAllocationHistory":
                out = self.get_allocations(body)
            else:
                raise ApiError(400, "UnknownOperationException", op + " is not played here")
            entry["status"] = 200
            self._reply(h, 200, out)
        except ApiError as e:
            entry["status"] = e.status
            entry["error"] = e.code
            self._reply(h, e.status, {"__type": e.code, "message": e.message}, e.code)
        finally:
            with self.lock:
                self._calls.append(entry)

    def _denied(self, account):
        if account in self.denied:
            raise ApiError(403, "AccessDeniedException",
                           "User is not authorized to perform: billing:GetCredits")

    def get_credits(self, body):
        _check(body, {"accountId", "startDate", "endDate", "payerAccountFlag"}, ["startDate"])
        start = _number(body, "startDate", True)
        end = _number(body, "endDate", False)
        if end is not None and end < start:
            raise ApiError(400, "ValidationException", "endDate is before startDate")
        self._denied(body["accountId"])
        with self.lock:
            credits = [c for c in self.credits if c["accountId"] == body["accountId"]]
        return {"credits": credits}

    def get_allocations(self, body):
        _check(body, {"accountId", "creditId", "startDate", "endDate", "maxResults", "nextToken"},
               ["startDate", "endDate"])
        start = _number(body, "startDate", True)
        end = _number(body, "endDate", True)
        if end < start:
            raise ApiError(400, "ValidationException", "endDate is before startDate")
        size = body.get("maxResults", 100)
        if not isinstance(size, int) or not 1 <= size <= 1000:
            raise ApiError(400, "ValidationException", "maxResults must be 1 to 1000")
        self._denied(body["accountId"])
        first, last = _month_of(start), _month_of(end)
        with self.lock:
            rows = [a for a in self.allocations if a["accountId"] == body["accountId"] and
                    first <= a["billingMonth"] <= last and
                    ("creditId" not in body or a["creditId"] == str(body["creditId"]))]
        at = int(body.get("nextToken") or 0)
        take = min(size, self.page_size)
        out = {"creditAllocationHistoryList": rows[at:at + take]}
        if at + take < len(rows):
            out["nextToken"] = str(at + take)
        return out
