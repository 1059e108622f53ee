"""End-to-end tests of the dashboard, JSON API, /metrics and OTLP receiver
(src/recoup/web), each against a real peer:

  PrometheusTest      promtool check metrics, and one scrape by a real
                      Prometheus server (Debian `prometheus`) on loopback;
  OtelPipelineTest    the AWS SDK for JavaScript v3 calling KMS on moto,
                      instrumented by @opentelemetry/instrumentation-aws-sdk
                      and exported by the OTLP HTTP exporters (JSON, protobuf);
  BrowserTest         headless Chromium (Debian `chromium`, driven by
                      playwright-core) loading the dashboard of a `recoup demo`
                      store; the screenshot is kept under the build folder.

The servers run in recoup_web_harness (tests/web), which starts WebServer and
OtlpReceiver as `recoup serve` wires them. Every expected number comes from
`recoup report --output json` on the same store.
"""

import calendar
import decimal
import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from recoup_it import BINARY, RecoupTestCase  # noqa: E402
from aws_peers import MotoServer, free_port  # noqa: E402

HARNESS = os.environ.get("RECOUP_WEB_HARNESS", "")
ARTIFACTS = os.environ.get("RECOUP_TEST_ARTIFACTS", "")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OTEL_DIR = os.path.join(ROOT, "tests", "otel")
BROWSER_DIR = os.path.join(ROOT, "tests", "browser")
TOKEN = "it-token-0123456789abcdef"


def previous_month():
    t = time.gmtime()
    y, m = (t.tm_year, t.tm_mon - 1) if t.tm_mon > 1 else (t.tm_year - 1, 12)
    return "%04d-%02d" % (y, m)


def current_month():
    t = time.gmtime()
    return "%04d-%02d" % (t.tm_year, t.tm_mon)


def need(path, what):
    if not path or not os.path.exists(path):
        raise unittest.SkipTest("%s not available (%s)" % (what, path))


class Harness:
    """recoup_web_harness on free ports; stops when closed."""

    def __init__(self, store, *args):
        need(HARNESS, "recoup_web_harness (RECOUP_WEB_HARNESS)")
        self.proc = subprocess.Popen(
            [HARNESS, "--store", store] + list(args), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read()
            raise RuntimeError("harness did not start: " + err)
        ports = json.loads(line)
        self.web = "http://127.0.0.1:%d" % ports["web_port"]
        self.otlp = "http://127.0.0.1:%d" % ports["otlp_port"]

    def close(self):
        """Stops the harness; fails if it did not exit cleanly (e.g. a
        sanitizer report in an instrumented build)."""
        killed = False
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                killed = True
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        if killed or self.proc.returncode != 0:
            raise AssertionError("harness exit %s%s:\n%s" % (
                self.proc.returncode, " (killed: did not stop)" if killed else "", err[-3000:]))


def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class WebTestCase(RecoupTestCase):
    def report(self, store, month):
        r = self.recoup(["--store", store, "report", "--month", month, "--output", "json"])
        self.assertEqual(r.returncode, 0, r)
        return r.json()

    def recoup(self, args):
        p = subprocess.run([BINARY] + args, env=self.env, capture_output=True, text=True,
                           timeout=600)

        class R:
            pass
        r = R()
        r.returncode, r.stdout, r.stderr = p.returncode, p.stdout, p.stderr
        r.json = lambda: json.loads(p.stdout)
        r.__repr__ = lambda: p.stderr
        return r

    def demo_store(self, month):
        out = os.path.join(self.tmp, "demo")
        r = self.recoup(["demo", "--out", out, "--month", month])
        self.assertEqual(r.returncode, 0, r.stderr)
        return os.path.join(out, "recoup.db")

    def harness(self, store, *args):
        h = Harness(store, *args)
        self.addCleanup(h.close)
        return h

    def get_json(self, url, token=None):
        headers = {"Authorization": "Bearer " + token} if token else {}
        status, body = http("GET", url, headers=headers)
        self.assertEqual(status, 200, body)
        return json.loads(body)


def metric_samples(text):
    """{(name, frozenset(labels)): value} from Prometheus text."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        if "{" in head:
            name, rest = head.split("{", 1)
            labels = {}
            for part in rest.rstrip("}").split(","):
                k, v = part.split("=", 1)
                labels[k] = v.strip('"')
        else:
            name, labels = head, {}
        out[(name, frozenset(labels.items()))] = value
    return out


class PrometheusTest(WebTestCase):
    def setUp(self):
        super().setUp()
        for tool in ("promtool", "prometheus"):
            if shutil.which(tool) is None:
                self.skipTest(tool + " is not installed (Debian package prometheus)")
        self.month = previous_month()
        self.store = self.demo_store(self.month)
        self.rows = self.report(self.store, self.month)
        self.h = self.harness(self.store, "--token", TOKEN)

    def test_metrics_pass_promtool_and_match_the_report(self):
        status, body = http("GET", self.h.web + "/metrics")
        self.assertEqual(status, 401)
        self.assertNotIn(TOKEN.encode(), body)
        status, body = http("GET", self.h.web + "/metrics",
                            headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual(status, 200)
        text = body.decode()
        check = subprocess.run(["promtool", "check", "metrics"], input=text,
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertEqual(check.stdout.strip() + check.stderr.strip(), "")

        samples = metric_samples(text)
        self.assertTrue(self.rows)
        for row in self.rows:
            labels = frozenset({"account": row["account"], "region": row["region"],
                                "service": row["service"], "month": row["month"]}.items())
            self.assertEqual(decimal.Decimal(samples[("recoup_mup_percent", labels)]),
                             decimal.Decimal(row["mup_pct"]), row)
            if row["credit_usd_exact"] is None:  # charges unknown: no credit to export
                self.assertNotIn(("recoup_credit_usd", labels), samples, row)
            else:
                self.assertEqual(decimal.Decimal(samples[("recoup_credit_usd", labels)]),
                                 decimal.Decimal(row["credit_usd_exact"]), row)
            self.assertEqual(decimal.Decimal(samples[("recoup_credit_percent", labels)]),
                             decimal.Decimal(row["credit_pct"]), row)
            self.assertEqual(samples[("recoup_sla_breached", labels)],
                             "1" if row["breached"] else "0")
            self.assertEqual(int(samples[("recoup_month_requests", labels)]), row["requests"])
            ratio = decimal.Decimal(samples[("recoup_error_budget_remaining_ratio", labels)])
            self.assertEqual(ratio < 0, row["breached"], row)
        self.assertIn(("recoup_source_events_in_total",
                       frozenset({"source": "otlp", "kind": "otlp"}.items())), samples)

    def test_one_real_scrape(self):
        port = free_port()
        data = os.path.join(self.tmp, "prometheus")
        config = os.path.join(self.tmp, "prometheus.yml")
        target = self.h.web.replace("http://", "")
        with open(config, "w") as f:
            # Under sanitizers on a loaded machine a scrape can take over a second;
            # the default timeout equals the interval, so give both room.
            f.write("global:\n  scrape_interval: 5s\n  scrape_timeout: 5s\n"
                    "  evaluation_interval: 5s\n"
                    "scrape_configs:\n  - job_name: recoup\n    metrics_path: /metrics\n"
                    "    authorization:\n      credentials: %s\n"
                    "    static_configs:\n      - targets: ['%s']\n" % (TOKEN, target))
        check = subprocess.run(["promtool", "check", "config", config], capture_output=True,
                               text=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        log = open(os.path.join(self.tmp, "prometheus.log"), "w")
        self.addCleanup(log.close)
        prom = subprocess.Popen(
            ["prometheus", "--config.file=" + config, "--storage.tsdb.path=" + data,
             "--web.listen-address=127.0.0.1:%d" % port],
            stdout=log, stderr=subprocess.STDOUT)

        def stop():
            prom.terminate()
            try:
                prom.wait(timeout=30)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait()
        self.addCleanup(stop)

        breached = [r for r in self.rows if r["breached"]]
        self.assertTrue(breached)
        row = breached[0]
        query = ('recoup_mup_percent{account="%s",region="%s",service="%s",month="%s"}'
                 % (row["account"], row["region"], row["service"], row["month"]))
        url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (
            port, urllib.request.quote(query))
        result = []
        deadline = time.time() + 180
        while not result:
            self.assertIsNone(prom.poll(), "prometheus exited; see prometheus.log")
            if time.time() > deadline:
                try:
                    _, targets = http("GET", "http://127.0.0.1:%d/api/v1/targets" % port)
                except OSError as e:
                    targets = str(e)
                self.fail("no scrape within 180 s; targets: %s" % targets)
            try:
                status, body = http("GET", url)
                if status == 200:
                    result = json.loads(body)["data"]["result"]
            except OSError:
                pass  # not listening yet
            if not result:
                time.sleep(0.5)
        self.assertEqual(len(result), 1, result)
        self.assertEqual(decimal.Decimal(result[0]["value"][1]).quantize(decimal.Decimal("1e-9")),
                         decimal.Decimal(row["mup_pct"]).quantize(decimal.Decimal("1e-9")))
        up = self.get_json("http://127.0.0.1:%d/api/v1/query?query=up" % port)
        self.assertEqual([r["value"][1] for r in up["data"]["result"]], ["1"])


class OtelPipelineTest(WebTestCase):
    ACCOUNT = "111122223333"
    OTHER = "444455556666"

    def setUp(self):
        super().setUp()
        if shutil.which("node") is None:
            self.skipTest("node is not installed")
        need(os.path.join(OTEL_DIR, "node_modules", "@opentelemetry", "instrumentation-aws-sdk"),
             "tests/otel/node_modules (run scripts/install-deps.sh)")
        self.moto = MotoServer()
        self.addCleanup(self.moto.stop)
        self.store = os.path.join(self.tmp, "live.db")
        self.h = self.harness(self.store, "--default-account", self.ACCOUNT)

    def run_node(self, encoding, account=None):
        env = self.moto.env(self.env)
        env["AWS_REGION"] = "us-east-1"
        args = ["node", os.path.join(OTEL_DIR, "kms_spans.cjs"), self.h.otlp + "/v1/traces",
                encoding] + ([account] if account else [])
        p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300,
                           cwd=OTEL_DIR)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out["exportErrors"], [])
        self.assertTrue(out["exportResults"])
        self.assertEqual(set(out["exportResults"]), {0}, out)  # ExportResultCode.SUCCESS
        return out["calls"]

    def series(self, account):
        rows = [r for r in self.report(self.store, current_month())
                if r["account"] == account and r["region"] == "us-east-1"]
        self.assertEqual(len(rows), 1, rows)
        return rows[0]

    def check_counts(self, calls, account):
        row = self.series(account)
        ok = [c for c in calls if c["outcome"] == "success"]
        client_errors = [c for c in calls if c["outcome"] == "error"]
        self.assertEqual(len(client_errors), 1, calls)
        self.assertEqual(client_errors[0]["error"], "NotFoundException")
        self.assertEqual(row["requests"], len(ok))
        self.assertEqual(row["failed_requests"], 0)
        self.assertEqual(row["excluded_requests"]["client_error"], len(client_errors))
        api = self.get_json(self.h.web + "/api/series?month=%s&account=%s&region=us-east-1"
                            % (current_month(), account))
        self.assertEqual(api["series"][0]["requests"], row["requests"])
        self.assertEqual(api["series"][0]["mup_pct"], row["mup_pct"])

    def test_json_exporter_with_default_account(self):
        calls = self.run_node("json")
        self.assertEqual(len(calls), 9)
        self.check_counts(calls, self.ACCOUNT)
        status = self.get_json(self.h.web + "/api/status")
        otlp = [s for s in status["sources"] if s["name"] == "otlp"][0]
        self.assertEqual(otlp["events_in"], len(calls))

    def test_protobuf_exporter_with_account_on_the_resource(self):
        calls = self.run_node("proto", self.OTHER)
        self.check_counts(calls, self.OTHER)
        rows = self.report(self.store, current_month())
        self.assertEqual([r for r in rows if r["account"] == self.ACCOUNT], [])

    def test_a_resent_request_counts_once(self):
        now_ns = time.time_ns()
        body = json.dumps({"resourceSpans": [{"resource": {"attributes": [
            {"key": "cloud.account.id", "value": {"stringValue": self.ACCOUNT}}]},
            "scopeSpans": [{"spans": [{
                "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
                "name": "KMS.Decrypt", "kind": 3, "startTimeUnixNano": str(now_ns),
                "endTimeUnixNano": str(now_ns + 20000000),
                "attributes": [
                    {"key": "rpc.system", "value": {"stringValue": "aws-api"}},
                    {"key": "rpc.service", "value": {"stringValue": "KMS"}},
                    {"key": "rpc.method", "value": {"stringValue": "Decrypt"}},
                    {"key": "cloud.region", "value": {"stringValue": "us-east-1"}},
                    {"key": "aws.request.id", "value": {"stringValue": "req-resent-1"}},
                    {"key": "http.response.status_code", "value": {"intValue": 200}}]}]}]}]}
        ).encode()
        for _ in range(2):  # an exporter re-sending after a lost answer
            status, answer = http("POST", self.h.otlp + "/v1/traces", body,
                                  {"Content-Type": "application/json"})
            self.assertEqual(status, 200, answer)
        self.assertEqual(self.series(self.ACCOUNT)["requests"], 1)
        status, answer = http("POST", self.h.otlp + "/v1/traces", b"{\"resourceSpans\":1}",
                              {"Content-Type": "application/json"})
        self.assertEqual(status, 400)
        self.assertIn(b"resourceSpans: not an array", answer)


class BrowserTest(WebTestCase):
    def setUp(self):
        super().setUp()
        if shutil.which("node") is None:
            self.skipTest("node is not installed")
        self.chromium = shutil.which("chromium") or "/usr/bin/chromium"
        need(self.chromium, "chromium (Debian package chromium)")
        need(os.path.join(BROWSER_DIR, "node_modules", "playwright-core"),
             "tests/browser/node_modules (run scripts/install-deps.sh)")

    def test_dashboard_shows_the_store_numbers(self):
        month = previous_month()
        store = self.demo_store(month)
        rows = self.report(store, month)
        breached = sorted((r for r in rows if r["breached"]), key=lambda r: r["mup_pct"])
        self.assertTrue(breached)
        alerts = os.path.join(self.tmp, "alerts.json")
        with open(alerts, "w") as f:
            json.dump([{"id": "tier/%s/%s/kms/%s" % (breached[0]["account"],
                                                    breached[0]["region"], month),
                        "kind": "tier", "severity": "critical", "state": "open",
                        "account": breached[0]["account"], "region": breached[0]["region"],
                        "month": month, "summary": "credit tier crossed",
                        "mup_pct": breached[0]["mup_pct"], "credit_pct": breached[0]["credit_pct"],
                        "credit_usd": breached[0]["credit_usd"],
                        "opened_ms": int(time.time() * 1000)}], f)
        # An AWS Health event over the worst series' failing hour.
        worst = min(rows, key=lambda r: decimal.Decimal(r["mup_pct"]))
        iv = self.recoup(["--store", store, "report", "--month", month, "--account",
                          worst["account"], "--region", worst["region"], "--intervals",
                          "--output", "json"]).json()[0]
        failing = [calendar.timegm(time.strptime(i["start"], "%Y-%m-%dT%H:%M:%SZ")) * 1000
                   for i in iv["interval_detail"] if i["failed_requests"] > 0]
        self.assertTrue(failing)
        health = os.path.join(self.tmp, "health.json")
        with open(health, "w") as f:
            json.dump([{"arn": "arn:aws:health:%s::event/KMS/AWS_KMS_OPERATIONAL_ISSUE/test-1"
                               % worst["region"],
                        "region": worst["region"], "start_ms": failing[0],
                        "end_ms": failing[-1] + 300000,
                        "description": "Increased error rates"}], f)
        # CSM records waiting for an account: the Sources section says so.
        waiting = os.path.join(self.tmp, "unattributed.json")
        with open(waiting, "w") as f:
            json.dump([{"source": "csm", "access_key": "AKIA...MPLE", "records": 17,
                        "last_event_ms": int(time.time() * 1000)}], f)
        h = self.harness(store, "--alerts", alerts, "--health", health,
                         "--unattributed", waiting)
        out_dir = ARTIFACTS or self.tmp
        os.makedirs(out_dir, exist_ok=True)
        shot = os.path.join(out_dir, "dashboard.png")
        if os.path.exists(shot):
            os.remove(shot)
        # A browser far from UTC (UTC+13 in the southern summer, +12 in winter):
        # every time the page shows must still be UTC, as the SLA month is.
        env = dict(os.environ, TZ="Pacific/Auckland")
        p = subprocess.run(["node", os.path.join(BROWSER_DIR, "dashboard.cjs"), h.web + "/",
                            shot, self.chromium], capture_output=True, text=True,
                           timeout=300, cwd=BROWSER_DIR, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        shown = json.loads(p.stdout)
        self.assertEqual(shown["error"], "")
        self.assertEqual(shown["consoleErrors"], [])
        self.assertEqual(shown["month"], month)
        self.assertEqual(shown["timeZone"], "Pacific/Auckland")

        # Every time on the page is UTC: each <time> says in UTC the instant
        # its datetime attribute holds, and the chart's legend names the
        # hovered interval's start in UTC.
        def utc_text(ms):
            return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ms / 1000))

        def iso_ms(iso):
            head = iso.rstrip("Z").split(".")[0]
            frac = iso.rstrip("Z").split(".")[1] if "." in iso else "0"
            return calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S")) * 1000 + \
                int(frac.ljust(3, "0")[:3])

        self.assertGreater(len(shown["times"]), len(breached) + 2, shown["times"])
        for iso, text in shown["times"]:
            self.assertEqual(text, utc_text(iso_ms(iso)), (iso, text))
        self.assertTrue(shown["chart"]["cursorMs"], shown["chart"])
        self.assertEqual(shown["legendTime"], utc_text(int(shown["chart"]["cursorMs"])))

        # Every table fits the 1280 px viewport: no horizontal scrolling.
        layout = shown["layout"]
        self.assertEqual(layout["viewportWidth"], 1280)
        self.assertLessEqual(layout["scrollWidth"], layout["viewportWidth"], layout)
        for t in layout["tables"]:
            self.assertLessEqual(t["right"], t["sectionRight"], t)
            self.assertLessEqual(t["scrollWidth"], t["clientWidth"] + 1, t)

        # The series table: one row per report row, the report's numbers.
        by_key = {(r["account"], r["region"], r["service"]): r for r in rows}
        self.assertEqual(len(shown["series"]), len(rows))
        for tr in shown["series"]:
            r = by_key[(tr["data"]["account"], tr["data"]["region"], tr["data"]["service"])]
            cells = tr["cells"]
            self.assertEqual(cells[3], r["mup_pct"])
            self.assertEqual(int(cells[5]), r["requests"])
            self.assertEqual(int(cells[6]), r["failed_requests"])
            self.assertEqual(cells[7], "yes" if r["breached"] else "no")
            self.assertEqual(cells[9], r["credit_usd"] if r["credit_usd"] is not None else "-")

        # The chart: the worst series, every interval of the month, the
        # Health event drawn and listed.
        self.assertEqual(shown["selected"][0]["account"], worst["account"])
        self.assertEqual(shown["selected"][0]["region"], worst["region"])
        chart = shown["chart"]
        y, m = map(int, month.split("-"))
        self.assertEqual(int(chart["points"]), calendar.monthrange(y, m)[1] * 288)
        self.assertEqual(int(chart["intervalsWithRequests"]), worst["intervals_with_requests"])
        self.assertEqual(int(chart["failingIntervals"]), worst["failing_intervals"])
        self.assertGreater(float(chart["maxRatePct"]), 0)
        self.assertEqual(chart["healthEvents"], "1")
        self.assertEqual(len(shown["health"]), 1)
        self.assertEqual(shown["health"][0]["cells"][2], worst["region"])
        self.assertGreater(chart["canvasWidth"], 500)
        self.assertGreater(chart["inkedPixels"], 2000)
        self.assertIn(("MUP so far", worst["mup_pct"] + "%"), [tuple(c) for c in shown["summary"]])

        # Claims: every breached series, with its credit and deadline.
        claims = {tr["data"]["id"]: tr["cells"] for tr in shown["claims"]}
        self.assertEqual(len(claims), len(breached))
        for r in breached:
            cells = claims["%s-%s-%s-%s" % (r["account"], r["region"], r["service"], month)]
            self.assertEqual(cells[5], r["mup_pct"])
            self.assertEqual(cells[7], r["credit_usd"])
            self.assertEqual(cells[8], utc_text(iso_ms(r["claim_deadline"])))

        self.assertEqual(shown["unattributed"]["pending"], "17")
        self.assertIn("17 records kept without an account", shown["unattributed"]["text"])
        self.assertIn("AKIA...MPLE: 17", shown["unattributed"]["text"])
        self.assertFalse(shown["unattributed"]["hidden"])
        csm = [tr for tr in shown["sources"] if tr["data"].get("name") == "csm"]
        self.assertEqual(len(csm), 1, shown["sources"])
        self.assertEqual(csm[0]["cells"][5], "17")  # Unattributed

        self.assertEqual([a["data"]["id"] for a in shown["alerts"]],
                         ["tier/%s/%s/kms/%s" % (breached[0]["account"], breached[0]["region"],
                                                 month)])
        with open(shot, "rb") as f:
            png = f.read()
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        self.assertGreater(len(png), 20000)


if __name__ == "__main__":
    unittest.main()
