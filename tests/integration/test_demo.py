"""`recoup demo`, the README's first command: a month with a us-east-1 outage
that hits DynamoDB, Lambda, SQS, API Gateway and S3 at once (and the KMS
outage of day 14), from CloudTrail (a management and a data-event trail),
SDK CSM, S3 server access logs and API Gateway access logs, priced from a CUR
with every service's charges.

Each report row is checked against truth.json, which the generator counts
while it writes the evidence (it never runs recoup): the same failed, throttled
and client-error counts, the same exact MUP, tier and credit.
"""

import json
import os
import re
import unittest
from decimal import Decimal
from fractions import Fraction

from recoup_it import RecoupTestCase


def truncated(fr, digits=12):
    q = fr.numerator * 10 ** digits // fr.denominator
    return "%d.%0*d" % (q // 10 ** digits, digits, q % 10 ** digits)


class DemoTest(RecoupTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

    def run_demo(self):
        out = self.path("demo")
        env = {k: v for k, v in self.env.items() if k != "RECOUP_STORE"}
        r = self.run_recoup("demo", "--out", out, env=env, use_store=False, timeout=600)
        self.assertEqual(r.returncode, 0, r)
        with open(os.path.join(out, "evidence", "truth.json")) as f:
            truth = json.load(f)
        store = os.path.join(out, "recoup.db")
        rows = json.loads(self.report_json("--month", "2026-10", store=store, intervals=False))
        return r, truth, rows, store

    def test_every_service_row_matches_the_generators_truth(self):
        r, truth, rows, _ = self.run_demo()
        by = {(x["account"], x["region"], x["service"]): x for x in rows}
        series = truth["services"]["series"]
        self.assertGreaterEqual(len(series), 20)
        breached = set()
        for s in series:
            key = (s["account_id"], s["region"], s["service"])
            row = by[key]
            v = s["expected_verdict"]
            self.assertEqual(row["failed_requests"], s["server_errors"], key)
            self.assertEqual(row["excluded_requests"]["throttling"], s["throttled"], key)
            self.assertEqual(row["excluded_requests"]["client_error"], s["client_errors"], key)
            self.assertEqual(row["commitment_pct"], v["commitment_percent"], key)
            if s["service"] != "s3":  # S3 also counts the management trail's ListBuckets
                self.assertEqual(row["requests"], s["requests"], key)
                self.assertEqual(row["mup_pct"], truncated(Fraction(v["mup_percent_exact"])), key)
            self.assertEqual(row["credit_pct"], str(v["credit_tier_percent"]), key)
            self.assertEqual(row["breached"], v["credit_tier_percent"] > 0, key)
            if v["credit_tier_percent"] > 0:
                breached.add(key)
                self.assertEqual(Decimal(row["credit_usd_exact"]), Decimal(v["credit_usd"]), key)
        # The outage breaches four of payments' services and analytics' Lambda
        # in us-east-1; S3 stays within its 99.9%.
        self.assertEqual(breached, {
            ("111122223333", "us-east-1", "dynamodb"), ("111122223333", "us-east-1", "lambda"),
            ("111122223333", "us-east-1", "sqs"), ("111122223333", "us-east-1", "apigateway"),
            ("444455556666", "us-east-1", "lambda")})
        s3 = by[("111122223333", "us-east-1", "s3")]
        self.assertGreater(s3["failed_requests"], 0)
        self.assertFalse(s3["breached"])

        # The CSM file of the order service repeats the trail's DynamoDB
        # failures: they count once.
        self.assertIn("0 new, %d matched across sources" % by[
            ("111122223333", "us-east-1", "dynamodb")]["failed_requests"], r.stdout)

        # The credit per service and in total, as the report prices them.
        per_service = {}
        for row in rows:
            if row["breached"]:
                per_service.setdefault(row["service"], Decimal(0))
                per_service[row["service"]] += Decimal(row["credit_usd_exact"])
        total = sum(per_service.values())
        for service, credit in per_service.items():
            m = re.search(r"^  %s +\d+ breached series +\$([0-9.]+)$" % service, r.stdout, re.M)
            self.assertIsNotNone(m, service)
            self.assertEqual(Decimal(m.group(1)),
                             credit.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"))
        m = re.search(r"Verdict: AWS owes \$([0-9.]+) in service credits for 2026-10 "
                      r"\(exactly \$([0-9.]+)\)", r.stdout)
        self.assertIsNotNone(m)
        self.assertEqual(Decimal(m.group(1)),
                         total.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"))
        self.assertEqual(Decimal(m.group(2)), total)

    def test_a_claim_per_breached_service_with_its_fields(self):
        _, _, _, store = self.run_demo()
        env = dict(self.env, RECOUP_NOW="2026-11-20T00:00:00Z")
        r = self.run_recoup("--store", store, "claims", "list", "--output", "json", env=env,
                            use_store=False)
        self.assertEqual(r.returncode, 0, r)
        claims = {c["id"]: c for c in r.json()["claims"]}
        for service in ("kms", "dynamodb", "lambda", "sqs", "apigateway"):
            self.assertIn("111122223333-us-east-1-%s-2026-10" % service, claims)
        out = self.path("pkg")
        claim = "111122223333-us-east-1-apigateway-2026-10"
        r = self.run_recoup("--store", store, "claims", "build", claim, "--out", out, env=env,
                            use_store=False)
        self.assertEqual(r.returncode, 0, r)
        with open(os.path.join(out, claim, "case-subject.txt")) as f:
            self.assertTrue(f.read().startswith("SLA Credit Request - Amazon API Gateway, us-east-1"))
        with open(os.path.join(out, claim, "case-body.txt")) as f:
            body = f.read()
        self.assertRegex(body, r"  API Gateway API IDs: [a-z0-9]{10}\n")
        claim = "111122223333-us-east-1-sqs-2026-10"
        r = self.run_recoup("--store", store, "claims", "build", claim, "--out", out, env=env,
                            use_store=False)
        self.assertEqual(r.returncode, 0, r)
        with open(os.path.join(out, claim, "case-body.txt")) as f:
            self.assertIn("  SQS queue URLs: https://sqs.us-east-1.amazonaws.com/111122223333/"
                          "settlements\n", f.read())


if __name__ == "__main__":
    unittest.main()
