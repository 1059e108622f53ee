"""scripts/check-layering.py: the tree as it is passes, and each kind of
violation it exists to catch fails it, naming the file and line."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(SOURCE, "scripts", "check-layering.py")


class LayeringTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="recoup-layering-")
        for d in ("src", "docs"):
            shutil.copytree(os.path.join(SOURCE, d), os.path.join(self.tmp, d))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_check(self):
        return subprocess.run([sys.executable, SCRIPT, "--root", self.tmp],
                              capture_output=True, text=True, timeout=120)

    def edit(self, rel, old, new):
        path = os.path.join(self.tmp, rel)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertIn(old, text)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new, 1))

    def test_the_tree_passes(self):
        r = self.run_check()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("every include within them", r.stdout)

    def test_an_undeclared_edge_fails_with_file_and_line(self):
        # sla is pure: reaching the store from it is an edge nobody declared.
        self.edit("src/recoup/sla/evaluator.cc", '#include "recoup/sla/evaluator.h"\n',
                  '#include "recoup/sla/evaluator.h"\n#include "recoup/storage/store.h"\n')
        r = self.run_check()
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("src/recoup/sla/evaluator.cc:2: recoup/storage/store.h is module storage, "
                      "but sla does not declare recoup_storage", r.stdout)

    def test_a_cycle_fails(self):
        self.edit("src/recoup/core/CMakeLists.txt", "DEPS PkgConfig::GMP", "DEPS recoup_sla PkgConfig::GMP")
        self.edit("docs/ARCHITECTURE.md", "| (GMP, OpenSSL, xxhash, ISA-L) |", "| `sla` |")
        r = self.run_check()
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("dependency cycle", r.stdout)

    def test_the_document_must_match_the_build(self):
        self.edit("docs/ARCHITECTURE.md", "| `sla` | the SLA catalog",
                  "| `sla` | the SLA catalog (and, wrongly, `storage`)")
        r = self.run_check()
        self.assertEqual(r.returncode, 0, r.stdout)  # only the last column counts
        self.edit("docs/ARCHITECTURE.md", "pure | `events`, `core` |", "pure | `events`, `core`, `io` |")
        r = self.run_check()
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("docs/ARCHITECTURE.md: sla may depend on", r.stdout)

    def test_a_private_header_stays_private(self):
        self.edit("src/recoup/serve/service.cc", '#include "recoup/serve/service.h"\n',
                  '#include "recoup/serve/service.h"\n#include "recoup/aws/credentials_internal.h"\n')
        r = self.run_check()
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("recoup/aws/credentials_internal.h is private to module aws", r.stdout)


if __name__ == "__main__":
    unittest.main()
