#!/usr/bin/env python3
"""Holds the code to the module graph the build declares.

Reads every `recoup_add_library(NAME SOURCES ... HEADERS ... DEPS ...
PRIVATE_DEPS ...)` under src/recoup, works out which library owns each header
(the .h beside each source, and the HEADERS named), and then checks:

  1. every `#include "recoup/..."` in a library's sources and headers names a
     header of that library or of a library it declares directly (DEPS or
     PRIVATE_DEPS): an undeclared edge fails, with the file and line;
  2. every included header has an owner, a PRIVATE_HEADERS header is
     included by its own library only, and includes use the full
     "recoup/<module>/..." path;
  3. the declared graph has no cycle;
  4. the "Modules" table of docs/ARCHITECTURE.md lists exactly these libraries,
     each with exactly its declared recoup dependencies ("may depend on").

Tests (*_test.cc, test utilities) are not layered and are skipped.
Exit 0 when all hold, 1 with one line per violation otherwise.
Usage: check-layering.py [--root CHECKOUT]
"""
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
if len(sys.argv) == 3 and sys.argv[1] == "--root":  # another checkout (tests)
    ROOT = os.path.abspath(sys.argv[2])
SRC = os.path.join(ROOT, "src")
KEYWORDS = ("SOURCES", "HEADERS", "PRIVATE_HEADERS", "DEPS", "PRIVATE_DEPS")


def strip_comments(text):
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def libraries():
    """name -> {dir, sources, headers, deps, cmake}"""
    libs = {}
    for dirpath, _, files in os.walk(os.path.join(SRC, "recoup")):
        if "CMakeLists.txt" not in files:
            continue
        cmake = os.path.join(dirpath, "CMakeLists.txt")
        text = strip_comments(open(cmake, encoding="utf-8").read())
        for m in re.finditer(r"recoup_add_library\(\s*([A-Za-z0-9_]+)(.*?)\)", text, re.S):
            name, body = m.group(1), m.group(2)
            args = {k: [] for k in KEYWORDS}
            current = None
            for tok in body.split():
                if tok in KEYWORDS:
                    current = tok
                elif current:
                    args[current].append(tok)
            sources = [s for s in args["SOURCES"] if s.endswith(".cc") and "$" not in s]
            headers = list(args["HEADERS"])
            for s in sources:
                h = s[:-3] + ".h"
                if os.path.exists(os.path.join(dirpath, h)):
                    headers.append(h)
            deps = sorted(
                d[len("recoup_"):]
                for d in args["DEPS"] + args["PRIVATE_DEPS"]
                if d.startswith("recoup_") and d != "recoup_compile_options" and d != "recoup_otlp_proto"
            )
            libs[name] = {
                "dir": dirpath,
                "sources": sources,
                "headers": headers,
                "private_headers": list(args["PRIVATE_HEADERS"]),
                "deps": deps,
                "cmake": os.path.relpath(cmake, ROOT),
            }
    return libs


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def check_includes(libs, errors):
    owner, private = {}, set()
    for name, lib in libs.items():
        for h in lib["headers"] + lib["private_headers"]:
            rel = os.path.relpath(os.path.join(lib["dir"], h), SRC)
            owner[rel] = name
            if h in lib["private_headers"]:
                private.add(rel)
    for name, lib in sorted(libs.items()):
        allowed = set(lib["deps"]) | {name}
        for f in lib["sources"] + lib["headers"] + lib["private_headers"]:
            path = os.path.join(lib["dir"], f)
            rel_file = os.path.relpath(path, ROOT)
            for lineno, line in enumerate(open(path, encoding="utf-8"), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(1)
                if inc.startswith("opentelemetry/"):
                    continue  # generated OTLP messages (recoup_otlp_proto)
                if not inc.startswith("recoup/"):
                    errors.append(f'{rel_file}:{lineno}: include "{inc}" must use the full '
                                  f'"recoup/<module>/..." path')
                    continue
                target = owner.get(inc)
                if target is None:
                    errors.append(f"{rel_file}:{lineno}: {inc} belongs to no library "
                                  f"(list it in a SOURCES or HEADERS)")
                elif inc in private and target != name:
                    errors.append(f"{rel_file}:{lineno}: {inc} is private to module {target}")
                elif target not in allowed:
                    errors.append(f"{rel_file}:{lineno}: {inc} is module {target}, but {name} does "
                                  f"not declare recoup_{target} ({lib['cmake']})")


def check_cycles(libs, errors):
    state = {}

    def visit(n, stack):
        state[n] = 1
        for d in libs[n]["deps"]:
            if d not in libs:
                errors.append(f"{libs[n]['cmake']}: {n} declares recoup_{d}, which is no library")
            elif state.get(d) == 1:
                errors.append("dependency cycle: " + " -> ".join(stack + [n, d]))
            elif d not in state:
                visit(d, stack + [n])
        state[n] = 2

    for n in sorted(libs):
        if n not in state:
            visit(n, [])


def check_document(libs, errors):
    doc = os.path.join(ROOT, "docs", "ARCHITECTURE.md")
    rows = {}
    in_table = False
    for line in open(doc, encoding="utf-8"):
        if line.startswith("| module |"):
            in_table = True
            continue
        if in_table:
            if not line.startswith("|"):
                break
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 3 or set(cells[0]) <= set("-: "):
                continue
            m = re.match(r"`([a-z0-9_]+)`", cells[0])
            if not m:
                continue
            deps = re.findall(r"`([a-z0-9_]+)`", cells[-1])
            rows[m.group(1)] = sorted(d for d in deps if d in libs or d == "everything")
    if not rows:
        errors.append("docs/ARCHITECTURE.md: no modules table (a row per library: "
                      "| `name` | owns | may depend on |)")
        return
    for name, lib in sorted(libs.items()):
        if name not in rows:
            errors.append(f"docs/ARCHITECTURE.md: module {name} is missing from the modules table")
        elif rows[name] != lib["deps"]:
            errors.append(f"docs/ARCHITECTURE.md: {name} may depend on {rows[name]}, but "
                          f"{lib['cmake']} declares {lib['deps']}")
    for name in sorted(set(rows) - set(libs)):
        errors.append(f"docs/ARCHITECTURE.md: module {name} in the table is no library")


def main():
    libs = libraries()
    errors = []
    check_includes(libs, errors)
    check_cycles(libs, errors)
    check_document(libs, errors)
    for e in errors:
        print(e)
    if errors:
        print(f"layering: {len(errors)} violation(s)")
        return 1
    edges = sum(len(lib["deps"]) for lib in libs.values())
    print(f"layering: {len(libs)} libraries, {edges} declared edges, every include within them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
