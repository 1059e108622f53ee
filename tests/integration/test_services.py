"""Every request-error-rate SLA of the catalog through ingest and report:
CloudTrail records of each service, SDK telemetry under each SDK's spelling
of the service name, and the catalog printed by `recoup sla`.

Hand arithmetic (October 2025: 31 days, 8,928 five-minute intervals; an
interval with no requests counts 0%; MUP = 100 - sum(rates) / 8,928):
  - DynamoDB (99.99%), 1 interval all failed: 100 - 100/8928 = 99.98879...%:
    breached, 10%.
  - Lambda (99.95%), 4 intervals all failed: 100 - 400/8928 = 99.95519...%:
    met; 5 intervals: 100 - 500/8928 = 99.94399...%: breached, 10%.
  - S3 (99.9%), 8 intervals of InternalError: 99.91039...%: met; 9
    intervals: 100 - 900/8928 = 99.89919...%: breached, 10%. SlowDown
    (throttling) in every one of 100 further intervals counts nothing.
  - Lambda 429 and function errors, and API Gateway integration errors, are
    excluded: they never lower the MUP.
"""

import json
import os
import unittest
from fractions import Fraction

from recoup_it import (ACCOUNT_A, RecoupTestCase, ct_record, ms_of, write_trail_file)

INTERVAL = 300_000
OCT = ms_of(2025, 10, 1)
N_OCT = 8928


def record(service, t, rid, error=None, event_name="Call", region="us-east-1", **extra):
    r = ct_record(t, rid, region=region, error=error, event_name=event_name,
                  eventSource=service + ".amazonaws.com", requestParameters={}, **extra)
    return r


def failing_intervals(service, first, n, error, per=4, event_name="Call"):
    """n consecutive intervals starting at interval index `first`, each with
    `per` requests that all failed with `error`."""
    out = []
    for i in range(first, first + n):
        for k in range(per):
            out.append(record(service, OCT + i * INTERVAL + k * 1000,
                              "%s-%d-%d" % (service, i, k), error=error, event_name=event_name))
    return out


def mup(sum_rates):
    return Fraction(100) - Fraction(100) * sum_rates / N_OCT


class Services(RecoupTestCase):

    def rows(self):
        rows = json.loads(self.report_json("--month", "2025-10", intervals=False))
        return {(r["service"], r["region"]): r for r in rows}

    def ingest_records(self, records, name="t"):
        path = self.path("trail", "AWSLogs", ACCOUNT_A, "CloudTrail", "us-east-1", "2025", "10",
                         "01", name + ".json.gz")
        write_trail_file(path, records)
        return self.ingest(self.path("trail"))

    def assert_mup(self, row, expected):
        got = Fraction(row["error_rate_sum"])
        self.assertEqual(mup(got), expected, row)

    def test_boundaries_of_several_services_in_one_month(self):
        recs = []
        recs += failing_intervals("dynamodb", 10, 1, "InternalServerError")
        recs += failing_intervals("lambda", 100, 4, "ServiceException")        # met
        recs += failing_intervals("s3", 200, 8, "InternalError")               # met
        recs += failing_intervals("s3", 300, 100, "SlowDown")                  # excluded
        recs += failing_intervals("lambda", 500, 50, "TooManyRequestsException")  # excluded
        recs += failing_intervals("lambda", 600, 50, "Unhandled")              # function error
        recs += failing_intervals("apigateway", 700, 50, "IntegrationTimeout")  # integration
        self.ingest_records(recs, "a")
        rows = self.rows()
        ddb = rows[("dynamodb", "us-east-1")]
        self.assertTrue(ddb["breached"], ddb)
        self.assertEqual(ddb["credit_pct"], "10")
        self.assertEqual(ddb["commitment_pct"], "99.99")
        self.assert_mup(ddb, Fraction(100) - Fraction(100, N_OCT))
        lam = rows[("lambda", "us-east-1")]
        self.assertFalse(lam["breached"], lam)
        self.assertEqual(lam["commitment_pct"], "99.95")
        self.assertEqual(lam["failed_requests"], 16)
        self.assertEqual(lam["excluded_requests"]["throttling"], 200)
        s3 = rows[("s3", "us-east-1")]
        self.assertFalse(s3["breached"], s3)
        self.assertEqual(s3["failed_requests"], 32)
        self.assertEqual(s3["excluded_requests"]["throttling"], 400)
        apigw = rows[("apigateway", "us-east-1")]
        self.assertFalse(apigw["breached"], apigw)
        self.assertEqual(apigw["failed_requests"], 0)

        # One more failing interval each: Lambda and S3 cross their commitments.
        more = failing_intervals("lambda", 104, 1, "ServiceException")
        more += failing_intervals("s3", 208, 1, "InternalError")
        self.ingest_records(more, "b")
        rows = self.rows()
        lam = rows[("lambda", "us-east-1")]
        self.assertTrue(lam["breached"], lam)
        self.assertEqual(lam["credit_pct"], "10")
        self.assert_mup(lam, Fraction(100) - Fraction(500, N_OCT))
        s3 = rows[("s3", "us-east-1")]
        self.assertTrue(s3["breached"], s3)
        self.assert_mup(s3, Fraction(100) - Fraction(900, N_OCT))
        self.assertEqual(rows[("s3", "us-east-1")]["sla_version"], "s3-2023-11-28")

    def test_a_dynamodb_claim_carries_its_subject_and_table_names(self):
        env = dict(self.env, RECOUP_NOW="2025-11-20T00:00:00Z")
        recs = []
        for i in range(10, 14):  # 4 intervals, every request failed
            for k in range(3):
                table = "orders" if k < 2 else "carts"
                recs.append(record("dynamodb", OCT + i * INTERVAL + k * 1000, "ddb-%d-%d" % (i, k),
                                   error="InternalServerError", event_name="GetItem",
                                   resources=[{"type": "AWS::DynamoDB::Table",
                                               "ARN": "arn:aws:dynamodb:us-east-1:%s:table/%s"
                                               % (ACCOUNT_A, table)}]))
        path = self.path("trail", "AWSLogs", ACCOUNT_A, "CloudTrail", "us-east-1", "2025", "10",
                         "01", "ddb.json.gz")
        write_trail_file(path, recs)
        self.assertEqual(self.run_recoup("ingest", self.path("trail"), env=env).returncode, 0)
        r = self.run_recoup("billing", "set", "--account", ACCOUNT_A, "--region", "us-east-1",
                            "--month", "2025-10", "--service", "dynamodb", "--amount", "900.00",
                            env=env)
        self.assertEqual(r.returncode, 0, r)
        claim = "%s-us-east-1-dynamodb-2025-10" % ACCOUNT_A
        out = self.path("pkg")
        r = self.run_recoup("claims", "build", claim, "--out", out, env=env)
        self.assertEqual(r.returncode, 0, r)
        pkg = os.path.join(out, claim)
        with open(os.path.join(pkg, "case-subject.txt")) as f:
            subject = f.read()
        self.assertTrue(subject.startswith("SLA Credit Request - Amazon DynamoDB, us-east-1, "
                                           "October 2025 "), subject)
        with open(os.path.join(pkg, "case-body.txt")) as f:
            body = f.read()
        self.assertIn("  DynamoDB table names: carts, orders\n", body)
        self.assertIn("of our Amazon DynamoDB charges in us-east-1 for 2025-10 ($900.00) = $90.00",
                      body)
        self.assertNotIn("custom key store", body)
        with open(os.path.join(pkg, "manifest.json")) as f:
            manifest = json.load(f)
        self.assertEqual(manifest["service_fields"],
                         {"table_names": {"values": ["carts", "orders"], "distinct": 2}})
        with open(os.path.join(pkg, "requests.csv")) as f:
            self.assertTrue(f.readline().startswith(
                "time_utc,operation,error_code,http_status,request_id,resource,"))

    def test_unverified_terms_are_marked_in_the_report(self):
        self.ingest_records(failing_intervals("sqs", 1, 1, "InternalError"), "q")
        row = self.rows()[("sqs", "us-east-1")]
        self.assertEqual(row["sla_confidence"], "unverified")
        self.assertIn("tiers", row["unverified_facts"])
        self.ingest_records(failing_intervals("kms", 1, 1, "KMSInternalException"), "k")
        row = self.rows()[("kms", "us-east-1")]
        self.assertNotEqual(row["sla_confidence"], "unverified")
        self.assertEqual(row["unverified_facts"], [])

    def test_sdk_spellings_of_service_names(self):
        lines = []
        for i, name in enumerate(["DynamoDB", "DynamoDb", "Secrets Manager", "SecretsManager",
                                  "API Gateway", "SQS", "Lambda", "S3", "Kinesis", "SNS"]):
            lines.append(json.dumps({
                "Version": 1, "ClientId": "it", "Type": "ApiCallAttempt", "Service": name,
                "Api": "Op", "Timestamp": OCT + i * INTERVAL, "AttemptLatency": 5,
                "Region": "us-east-1", "HttpStatusCode": 200, "XAmznRequestId": "csm-%d" % i}))
        path = self.path("csm.jsonl")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = self.ingest(path, "--format", "csm", "--account", ACCOUNT_A)
        s = r.json()
        self.assertEqual(s["accepted"], 10, s)
        rows = self.rows()
        self.assertEqual(rows[("dynamodb", "us-east-1")]["requests"], 2)
        self.assertEqual(rows[("secretsmanager", "us-east-1")]["requests"], 2)
        for svc in ("apigateway", "sqs", "lambda", "s3", "kinesis", "sns"):
            self.assertEqual(rows[(svc, "us-east-1")]["requests"], 1, svc)

    def test_same_failure_in_cloudtrail_and_csm_counts_once(self):
        t = OCT + 42 * INTERVAL
        self.ingest_records([record("dynamodb", t, "RID-1", error="InternalServerError")], "c")
        path = self.path("csm2.jsonl")
        with open(path, "w") as f:
            f.write(json.dumps({
                "Version": 1, "ClientId": "it", "Type": "ApiCallAttempt", "Service": "DynamoDB",
                "Api": "Call", "Timestamp": t + 20, "AttemptLatency": 5, "Region": "us-east-1",
                "HttpStatusCode": 500, "XAmznRequestId": "RID-1",
                "AwsException": "InternalServerError", "AwsExceptionMessage": "x"}) + "\n")
        self.ingest(path, "--format", "csm", "--account", ACCOUNT_A)
        row = self.rows()[("dynamodb", "us-east-1")]
        self.assertEqual(row["failed_requests"], 1, row)
        self.assertEqual(row["requests"], 1, row)


S3_OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"


def s3_log_line(t_ms, rid, status, code="-", op="REST.GET.OBJECT",
                host="bkt.s3.us-east-1.amazonaws.com"):
    import datetime
    d = datetime.datetime.fromtimestamp(t_ms / 1000, datetime.timezone.utc)
    when = d.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return ('%s bkt [%s] 192.0.2.3 arn:aws:iam::%s:user/app %s %s k "GET /bkt/k HTTP/1.1" '
            '%s %s 10 10 5 4 "-" "aws-sdk-go/1.44" - HOSTID SigV4 ECDHE-RSA-AES128-GCM-SHA256 '
            'AuthHeader %s TLSv1.2 - -' % (S3_OWNER, when, ACCOUNT_A, rid, op, status, code, host))


class AccessLogs(RecoupTestCase):
    """S3 server access logs, API Gateway access logs, CloudFront logs
    through `recoup ingest`: classified by each SLA's rule, bad lines named
    by file and line, good lines around them kept."""

    def rows(self):
        rows = json.loads(self.report_json("--month", "2025-10", intervals=False))
        return {(r["service"], r["region"]): r for r in rows}

    def test_s3_access_log_auto_detected_with_a_bad_line(self):
        lines = []
        # 9 intervals of InternalError: 100 - 900/8928 < 99.9: breached.
        for i in range(9):
            for k in range(2):
                lines.append(s3_log_line(OCT + (50 + i) * INTERVAL + k, "E%d-%d" % (i, k), 500,
                                         "InternalError"))
        lines.append(s3_log_line(OCT + 10 * INTERVAL, "T1", 503, "SlowDown"))
        lines.append(s3_log_line(OCT + 11 * INTERVAL, "L1", 200, op="S3.EXPIRE.OBJECT"))
        lines.append("this is not an access log line")
        lines.append(s3_log_line(OCT + 12 * INTERVAL, "OK1", 200))
        path = self.path("s3logs", "2025-10-20-07-00-00-ABCDEF")
        os = __import__("os")
        os.makedirs(os.path.dirname(path))
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = self.ingest(self.path("s3logs"), "--account", ACCOUNT_A)
        s = r.json()
        self.assertEqual(s["accepted"], 20, s)
        self.assertEqual(s["rejected"], 1, s)
        self.assertEqual(s["skipped"], 1, s)
        self.assertTrue(any(path + ":21:" in w for w in r.warnings()), r.warnings())
        row = self.rows()[("s3", "us-east-1")]
        self.assertEqual(row["failed_requests"], 18, row)
        self.assertEqual(row["excluded_requests"]["throttling"], 1, row)
        self.assertTrue(row["breached"], row)
        self.assertEqual(Fraction(100) - Fraction(100) * Fraction(row["error_rate_sum"]) / N_OCT,
                         Fraction(100) - Fraction(900, N_OCT))

    def test_apigateway_access_log_needs_its_format(self):
        lines = [json.dumps({"requestId": "g%d" % i, "requestTimeEpoch": OCT + i * INTERVAL,
                             "status": "500", "integrationStatus": "-",
                             "error": {"responseType": "DEFAULT_5XX"}, "apiId": "a1b2c3d4e5",
                             "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
                             "accountId": ACCOUNT_A}) for i in range(3)]
        lines += [json.dumps({"requestId": "i%d" % i, "requestTimeEpoch": OCT + i * INTERVAL,
                              "status": "502", "integrationStatus": "500", "apiId": "a1b2c3d4e5",
                              "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
                              "accountId": ACCOUNT_A}) for i in range(3)]
        path = self.path("apigw.log")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = self.ingest(path, "--format", "apigateway-access-log")
        self.assertEqual(r.json()["accepted"], 6, r)
        row = self.rows()[("apigateway", "us-east-1")]
        self.assertEqual(row["failed_requests"], 3, row)
        self.assertEqual(row["excluded_requests"]["client_error"], 3, row)
        self.assertEqual(row["requests"], 3, row)

    def test_cloudfront_standard_log(self):
        fields = ("date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem "
                  "sc-status x-edge-result-type x-edge-request-id x-host-header "
                  "x-edge-detailed-result-type").split()
        def line(i, status, result, detail):
            import datetime
            d = datetime.datetime.fromtimestamp((OCT + i * INTERVAL) / 1000,
                                                datetime.timezone.utc)
            return "\t".join([d.strftime("%Y-%m-%d"), d.strftime("%H:%M:%S"), "IAD89-C1", "100",
                              "192.0.2.1", "GET", "d1.cloudfront.net", "/", str(status), result,
                              "cf-%d-%s" % (i, detail), "www.example.com", detail])
        body = ["#Version: 1.0", "#Fields: " + " ".join(fields),
                line(1, 200, "Hit", "Hit"), line(2, 503, "CapacityExceeded", "CapacityExceeded"),
                line(3, 502, "Error", "OriginConnectError")]
        path = self.path("cf.log")
        with open(path, "w") as f:
            f.write("\n".join(body) + "\n")
        r = self.ingest(path, "--account", ACCOUNT_A)
        self.assertEqual(r.json()["accepted"], 3, r)
        row = self.rows()[("cloudfront", "us-east-1")]
        self.assertEqual(row["failed_requests"], 1, row)
        self.assertEqual(row["excluded_requests"]["client_error"], 1, row)


class UnverifiedTermsInClaims(RecoupTestCase):
    """A claim under terms the catalog holds unverified is marked in its
    package and is not filed without --accept-unverified."""

    def test_unverified_terms_never_pass_silently(self):
        oct26 = ms_of(2026, 10, 1)
        recs = []
        for i in range(12):  # 12 failed intervals: 100 - 1200/8928 < 99.9
            for k in range(2):
                recs.append(record("sqs", oct26 + (100 + i) * INTERVAL + k * 1000,
                                   "q-%d-%d" % (i, k), error="InternalError"))
        path = self.path("trail", "AWSLogs", ACCOUNT_A, "CloudTrail", "us-east-1", "2026", "10",
                         "01", "q.json.gz")
        write_trail_file(path, recs)
        self.ingest(self.path("trail"))
        r = self.run_recoup("claims", "list", "--output", "json")
        self.assertEqual(r.returncode, 0, r)
        claims = [c for c in json.loads(r.stdout)["claims"] if c["service"] == "sqs"]
        self.assertEqual(len(claims), 1, r.stdout)
        cid = claims[0]["id"]
        r = self.run_recoup("claims", "build", cid, "--out", self.path("pkgs"))
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("not verified", r.stderr)
        with open(self.path("pkgs", cid, "manifest.json")) as f:
            manifest = json.load(f)
        self.assertEqual(manifest["sla_confidence"], "unverified")
        self.assertIn("tiers", manifest["sla_unverified_facts"])
        r = self.run_recoup("claims", "file", cid, "--yes")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("--accept-unverified", r.stdout + r.stderr)
        r = self.run_recoup("claims", "list", "--output", "json")
        state = [c["state"] for c in json.loads(r.stdout)["claims"] if c["id"] == cid][0]
        self.assertNotEqual(state, "filed")


class Catalog(RecoupTestCase):

    def test_sla_list_json_names_every_service_with_confidence(self):
        r = self.run_recoup("sla", "list", "--output", "json", use_store=False)
        self.assertEqual(r.returncode, 0, r)
        doc = json.loads(r.stdout)
        services = {s["service"]: s for s in doc["services"]}
        for key in ("kms", "s3", "dynamodb", "lambda", "apigateway", "sqs", "sns",
                    "secretsmanager", "kinesis", "cloudfront"):
            self.assertIn(key, services)
            s = services[key]
            self.assertIn(s["confidence"], ("verified", "verbatim_copy", "secondary", "unverified"))
            for v in s["versions"]:
                for field in ("id", "effective_from", "commitment_pct", "tiers",
                              "interval_seconds", "credit_base", "confidence", "sources"):
                    self.assertIn(field, v, (key, v))
        self.assertEqual(services["sqs"]["confidence"], "unverified")
        self.assertEqual(services["s3"]["counts_as_failure"], ["InternalError",
                                                               "ServiceUnavailable"])
        self.assertIn("SlowDown", services["s3"]["throttling"])
        sm = [v["commitment_pct"] for v in services["secretsmanager"]["versions"]]
        self.assertEqual(sm, ["99.9", "99.99"])
        scopes = {x["scope"]: x for x in services["dynamodb"]["sub_scopes"]}
        self.assertEqual(scopes["global_tables"]["commitment_pct"], "99.999")

    def test_sla_list_table_and_show(self):
        r = self.run_recoup("sla", "list", use_store=False)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("CONFIDENCE", r.stdout)
        self.assertIn("dynamodb", r.stdout)
        r = self.run_recoup("sla", "show", "sqs", use_store=False)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("UNVERIFIED", r.stdout)
        r = self.run_recoup("sla", "show", "DynamoDB", use_store=False)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("global_tables", r.stdout)
        r = self.run_recoup("sla", "show", "ec2", use_store=False)
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn("ec2", r.stderr)


def otlp_span(bucket, request_id, status, error=None):
    import time as _time
    now_ns = int(_time.time() * 1000) * 1000000
    attrs = [{"key": k, "value": {"stringValue": v}} for k, v in (
        ("rpc.system", "aws-api"), ("rpc.service", "S3"), ("rpc.method", "GetObject"),
        ("aws.request_id", request_id), ("cloud.region", "us-east-1"),
        ("cloud.account.id", ACCOUNT_A), ("aws.s3.bucket", bucket))]
    attrs.append({"key": "http.status_code", "value": {"intValue": str(status)}})
    span = {"traceId": "0" * 31 + "1", "spanId": "0" * 15 + "1", "name": "S3.GetObject",
            "kind": 3, "startTimeUnixNano": str(now_ns), "endTimeUnixNano": str(now_ns + 1000),
            "attributes": attrs}
    if error:
        span["status"] = {"code": 2}
        span["events"] = [{"name": "exception", "timeUnixNano": str(now_ns),
                           "attributes": [{"key": "exception.type",
                                           "value": {"stringValue": error}}]}]
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}).encode()


class SubScopes(RecoupTestCase):
    """S3's Infrequent-Access-like classes (99.0%) and DynamoDB Global Tables
    (99.999%) are series of their own, for the resources the user names."""

    def s3_records(self):
        recs = []
        for i, bucket in enumerate(("archive-2025", "live-assets")):
            for k in range(10):  # 10 intervals, one request each, all failed
                recs.append(record("s3", OCT + (10 + 20 * i + k) * INTERVAL,
                                   "s3-%d-%d" % (i, k), error="InternalError",
                                   event_name="GetObject",
                                   resources=[{"type": "AWS::S3::Object",
                                               "ARN": "arn:aws:s3:::%s/k%d" % (bucket, k)}]))
        return recs

    def test_ingest_scope_splits_the_series_and_report_shows_the_scope(self):
        path = self.path("trail", "AWSLogs", ACCOUNT_A, "CloudTrail", "us-east-1", "2025", "10",
                         "01", "s3.json.gz")
        write_trail_file(path, self.s3_records())
        r = self.run_recoup("ingest", self.path("trail"), "--scope", "s3.glacier=archive-*")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("--scope: 's3.glacier' is not a sub-scope", r.stderr)
        self.assertIn("s3.infrequent_access", r.stderr)
        r = self.run_recoup("ingest", self.path("trail"), "--scope",
                            "s3.infrequent_access=archive-*")
        self.assertEqual(r.returncode, 0, r)
        rows = json.loads(self.report_json("--month", "2025-10", "--service", "s3",
                                           intervals=False))
        by = {row["service"]: row for row in rows}
        self.assertEqual(sorted(by), ["s3", "s3.infrequent_access"])
        self.assertEqual(by["s3"]["scope"], "standard")
        self.assertEqual(by["s3"]["commitment_pct"], "99.9")
        self.assertEqual(by["s3.infrequent_access"]["scope"], "infrequent_access")
        self.assertEqual(by["s3.infrequent_access"]["commitment_pct"], "99")
        self.assertEqual(by["s3"]["failed_requests"], 10)
        self.assertEqual(by["s3.infrequent_access"]["failed_requests"], 10)
        # Ten intervals all failed: 100 - 1000/8928 = 99.88799...: breaches 99.9
        # but not the Infrequent-Access-like classes' 99.0.
        self.assertTrue(by["s3"]["breached"])
        self.assertFalse(by["s3.infrequent_access"]["breached"])
        rows = json.loads(self.report_json("--month", "2025-10", "--service",
                                           "s3.infrequent_access", intervals=False))
        self.assertEqual([row["service"] for row in rows], ["s3.infrequent_access"])
        # A service without sub-scopes has no scope.
        r = self.run_recoup("sla", "show", "s3.infrequent_access")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("version s3-2023-11-28 (from 2023-11-28, billing months from 2023-12): "
                      "commitment 99%", r.stdout)

    def test_serve_scopes_count_otlp_spans_in_the_sub_scope(self):
        import socket
        import subprocess
        import time as _time
        import urllib.request

        import recoup_it
        from aws_peers import free_port
        from recoup_it import wait_for
        otlp = free_port()
        config = self.path("recoup.toml")
        with open(config, "w") as f:
            f.write("""
[serve]
account = "%s"
evaluate_every = "200ms"
commit_every = "100ms"
scopes = ["s3.infrequent_access=archive-*"]
[sources.csm]
enabled = false
[sources.otlp]
listen = "127.0.0.1:%d"
[dashboard]
enabled = false
""" % (ACCOUNT_A, otlp))
        log_path = self.path("serve.log")
        log = open(log_path, "wb")
        self.addCleanup(log.close)
        p = subprocess.Popen([recoup_it.BINARY, "--store", self.store, "serve", "--config",
                              config], env=self.env, stdout=subprocess.PIPE, stderr=log)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        self.addCleanup(p.stdout.close)

        def log_text():
            with open(log_path, "rb") as f:
                return f.read()
        wait_for("serve to start", lambda: b"running" in log_text() or p.poll() is not None)
        self.assertIsNone(p.poll(), log_text())
        for bucket, rid, status, error in (("archive-1", "o-1", 500, "InternalError"),
                                           ("archive-1", "o-2", 200, None),
                                           ("live-1", "o-3", 200, None)):
            req = urllib.request.Request("http://127.0.0.1:%d/v1/traces" % otlp,
                                         data=otlp_span(bucket, rid, status, error),
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as resp:
                self.assertEqual(resp.status, 200)
        p.send_signal(2)
        p.communicate(timeout=60)
        month = _time.strftime("%Y-%m", _time.gmtime())
        rows = json.loads(self.report_json("--month", month, "--service", "s3", intervals=False))
        by = {row["service"]: row for row in rows}
        self.assertEqual(by["s3.infrequent_access"]["failed_requests"], 1, rows)
        self.assertEqual(by["s3.infrequent_access"]["requests"], 2, rows)
        self.assertEqual(by["s3"]["requests"], 1, rows)

    def test_a_bad_serve_scope_stops_serve_naming_it(self):
        import subprocess
        import recoup_it
        config = self.path("recoup.toml")
        with open(config, "w") as f:
            f.write('[serve]\naccount = "%s"\nscopes = ["dynamodb.global=orders"]\n'
                    '[sources.csm]\nenabled = false\n[sources.otlp]\nenabled = false\n'
                    '[dashboard]\nenabled = false\n' % ACCOUNT_A)
        r = subprocess.run([recoup_it.BINARY, "--store", self.store, "serve", "--config", config],
                           env=self.env, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn("serve.scopes: 'dynamodb.global' is not a sub-scope", r.stderr)


if __name__ == "__main__":
    unittest.main()
