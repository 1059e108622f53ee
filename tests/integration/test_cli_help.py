"""A CLI that helps: unknown commands, `recoup help`, usage errors that point
to the command's own help, fixed values in --help, --version, shell
completion, the man page, report --intervals filtering and the names of
unknown services and wrong-case Regions."""

import csv
import io
import os
import re
import shutil
import subprocess
import unittest

from recoup_it import (ACCOUNT_A, BINARY, RecoupTestCase, ct_record, ms_of,
                       write_trail_file)


def lines(text):
    return [l for l in text.splitlines() if l.strip()]


class UnknownCommands(RecoupTestCase):

    def test_typo_is_named_and_the_nearest_command_suggested(self):
        for args, wanted in ((["reprot"], "recoup report"), (["ingets", "x"], "recoup ingest"),
                             (["claims", "lsit"], "recoup claims list"),
                             (["docter"], "recoup doctor")):
            r = self.run_recoup(*args)
            self.assertEqual(r.returncode, 2, r)
            self.assertEqual(r.stdout, "", r)
            self.assertEqual(len(lines(r.stderr)), 1, r)
            self.assertIn("unknown command '%s'" % " ".join(args[:2] if args[0] == "claims"
                                                              else args[:1]), r.stderr, r)
            self.assertIn("did you mean '%s'" % wanted, r.stderr, r)

    def test_nothing_near_suggests_nothing(self):
        r = self.run_recoup("frobnicate")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("unknown command 'frobnicate'", r.stderr)
        self.assertNotIn("did you mean", r.stderr)
        self.assertIn("recoup help", r.stderr)

    def test_global_option_before_a_typo(self):
        r = self.run_recoup("--catalog", "x.json", "reprt", use_store=True)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("unknown command 'reprt'", r.stderr)
        self.assertIn("'recoup report'", r.stderr)


class Help(RecoupTestCase):

    def test_help_alone_is_the_top_help(self):
        r = self.run_recoup("help", use_store=False)
        self.assertEqual(r.returncode, 0, r)
        top = self.run_recoup("--help", use_store=False)
        self.assertEqual(r.stdout, top.stdout)
        for c in ("ingest", "report", "claims", "doctor", "help", "completion", "man"):
            self.assertIn(c, r.stdout)

    def test_help_of_a_command_is_its_own_help(self):
        for words in (["report"], ["claims", "list"], ["ingest", "cloudtrail-lookup"]):
            r = self.run_recoup("help", *words, use_store=False)
            self.assertEqual(r.returncode, 0, r)
            own = self.run_recoup(*words, "--help", use_store=False)
            self.assertEqual(own.returncode, 0, own)
            self.assertEqual(r.stdout, own.stdout, words)
            self.assertTrue(r.stdout.strip())

    def test_help_of_an_unknown_command(self):
        r = self.run_recoup("help", "reprot", use_store=False)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("unknown command 'reprot'", r.stderr)
        self.assertIn("'recoup report'", r.stderr)


class UsageErrorsPointToTheCommandsHelp(RecoupTestCase):

    def test_parse_errors(self):
        for args, helpcmd in ((["report", "--output", "xml"], "recoup report --help"),
                              (["report", "--bogus"], "recoup report --help"),
                              (["claims", "list", "--output", "yaml"],
                               "recoup claims list --help"),
                              (["ingest", "x", "--format", "xml"], "recoup ingest --help"),
                              (["doctor", "--output", "yaml"], "recoup doctor --help")):
            r = self.run_recoup(*args)
            self.assertEqual(r.returncode, 2, r)
            self.assertEqual(len(lines(r.stderr)), 1, r)
            self.assertIn("(see %s)" % helpcmd, r.stderr, r)

    def test_checks_in_the_command(self):
        r = self.run_recoup("ingest")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("recoup ingest --help", r.stderr, r)
        r = self.run_recoup("ingest", self.mkdir("e"), "--account", "12")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("recoup ingest --help", r.stderr, r)


class FixedValuesInHelp(RecoupTestCase):

    def option_line(self, words, option):
        r = self.run_recoup(*words, "--help", use_store=False)
        self.assertEqual(r.returncode, 0, r)
        for l in r.stdout.splitlines():
            if re.search(r"(^|\s|,)%s\b" % re.escape(option), l):
                return l
        self.fail("%s not in the help of %s:\n%s" % (option, words, r.stdout))

    def test_listed(self):
        cases = [(["report"], "--output", ["table", "json", "csv"]),
                 (["claims", "list"], "--output", ["table", "json", "csv"]),
                 (["claims", "show"], "--output", ["text", "json"]),
                 (["ingest"], "--format", ["auto", "cloudtrail", "csm", "jsonl"]),
                 (["doctor"], "--output", ["text", "json"])]
        for words, option, values in cases:
            line = self.option_line(words, option)
            for v in values:
                self.assertIn(v, line, (words, option))
            # and they are enforced: anything else is a usage error naming them
            r = self.run_recoup(*words, option, "nonsense")
            self.assertEqual(r.returncode, 2, (words, r))
            for v in values:
                self.assertIn(v, r.stderr, (words, r))


class Version(RecoupTestCase):

    def test_version_commit_catalog_build(self):
        r = self.run_recoup("--version", use_store=False)
        self.assertEqual(r.returncode, 0, r)
        out = r.stdout
        self.assertRegex(out.splitlines()[0], r"^recoup \d+\.\d+\.\d+")
        self.assertRegex(out, r"(?m)^commit: ([0-9a-f]{7,40}|unknown)$")
        self.assertRegex(out, r"(?m)^catalog: \S+")
        self.assertRegex(out, r"(?m)^build: (Release|RelWithDebInfo|Debug|MinSizeRel|\S+)$")
        # The catalog line names the built-in catalog's version as `sla` shows it.
        cat = re.search(r"(?m)^catalog: (\S+)", out).group(1)
        sla = self.run_recoup("sla", "list", "--output", "json", use_store=False,
                              env=self.clean_env())
        self.assertEqual(sla.returncode, 0, sla)
        self.assertEqual(cat, sla.json()["catalog_version"])
        self.assertIn(sla.json()["catalog_sha256"], out)


class Completion(RecoupTestCase):

    def script(self, shell):
        r = self.run_recoup("completion", shell, use_store=False)
        self.assertEqual(r.returncode, 0, r)
        return r.stdout

    def bash_complete(self, script, words):
        path = self.path("recoup.bash")
        with open(path, "w") as f:
            f.write(script)
        line = " ".join(words)
        prog = ('source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _recoup; '
                'printf "%%s\\n" "${COMPREPLY[@]}"' % (path, line, len(words) - 1))
        p = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return set(p.stdout.split())

    def test_bash_completes_commands_options_and_values(self):
        s = self.script("bash")
        self.assertIn("complete", s)
        self.assertEqual(self.bash_complete(s, ["recoup", "rep"]), {"report"})
        self.assertEqual(self.bash_complete(s, ["recoup", "claims", "li"]), {"list"})
        self.assertIn("--output", self.bash_complete(s, ["recoup", "report", "--o"]))
        self.assertEqual(self.bash_complete(s, ["recoup", "report", "--output", ""]),
                         {"table", "json", "csv"})
        self.assertEqual(self.bash_complete(s, ["recoup", "completion", ""]),
                         {"bash", "zsh", "fish"})
        # global options are offered after a command too
        self.assertIn("--store", self.bash_complete(s, ["recoup", "report", "--s"]))

    def test_zsh_and_fish(self):
        z = self.script("zsh")
        self.assertTrue(z.startswith("#compdef recoup"))
        f = self.script("fish")
        self.assertIn("complete -c recoup", f)
        for word in ("report", "ingest", "claims", "list", "--output"):
            self.assertIn(word.lstrip("-"), z)
            self.assertIn(word.lstrip("-"), f)
        for shell, script in (("zsh", z), ("fish", f)):
            exe = shutil.which(shell)
            if exe is None:
                continue
            path = self.path("recoup." + shell)
            with open(path, "w") as fh:
                fh.write(script)
            p = subprocess.run([exe, "-n", path], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, (shell, p.stderr))

    def test_unknown_shell(self):
        r = self.run_recoup("completion", "tcsh", use_store=False)
        self.assertEqual(r.returncode, 2, r)
        for v in ("bash", "zsh", "fish"):
            self.assertIn(v, r.stderr)


class ManPage(RecoupTestCase):

    def test_man_page_covers_every_command_and_renders(self):
        r = self.run_recoup("man", use_store=False)
        self.assertEqual(r.returncode, 0, r)
        page = r.stdout
        self.assertTrue(page.startswith(".TH RECOUP 1"), page[:200])
        for section in (".SH NAME", ".SH SYNOPSIS", ".SH COMMANDS", ".SH EXIT STATUS"):
            self.assertIn(section, page)
        # Every command of the bash completion (the same definitions) is there.
        comp = self.run_recoup("completion", "bash", use_store=False).stdout
        paths = re.findall(r'path="([^"]+)"', comp)
        self.assertIn("claims list", paths)
        for p in set(paths):
            self.assertIn('.SS "recoup %s"' % p.replace("-", "\\-"), page, p)
        self.assertIn("table|json|csv", page)
        groff = shutil.which("groff")
        if groff:
            g = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z"], input=page,
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(g.returncode, 0, g.stderr)
            self.assertEqual(g.stderr.strip(), "", g.stderr)


class ReportIntervals(RecoupTestCase):
    """Two intervals with traffic in one series: one failing, one clean."""

    def setUp(self):
        super().setUp()
        t1 = ms_of(2024, 5, 10, 12, 0)
        t2 = ms_of(2024, 5, 11, 8, 0)
        recs = [ct_record(t1 + 1000, "ok-1"), ct_record(t1 + 2000, "fail-1",
                                                        error="KMSInternalException"),
                ct_record(t2 + 1000, "ok-2"), ct_record(t2 + 2000, "ok-3")]
        write_trail_file(self.path("in", "a.json.gz"), recs)
        self.ingest(self.path("in"))

    def test_json_intervals_are_the_failing_ones(self):
        r = self.run_recoup("report", "--output", "json", "--intervals")
        self.assertEqual(r.returncode, 0, r)
        detail = r.json()[0]["interval_detail"]
        self.assertEqual([d["start"] for d in detail], ["2024-05-10T12:00:00Z"])
        r = self.run_recoup("report", "--output", "json", "--all-intervals")
        detail = r.json()[0]["interval_detail"]
        self.assertEqual([d["start"] for d in detail],
                         ["2024-05-10T12:00:00Z", "2024-05-11T08:00:00Z"])

    def test_csv_intervals_are_the_failing_ones(self):
        r = self.run_recoup("report", "--output", "csv", "--intervals")
        self.assertEqual(r.returncode, 0, r)
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual([x["interval_start"] for x in rows], ["2024-05-10T12:00:00Z"])
        r = self.run_recoup("report", "--output", "csv", "--all-intervals")
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual(len(rows), 2)

    def test_help_says_so(self):
        r = self.run_recoup("report", "--help", use_store=False)
        self.assertIn("failing intervals", r.stdout)


class UnknownServiceAndRegionCase(RecoupTestCase):

    def setUp(self):
        super().setUp()
        write_trail_file(self.path("in", "a.json"), [ct_record(ms_of(2024, 5, 1), "r1")],
                         compress=False)
        self.ingest(self.path("in"))

    def test_unknown_service_is_named(self):
        r = self.run_recoup("report", "--service", "ec2")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("unknown service 'ec2'", r.stderr)
        self.assertIn("kms", r.stderr)
        self.assertNotIn("no evidence", r.stdout + r.stderr)

    def test_service_in_the_wrong_case(self):
        r = self.run_recoup("report", "--service", "KMS")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("'KMS'", r.stderr)
        self.assertIn("lower case", r.stderr)
        self.assertIn("kms", r.stderr)

    def test_region_in_the_wrong_case(self):
        r = self.run_recoup("report", "--region", "US-East-1")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("'US-East-1'", r.stderr)
        self.assertIn("lower case", r.stderr)
        self.assertIn("us-east-1", r.stderr)
        self.assertNotIn("no evidence", r.stdout)
        # the right case finds the evidence
        ok = self.run_recoup("report", "--region", "us-east-1", "--output", "json")
        self.assertEqual(ok.returncode, 0, ok)
        self.assertEqual(len(ok.json()), 1)
        self.assertEqual(ok.json()[0]["account"], ACCOUNT_A)


if __name__ == "__main__":
    unittest.main()
