#!/usr/bin/env python3
"""Runs the golden SLA cases against a recoup binary (python3 stdlib only).

Each case folder (tests/golden/<case>/) holds:
  case.json      the commands to run, in order, against a fresh temporary store
  expected.json  the report rows worked out by hand in the case's README.md
  inputs/        the evidence files (written by make_inputs.py)

case.json:
  {"proves": "...",
   "steps": [
     {"recoup": ["ingest", "@inputs/cloudtrail"]},            # any recoup command
     {"recoup": ["billing", "set", "--account", "...", ...]},
     {"report": ["--month", "2026-04"], "expect": "april"}     # report --output json
   ]}
  "@rel/path" is a path relative to the case folder. A "recoup" step must exit 0
  (or "exit": N). A "report" step runs `recoup --store S report --output json ARGS`
  and compares the rows with expected.json[<expect>].

Comparison rules:
  * the report must contain exactly the expected rows, matched on
    (account, region, service, month); a missing or extra row fails;
  * every field listed in the expected row is compared; fields not listed are
    ignored;
  * strings (mup_pct, claim_deadline, sla_version, ...) and numbers and booleans
    must be identical, type included;
  * money and percentage fields (DECIMAL_FIELDS) are decimal strings compared
    as exact decimals (Decimal equality, no floats), and null must be null.
    Money is written twice: `X_usd` in dollars and cents (exactly two decimals,
    rounded half up; checked) and `X_usd_exact`, the exact value, whose number
    of digits the contract does not fix. A credit at or below the minimum must
    also be written with a leading "0".

Usage: run_golden.py [--binary PATH] [--case NAME]... [--keep]
  The binary comes from --binary, else $RECOUP_BINARY. Without --case, every
  case folder is run. Exit status 0 only if every case passes.
"""

import argparse
import decimal
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
USD_FIELDS = {"charges_usd", "credit_usd", "credit_before_minimum_usd", "minimum_credit_usd"}
DECIMAL_FIELDS = ({"commitment_pct", "credit_pct"} | USD_FIELDS
                  | {f + "_exact" for f in USD_FIELDS})
KEY_FIELDS = ("account", "region", "service", "month")
TIMEOUT_S = 600


class CaseFailure(Exception):
    pass


def list_cases():
    return sorted(d for d in os.listdir(HERE)
                  if os.path.isfile(os.path.join(HERE, d, "case.json")))


def resolve(arg, case_dir):
    if isinstance(arg, str) and arg.startswith("@"):
        return os.path.join(case_dir, arg[1:])
    return str(arg)


def run(binary, store, argv, env):
    cmd = [binary, "--store", store] + argv
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                           timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise CaseFailure("timed out after %ds: %s" % (TIMEOUT_S, " ".join(cmd)))
    return cmd, p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def show(v):
    return json.dumps(v)


def as_decimal(v):
    try:
        return decimal.Decimal(v)
    except (decimal.InvalidOperation, TypeError, ValueError):
        return None


def compare_field(name, want, got, path):
    """Returns a list of human-readable differences."""
    where = "%s.%s" % (path, name)
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return ["%s: expected an object %s, got %s" % (where, show(want), show(got))]
        diffs = []
        for k, w in want.items():
            if k not in got:
                diffs.append("%s.%s: missing (expected %s)" % (where, k, show(w)))
            else:
                diffs += compare_field(k, w, got[k], where)
        return diffs
    if name in DECIMAL_FIELDS:
        if want is None or got is None:
            if want is None and got is None:
                return []
            return ["%s: expected %s, got %s" % (where, show(want), show(got))]
        if not isinstance(got, str):
            return ["%s: expected a decimal string equal to %s, got %s (%s)"
                    % (where, show(want), show(got), type(got).__name__)]
        dw, dg = as_decimal(want), as_decimal(got)
        if dg is None:
            return ["%s: %s is not a decimal number (expected %s)" % (where, show(got), show(want))]
        if dw != dg:
            return ["%s: expected %s, got %s (difference %s)" % (where, show(want), show(got), dg - dw)]
        if name in USD_FIELDS and not re.fullmatch(r"-?[0-9]+\.[0-9]{2}", got):
            return ["%s: %s is not dollars and cents (two decimals)" % (where, show(got))]
        if name in ("credit_usd", "credit_usd_exact") and dw == 0 and not got.startswith("0"):
            return ["%s: a credit at or below the minimum must read \"0...\", got %s" % (where, show(got))]
        return []
    if type(want) is not type(got) or want != got:
        return ["%s: expected %s, got %s" % (where, show(want), show(got))]
    return []


def compare_report(rows, expected, label):
    diffs = []
    if not isinstance(rows, list):
        return ["%s: report is not a JSON array: %s" % (label, show(rows)[:200])]
    got = {}
    for r in rows:
        k = tuple(r.get(f) for f in KEY_FIELDS)
        if k in got:
            diffs.append("%s: row %s appears twice" % (label, "/".join(map(str, k))))
        got[k] = r
    want = {tuple(e[f] for f in KEY_FIELDS): e for e in expected}
    for k in sorted(want, key=lambda x: tuple(map(str, x))):
        name = "%s[%s]" % (label, "/".join(k))
        if k not in got:
            diffs.append("%s: row missing from the report" % name)
            continue
        for field, w in want[k].items():
            if field in KEY_FIELDS:
                continue
            if field not in got[k]:
                diffs.append("%s.%s: field missing (expected %s)" % (name, field, show(w)))
                continue
            diffs += compare_field(field, w, got[k][field], name)
    for k in sorted(set(got) - set(want), key=lambda x: tuple(map(str, x))):
        diffs.append("%s[%s]: unexpected row in the report (mup_pct %s, requests %s)"
                     % (label, "/".join(map(str, k)), show(got[k].get("mup_pct")),
                        show(got[k].get("requests"))))
    return diffs


def run_case(binary, name, keep=False):
    case_dir = os.path.join(HERE, name)
    with open(os.path.join(case_dir, "case.json")) as f:
        case = json.load(f)
    with open(os.path.join(case_dir, "expected.json")) as f:
        expected = json.load(f)
    tmp = tempfile.mkdtemp(prefix="recoup-golden-%s-" % name)
    store = os.path.join(tmp, "store.db")
    env = dict(os.environ)
    for v in ("RECOUP_STORE", "RECOUP_CATALOG"):
        env.pop(v, None)
    env["HOME"] = tmp
    env["XDG_DATA_HOME"] = os.path.join(tmp, "xdg")
    failures = []
    try:
        for i, step in enumerate(case["steps"], 1):
            if "recoup" in step:
                argv = [resolve(a, case_dir) for a in step["recoup"]]
                cmd, rc, out, err = run(binary, store, argv, env)
                want_rc = step.get("exit", 0)
                if rc != want_rc:
                    raise CaseFailure("step %d: %s\n  exit status %d (expected %d)\n  stdout: %s\n  stderr: %s"
                                      % (i, " ".join(cmd), rc, want_rc, out.strip()[-2000:],
                                         err.strip()[-2000:]))
            elif "report" in step:
                argv = ["report", "--output", "json"] + [resolve(a, case_dir) for a in step["report"]]
                cmd, rc, out, err = run(binary, store, argv, env)
                if rc != 0:
                    raise CaseFailure("step %d: %s\n  exit status %d\n  stderr: %s"
                                      % (i, " ".join(cmd), rc, err.strip()[-2000:]))
                try:
                    rows = json.loads(out)
                except ValueError as e:
                    raise CaseFailure("step %d: %s\n  output is not JSON (%s):\n%s"
                                      % (i, " ".join(cmd), e, out[:2000]))
                label = "step %d report %s" % (i, step["expect"])
                diffs = compare_report(rows, expected[step["expect"]], label)
                if diffs:
                    failures.append("%s: %s\n    %s" % (label, " ".join(cmd[3:]), "\n    ".join(diffs)))
            else:
                raise CaseFailure("step %d: unknown step %s" % (i, show(step)))
    except CaseFailure as e:
        failures.append(str(e))
    finally:
        if keep:
            print("  (store kept in %s)" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return case.get("proves", ""), failures


def main():
    ap = argparse.ArgumentParser(description="Run the golden SLA cases against recoup.")
    ap.add_argument("--binary", default=os.environ.get("RECOUP_BINARY"),
                    help="recoup binary (default: $RECOUP_BINARY)")
    ap.add_argument("--case", action="append", default=[],
                    help="case folder name (repeatable; default: all)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary stores")
    args = ap.parse_args()
    if not args.binary:
        ap.error("give --binary PATH or set RECOUP_BINARY")
    if not os.access(args.binary, os.X_OK):
        ap.error("not an executable: %s" % args.binary)
    names = args.case or list_cases()
    known = set(list_cases())
    failed = []
    for name in names:
        if name not in known:
            print("FAIL %s: no such case (have: %s)" % (name, ", ".join(sorted(known))))
            failed.append(name)
            continue
        proves, failures = run_case(os.path.abspath(args.binary), name, args.keep)
        if failures:
            failed.append(name)
            print("FAIL %s: %s" % (name, proves))
            for f in failures:
                print("  " + f.replace("\n", "\n  "))
        else:
            print("PASS %s: %s" % (name, proves))
    print("%d of %d golden cases passed" % (len(names) - len(failed), len(names)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
