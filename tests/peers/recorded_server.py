#!/usr/bin/env python3
"""A recorded-response AWS peer for the APIs moto does not play.

Serves, on 127.0.0.1, the awsJson1_1 operations recoup calls that moto lacks:

  * AWS Health: DescribeEvents, DescribeEventDetails, DescribeAffectedEntities,
    DescribeEventsForOrganization, DescribeAffectedAccountsForOrganization,
    DescribeEventDetailsForOrganization, DescribeAffectedEntitiesForOrganization,
    DescribeEventTypes;
  * CloudTrail: LookupEvents;
  * Support: DescribeServices, DescribeSeverityLevels, AddAttachmentsToSet,
    DescribeCommunications, AddCommunicationToCase (and CreateCase,
    DescribeCases for completeness).

Every request must carry a valid SigV4 signature: the server recomputes it with
botocore.auth.SigV4Auth from the received request and the known test key, and
refuses a mismatch with AWS's error JSON (403 InvalidSignatureException /
UnrecognizedClientException). Request members are checked against the botocore
service model (unknown or missing required members give a ValidationException
or SerializationException), and responses are cut to the model's output shape.

Data comes from recorded AWS responses under --data (the shared testdata
folder): Health events from the Cloud Custodian placebo recordings, CloudTrail
records from the AWS KMS developer guide and plaso's LookupEvents output,
Support cases from the placebo recordings. Tests add more through the control
API (JSON over HTTP, unsigned, under /__recorded/):

  POST /__recorded/faults         {"3": "500", "4": "throttle"}   call n -> fault
  POST /__recorded/health-events  [{"arn":..., "service": "KMS", ..., "accounts": [...],
                                    "description": "...", "entities": [...]}]
  POST /__recorded/cloudtrail     [<CloudTrail record>, ...]
  POST /__recorded/reset
  GET  /__recorded/next-call      {"n": number the next signed call gets}
  GET  /__recorded/calls          [{"n", "service", "operation", "status", "region",
                                    "access_key_id", "input"}]

Faults: "500" (InternalFailure), "503" (ServiceUnavailable), "throttle"
(400 ThrottlingException), "throttle-429" (429 TooManyRequestsException).
Call numbers count every signed API call, starting at 1.

Usable as a module (RecordedServer(data_dir).start(); .endpoint; .calls();
.set_faults({...}); .stop()) or from the command line:

  python3 recorded_server.py --port 8123 --data /work/shared/testdata
"""

import argparse
import base64
import calendar
import datetime
import glob
import hmac
import json
import os
import re
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.loaders
import botocore.model

TEST_KEY_ID = "AKIDRECORDEDSERVER01"
TEST_SECRET = "recorded/server/secret/key/EXAMPLEKEY00"

# X-Amz-Target prefix -> (botocore service name, SigV4 signing name)
TARGETS = {
    "AWSHealth_20160804": ("health", "health"),
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101": ("cloudtrail", "cloudtrail"),
    "AWSSupport_20130415": ("support", "support"),
}

AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?"
    r"Signature=(?P<sig>[0-9a-f]{64})$")


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# ---- recorded data -----------------------------------------------------------

def placebo_value(v):
    """Placebo stores botocore-parsed values: datetimes as dicts."""
    if isinstance(v, dict) and v.get("__class__") == "datetime":
        dt = datetime.datetime(v["year"], v["month"], v["day"], v["hour"], v["minute"],
                               v["second"], v.get("microsecond", 0),
                               tzinfo=datetime.timezone.utc)
        return dt.timestamp()
    if isinstance(v, dict):
        return {k: placebo_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [placebo_value(x) for x in v]
    return v


def load_placebo(pattern):
    out = []
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding="utf-8") as f:
            rec = json.load(f)
        if rec.get("status_code") == 200:
            out.append(placebo_value(rec["data"]))
    return out


def iso_to_epoch(text):
    text = text.replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(text).timestamp()


class Data:
    def __init__(self, data_dir):
        self.lock = threading.Lock()
        self.data_dir = data_dir
        self.reset()

    def reset(self):
        with self.lock:
            self.events = {}        # arn -> wire event
            self.details = {}       # arn -> description
            self.accounts = {}      # arn -> [account]
            self.entities = {}      # arn -> [entity]
            self.trail = []         # LookupEvents events
            self.cases = {}         # caseId -> case
            self.communications = {}  # caseId -> [communication]
            self.attachment_sets = {}
            if self.data_dir:
                self._load()

    def _load(self):
        d = self.data_dir
        for rec in load_placebo(os.path.join(d, "health/cloud-custodian/placebo/*/"
                                             "health.DescribeEvents_1.json")):
            for e in rec.get("events", []):
                self.events[e["arn"]] = e
        for rec in load_placebo(os.path.join(d, "health/cloud-custodian/placebo/*/"
                                             "health.DescribeEventDetails_1.json")):
            for s in rec.get("successfulSet", []):
                desc = s.get("eventDescription", {}).get("latestDescription", "")
                self.details[s["event"]["arn"]] = desc
                self.events.setdefault(s["event"]["arn"], s["event"])
        for rec in load_placebo(os.path.join(d, "health/cloud-custodian/placebo/*/"
                                             "health.DescribeAffectedEntities_1.json")):
            for en in rec.get("entities", []):
                self.entities.setdefault(en.get("eventArn", ""), []).append(en)
        # CloudTrail: the KMS guide's records and plaso's LookupEvents lines.
        for path in sorted(glob.glob(os.path.join(d, "cloudtrail/awsdocs-kms-developer-guide/"
                                                  "*.json"))):
            try:
                with open(path, encoding="utf-8") as f:
                    doc = json.load(f)
            except ValueError:
                continue
            records = doc.get("Records", [doc]) if isinstance(doc, dict) else doc
            for r in records:
                if isinstance(r, dict) and "eventTime" in r:
                    self.add_record(r)
        plaso = os.path.join(d, "cloudtrail/plaso/aws_cloudtrail.jsonl")
        if os.path.exists(plaso):
            with open(plaso, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        ev = json.loads(line)
                        if isinstance(ev.get("EventTime"), str):
                            ev["EventTime"] = iso_to_epoch(ev["EventTime"])
                        self.trail.append(ev)
        for rec in load_placebo(os.path.join(d, "support/cloud-custodian/placebo/*/"
                                             "support.DescribeCases_1.json")):
            for c in rec.get("cases", []):
                self.cases[c["caseId"]] = c
                comms = c.get("recentCommunications", {}).get("communications", [])
                self.communications.setdefault(c["caseId"], []).extend(comms)

    def add_record(self, r):
        """A CloudTrail record as LookupEvents returns it."""
        ident = r.get("userIdentity", {}) or {}
        self.trail.append({
            "EventId": r.get("eventID") or str(uuid.uuid4()),
            "EventName": r.get("eventName", ""),
            "ReadOnly": str(r.get("readOnly", "false")).lower(),
            "AccessKeyId": ident.get("accessKeyId", ""),
            "EventTime": iso_to_epoch(r["eventTime"]),
            "EventSource": r.get("eventSource", ""),
            "Username": ident.get("userName", ident.get("principalId", "")),
            "Resources": [],
            "CloudTrailEvent": json.dumps(r, separators=(",", ":")),
        })

    def add_health_event(self, e):
        e = dict(e)
        arn = e["arn"]
        self.details[arn] = e.pop("description", self.details.get(arn, ""))
        if "accounts" in e:
            self.accounts[arn] = e.pop("accounts")
        if "entities" in e:
            self.entities[arn] = e.pop("entities")
        self.events[arn] = e


# ---- botocore model checks ---------------------------------------------------

class Models:
    def __init__(self):
        self.loader = botocore.loaders.create_loader()
        self.models = {}

    def operation(self, service, name):
        if service not in self.models:
            self.models[service] = botocore.model.ServiceModel(
                self.loader.load_service_model(service, "service-2"), service)
        try:
            return self.models[service].operation_model(name)
        except botocore.model.OperationNotFoundError:
            raise ApiError(400, "UnknownOperationException", "Unknown operation " + name)


def check_input(shape, value, path="input"):
    """Members unknown to the model, missing required members and wrong types."""
    if shape is None:
        return
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            raise ApiError(400, "SerializationException", path + " is not an object")
        for k in value:
            if k not in shape.members:
                raise ApiError(400, "SerializationException",
                               "Unknown member %s.%s" % (path, k))
        for req in shape.required_members:
            if req not in value:
                raise ApiError(400, "ValidationException",
                               "1 validation error detected: Value null at '%s.%s' failed to "
                               "satisfy constraint: Member must not be null" % (path, req))
        for k, v in value.items():
            check_input(shape.members[k], v, path + "." + k)
    elif t == "list":
        if not isinstance(value, list):
            raise ApiError(400, "SerializationException", path + " is not a list")
        for i, v in enumerate(value):
            check_input(shape.member, v, "%s[%d]" % (path, i))
    elif t == "map":
        if not isinstance(value, dict):
            raise ApiError(400, "SerializationException", path + " is not a map")
        for k, v in value.items():
            check_input(shape.value, v, path + "." + k)
    elif t == "string":
        if not isinstance(value, str):
            raise ApiError(400, "SerializationException", path + " is not a string")
        if shape.enum and value not in shape.enum:
            raise ApiError(400, "ValidationException",
                           "Value '%s' at '%s' failed to satisfy constraint: Member must "
                           "satisfy enum value set" % (value, path))
    elif t in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ApiError(400, "SerializationException", path + " is not an integer")
    elif t == "boolean":
        if not isinstance(value, bool):
            raise ApiError(400, "SerializationException", path + " is not a boolean")
    elif t == "timestamp":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ApiError(400, "SerializationException", path + " is not an epoch timestamp")
    elif t == "blob":
        if not isinstance(value, str):
            raise ApiError(400, "SerializationException", path + " is not base64 text")
        try:
            base64.b64decode(value, validate=True)
        except ValueError:
            raise ApiError(400, "SerializationException", path + " is not valid base64")


def shape_output(shape, value):
    """Keeps only what the model's output shape has; timestamps as epoch seconds."""
    if shape is None or value is None:
        return value
    t = shape.type_name
    if t == "structure" and isinstance(value, dict):
        return {k: shape_output(shape.members[k], v) for k, v in value.items()
                if k in shape.members}
    if t == "list" and isinstance(value, list):
        return [shape_output(shape.member, v) for v in value]
    if t == "map" and isinstance(value, dict):
        return {k: shape_output(shape.value, v) for k, v in value.items()}
    if t == "timestamp" and isinstance(value, str):
        return iso_to_epoch(value)
    return value


# ---- the operations ----------------------------------------------------------

def page(items, body, size, token_in="nextToken", max_key="maxResults"):
    start = 0
    if body.get(token_in):
        try:
            start = int(body[token_in].split(":", 1)[1])
        except (IndexError, ValueError):
            raise ApiError(400, "InvalidPaginationToken", "Invalid pagination token")
    n = min(size, body.get(max_key) or size)
    chunk = items[start:start + n]
    nxt = "page:%d" % (start + n) if start + n < len(items) else None
    return chunk, nxt


class Operations:
    def __init__(self, data, page_size):
        self.d = data
        self.page_size = page_size

    # -- Health
    def _filtered_events(self, f, organization):
        out = []
        for e in self.d.events.values():
            if f.get("services") and e.get("service") not in f["services"]:
                continue
            if f.get("regions") and e.get("region") not in f["regions"]:
                continue
            if f.get("eventTypeCategories") and \
                    e.get("eventTypeCategory") not in f["eventTypeCategories"]:
                continue
            if f.get("eventStatusCodes") and e.get("statusCode") not in f["eventStatusCodes"]:
                continue
            ranges = [f["startTime"]] if organization and "startTime" in f else \
                f.get("startTimes", [])
            if ranges and not any(r.get("from", 0) <= e.get("startTime", 0) <
                                  r.get("to", float("inf")) for r in ranges):
                continue
            if organization and f.get("awsAccountIds") and not set(
                    self.d.accounts.get(e["arn"], [])) & set(f["awsAccountIds"]):
                continue
            out.append(e)
        out.sort(key=lambda e: (-e.get("lastUpdatedTime", 0), e["arn"]))
        return out

    def health_DescribeEvents(self, body):
        events, nxt = page(self._filtered_events(body.get("filter", {}), False), body,
                           self.page_size)
        return {"events": events, "nextToken": nxt}

    def health_DescribeEventsForOrganization(self, body):
        events, nxt = page(self._filtered_events(body.get("filter", {}), True), body,
                           self.page_size)
        return {"events": events, "nextToken": nxt}

    def _detail(self, arn, account=None):
        if arn not in self.d.events:
            return None
        out = {"event": self.d.events[arn],
               "eventDescription": {"latestDescription": self.d.details.get(arn, "")},
               "eventMetadata": {}}
        if account is not None:
            out["awsAccountId"] = account
        return out

    def health_DescribeEventDetails(self, body):
        ok, failed = [], []
        for arn in body["eventArns"]:
            d = self._detail(arn)
            if d is None:
                failed.append({"eventArn": arn, "errorName": "UnsupportedEventException",
                               "errorMessage": "no such event"})
            else:
                ok.append(d)
        return {"successfulSet": ok, "failedSet": failed}

    def health_DescribeEventDetailsForOrganization(self, body):
        ok, failed = [], []
        for f in body["organizationEventDetailFilters"]:
            acct = f.get("awsAccountId")
            known = self.d.accounts.get(f["eventArn"])
            d = self._detail(f["eventArn"], acct)
            if d is None or (acct and known is not None and acct not in known):
                failed.append({"awsAccountId": acct, "eventArn": f["eventArn"],
                               "errorName": "UnsupportedEventException",
                               "errorMessage": "no such event for this account"})
            else:
                ok.append(d)
        return {"successfulSet": ok, "failedSet": failed}

    def health_DescribeAffectedEntities(self, body):
        ents = []
        for arn in body["filter"]["eventArns"]:
            ents.extend(self.d.entities.get(arn, []))
        chunk, nxt = page(ents, body, self.page_size)
        return {"entities": chunk, "nextToken": nxt}

    def health_DescribeAffectedEntitiesForOrganization(self, body):
        ents = []
        for f in body.get("organizationEntityFilters", []):
            for en in self.d.entities.get(f["eventArn"], []):
                if not f.get("awsAccountId") or en.get("awsAccountId") in (None,
                                                                           f["awsAccountId"]):
                    ents.append(dict(en, awsAccountId=en.get("awsAccountId",
                                                             f.get("awsAccountId"))))
        chunk, nxt = page(ents, body, self.page_size)
        return {"entities": chunk, "failedSet": [], "nextToken": nxt}

    def health_DescribeAffectedAccountsForOrganization(self, body):
        accts = self.d.accounts.get(body["eventArn"], [])
        chunk, nxt = page(accts, body, self.page_size)
        return {"affectedAccounts": chunk, "eventScopeCode": "ACCOUNT_SPECIFIC" if accts
                else "PUBLIC", "nextToken": nxt}

    def health_DescribeEventTypes(self, body):
        seen = {}
        for e in self.d.events.values():
            seen[(e.get("service"), e.get("eventTypeCode"))] = e.get("eventTypeCategory")
        seen.setdefault(("KMS", "AWS_KMS_OPERATIONAL_ISSUE"), "issue")
        f = body.get("filter", {})
        types = [{"service": s, "code": c, "category": cat}
                 for (s, c), cat in sorted(seen.items())
                 if not f.get("services") or s in f["services"]]
        chunk, nxt = page(types, body, self.page_size)
        return {"eventTypes": chunk, "nextToken": nxt}

    # -- CloudTrail
    def cloudtrail_LookupEvents(self, body):
        attrs = body.get("LookupAttributes", [])
        if len(attrs) > 1:
            raise ApiError(400, "InvalidLookupAttributesException",
                           "You cannot specify more than one lookup attribute")
        keymap = {"EventSource": "EventSource", "EventName": "EventName",
                  "EventId": "EventId", "Username": "Username",
                  "AccessKeyId": "AccessKeyId", "ReadOnly": "ReadOnly"}
        start = body.get("StartTime", 0)
        end = body.get("EndTime", float("inf"))
        if start > end:
            raise ApiError(400, "InvalidTimeRangeException",
                           "Start time must be before end time")
        out = []
        for ev in self.d.trail:
            if not (start <= ev["EventTime"] <= end):
                continue
            if attrs:
                k = keymap.get(attrs[0]["AttributeKey"])
                if k is None or ev.get(k) != attrs[0]["AttributeValue"]:
                    continue
            out.append(ev)
        out.sort(key=lambda e: (-e["EventTime"], e["EventId"]))
        chunk, nxt = page(out, body, self.page_size, "NextToken", "MaxResults")
        return {"Events": chunk, "NextToken": nxt}

    # -- Support
    SERVICES = [
        {"code": "key-management-service", "name": "Key Management Service",
         "categories": [{"code": "general-guidance", "name": "General guidance"},
                        {"code": "other", "name": "Other"}]},
        {"code": "customer-account", "name": "Account and billing",
         "categories": [{"code": "billing", "name": "Billing"},
                        {"code": "other", "name": "Other"}]},
    ]
    SEVERITIES = [{"code": c, "name": n} for c, n in (
        ("low", "Low"), ("normal", "Normal"), ("high", "High"), ("urgent", "Urgent"),
        ("critical", "Critical"))]

    def support_DescribeServices(self, body):
        codes = body.get("serviceCodeList")
        return {"services": [s for s in self.SERVICES if not codes or s["code"] in codes]}

    def support_DescribeSeverityLevels(self, body):
        return {"severityLevels": self.SEVERITIES}

    def support_AddAttachmentsToSet(self, body):
        set_id = body.get("attachmentSetId") or "as-" + uuid.uuid4().hex
        if body.get("attachmentSetId") and set_id not in self.d.attachment_sets:
            raise ApiError(400, "AttachmentSetIdNotFound", "Attachment set not found")
        atts = self.d.attachment_sets.setdefault(set_id, [])
        for a in body["attachments"]:
            data = base64.b64decode(a.get("data", ""))
            if len(data) > 5 * 1024 * 1024:
                raise ApiError(400, "AttachmentSetSizeLimitExceeded", "Attachment too large")
            atts.append({"attachmentId": "att-" + uuid.uuid4().hex,
                         "fileName": a.get("fileName", ""), "size": len(data)})
        if len(atts) > 3:
            raise ApiError(400, "AttachmentLimitExceeded", "At most 3 attachments per set")
        expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        return {"attachmentSetId": set_id,
                "expiryTime": expiry.strftime("%Y-%m-%dT%H:%M:%S.000Z")}

    def _case(self, case_id):
        if case_id not in self.d.cases:
            raise ApiError(400, "CaseIdNotFound", "Case %s not found" % case_id)
        return self.d.cases[case_id]

    def support_CreateCase(self, body):
        case_id = "case-123456789012-recd-%d-%s" % (
            datetime.datetime.now(datetime.timezone.utc).year, uuid.uuid4().hex[:16])
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        self.d.cases[case_id] = {
            "caseId": case_id, "displayId": str(abs(hash(case_id)) % 10 ** 10),
            "subject": body["subject"], "status": "opened",
            "serviceCode": body.get("serviceCode", "general-info"),
            "categoryCode": body.get("categoryCode", "other"),
            "severityCode": body.get("severityCode", "low"),
            "submittedBy": "recoup@example.com", "timeCreated": now,
            "ccEmailAddresses": body.get("ccEmailAddresses", []),
            "language": body.get("language", "en")}
        self.d.communications[case_id] = [self._comm(case_id, body["communicationBody"],
                                                     body.get("attachmentSetId"))]
        return {"caseId": case_id}

    def _comm(self, case_id, text, set_id):
        atts = []
        if set_id:
            if set_id not in self.d.attachment_sets:
                raise ApiError(400, "AttachmentSetIdNotFound", "Attachment set not found")
            atts = [{"attachmentId": a["attachmentId"], "fileName": a["fileName"]}
                    for a in self.d.attachment_sets[set_id]]
        return {"caseId": case_id, "body": text, "submittedBy": "recoup@example.com",
                "timeCreated": datetime.datetime.now(datetime.timezone.utc).strftime(
                    "%Y-%m-%dT%H:%M:%S.000Z"), "attachmentSet": atts}

    def support_DescribeCases(self, body):
        cases = list(self.d.cases.values())
        if body.get("caseIdList"):
            cases = [self._case(c) for c in body["caseIdList"]]
        out = []
        for c in cases:
            c = dict(c)
            if body.get("includeCommunications", True):
                c["recentCommunications"] = {
                    "communications": self.d.communications.get(c["caseId"], [])[-5:]}
            else:
                c.pop("recentCommunications", None)
            out.append(c)
        chunk, nxt = page(out, body, self.page_size)
        return {"cases": chunk, "nextToken": nxt}

    def support_DescribeCommunications(self, body):
        self._case(body["caseId"])
        chunk, nxt = page(self.d.communications.get(body["caseId"], []), body, self.page_size)
        return {"communications": chunk, "nextToken": nxt}

    def support_AddCommunicationToCase(self, body):
        case_id = body.get("caseId")
        if not case_id:
            raise ApiError(400, "CaseIdNotFound", "A caseId is required")
        self._case(case_id)
        self.d.communications.setdefault(case_id, []).append(
            self._comm(case_id, body["communicationBody"], body.get("attachmentSetId")))
        return {"result": True}


# ---- the server --------------------------------------------------------------

FAULTS = {
    "500": (500, "InternalFailure", "We encountered an internal error. Please try again."),
    "503": (503, "ServiceUnavailable", "Service is unavailable. Please try again."),
    "throttle": (400, "ThrottlingException", "Rate exceeded"),
    "throttle-429": (429, "TooManyRequestsException", "Too many requests"),
}


class RecordedServer:
    def __init__(self, data_dir=None, port=0, key_id=TEST_KEY_ID, secret=TEST_SECRET,
                 page_size=2):
        self.data = Data(data_dir)
        self.ops = Operations(self.data, page_size)
        self.models = Models()
        self.keys = {key_id: secret}
        self.key_id, self.secret = key_id, secret
        self.lock = threading.Lock()
        self._calls = []
        self._faults = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server._handle(self)

            def do_POST(self):
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.thread = None

    # -- module API
    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def calls(self):
        with self.lock:
            return [dict(c) for c in self._calls]

    def next_call(self):
        """The number the next correctly signed API call will get."""
        with self.lock:
            return sum(1 for c in self._calls if c["n"] is not None) + 1

    def set_faults(self, faults):
        with self.lock:
            self._faults = {int(k): v for k, v in faults.items()}

    def env(self, base=None, secret=None):
        """Environment for the recoup binary pointing every service here."""
        env = dict(base if base is not None else os.environ)
        for k in list(env):
            if k.startswith("AWS_"):
                del env[k]
        env.update(AWS_ENDPOINT_URL=self.endpoint, AWS_ACCESS_KEY_ID=self.key_id,
                   AWS_SECRET_ACCESS_KEY=secret or self.secret, AWS_REGION="us-east-1",
                   AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/nonexistent/config",
                   AWS_SHARED_CREDENTIALS_FILE="/nonexistent/credentials")
        return env

    # -- HTTP
    def _reply(self, h, status, obj, error_type=None):
        body = json.dumps(obj).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/x-amz-json-1.1")
        h.send_header("Content-Length", str(len(body)))
        h.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error_type:
            h.send_header("x-amzn-ErrorType", error_type)
        h.end_headers()
        h.wfile.write(body)

    def _error(self, h, err):
        self._reply(h, err.status, {"__type": err.code, "message": err.message}, err.code)

    def _handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        if h.path.startswith("/__recorded/"):
            return self._control(h, raw)
        entry = {"n": None, "service": None, "operation": None, "status": None,
                 "region": None, "access_key_id": None, "input": None}
        try:
            target = h.headers.get("X-Amz-Target", "")
            prefix, _, op = target.rpartition(".")
            if prefix not in TARGETS:
                raise ApiError(400, "UnknownOperationException",
                               "Unknown target " + (target or "(none)"))
            service, signing_name = TARGETS[prefix]
            entry.update(service=service, operation=op)
            key_id, region = self._verify(h, raw, signing_name)
            entry.update(region=region, access_key_id=key_id)
            with self.lock:
                n = sum(1 for c in self._calls if c["n"] is not None) + 1
                entry["n"] = n
                fault = self._faults.get(n)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                raise ApiError(400, "SerializationException", "Body is not JSON")
            entry["input"] = body
            if fault:
                raise ApiError(*FAULTS[fault])
            opm = self.models.operation(service, op)
            check_input(opm.input_shape, body)
            handler = getattr(self.ops, "%s_%s" % (service, op), None)
            if handler is None:
                raise ApiError(400, "UnknownOperationException",
                               "%s %s is not played by this server" % (service, op))
            with self.data.lock:
                out = handler(body)
            out = {k: v for k, v in out.items() if v is not None}
            out = shape_output(opm.output_shape, out)
            entry["status"] = 200
            self._reply(h, 200, out)
        except ApiError as e:
            entry["status"] = e.status
            entry["error"] = e.code
            self._error(h, e)
        finally:
            with self.lock:
                self._calls.append(entry)

    def _verify(self, h, raw, signing_name):
        auth = h.headers.get("Authorization", "")
        m = AUTH_RE.match(auth)
        if not m:
            raise ApiError(403, "MissingAuthenticationTokenException",
                           "Missing or malformed Authorization header")
        key_id = m.group("key")
        secret = self.keys.get(key_id)
        if secret is None:
            raise ApiError(403, "UnrecognizedClientException",
                           "The security token included in the request is invalid.")
        if m.group("service") != signing_name:
            raise ApiError(403, "InvalidSignatureException",
                           "Credential should be scoped to correct service: '%s'." % signing_name)
        amz_date = h.headers.get("X-Amz-Date", "")
        if amz_date[:8] != m.group("date"):
            raise ApiError(403, "InvalidSignatureException", "Date in Credential scope does "
                           "not match YYYYMMDD from ISO-8601 version of date from HTTP")
        signed = m.group("signed").split(";")
        headers = botocore.awsrequest.HTTPHeaders()
        for name in signed:
            value = h.headers.get(name)
            if value is None:
                raise ApiError(403, "InvalidSignatureException",
                               "Signed header %s is missing" % name)
            headers[name] = value
        host = h.headers.get("Host", "")
        request = botocore.awsrequest.AWSRequest(method=h.command, url="http://" + host + h.path,
                                                 data=raw, headers=headers)
        request.context["timestamp"] = amz_date
        creds = botocore.credentials.Credentials(key_id, secret,
                                                 h.headers.get("X-Amz-Security-Token"))
        signer = botocore.auth.SigV4Auth(creds, signing_name, m.group("region"))
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, m.group("sig")):
            raise ApiError(403, "InvalidSignatureException",
                           "The request signature we calculated does not match the signature "
                           "you provided. Check your AWS Secret Access Key and signing method.")
        return key_id, m.group("region")

    def _control(self, h, raw):
        path = h.path.split("?", 1)[0]
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return self._reply(h, 400, {"error": "not JSON"})
        if path == "/__recorded/next-call":
            return self._reply(h, 200, {"n": self.next_call()})
        if path == "/__recorded/calls":
            return self._reply(h, 200, self.calls())
        if path == "/__recorded/faults":
            self.set_faults(body or {})
            return self._reply(h, 200, {"ok": True})
        if path == "/__recorded/health-events":
            with self.data.lock:
                for e in body or []:
                    self.data.add_health_event(e)
            return self._reply(h, 200, {"ok": True})
        if path == "/__recorded/cloudtrail":
            with self.data.lock:
                for r in body or []:
                    self.data.add_record(r)
            return self._reply(h, 200, {"ok": True})
        if path == "/__recorded/reset":
            self.data.reset()
            with self.lock:
                self._calls, self._faults = [], {}
            return self._reply(h, 200, {"ok": True})
        return self._reply(h, 404, {"error": "unknown control path"})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--data", default=os.environ.get("RECOUP_TESTDATA", ""),
                   help="the shared testdata folder")
    p.add_argument("--key-id", default=TEST_KEY_ID)
    p.add_argument("--secret", default=TEST_SECRET)
    p.add_argument("--page-size", type=int, default=2)
    a = p.parse_args(argv)
    srv = RecordedServer(a.data or None, a.port, a.key_id, a.secret, a.page_size)
    print("listening on %s" % srv.endpoint, flush=True)
    try:
        srv.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
