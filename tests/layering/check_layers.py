#!/usr/bin/env python3
"""Fails when a file of crashlab includes a header of a layer above its own.

The layers and what each may use are docs/architecture.md's table; LAYERS
below is that table. A file's layer is the folder it sits in (the longest
match); tests/ may include anything. Prints each offending include as
`path:line: <folder> includes <header> of <folder>; ...` and exits 1.
Usage: check_layers.py [SOURCE_ROOT] | --self-test
"""
import os
import re
import sys
import tempfile

# Each layer and the layers it uses directly; what those use it may use too.
LAYERS = {
    "framework/base": [],
    "framework/protocol": ["framework/base"],
    "faults/points": [],
    "faults": ["framework/base"],
    "faults/preload": ["faults"],
    "faults/ptrace": ["faults"],
    "faults/block": ["faults"],
    "framework/plan": ["framework/protocol", "faults", "faults/block"],
    "framework/store": ["framework/plan"],
    "framework/engine": ["framework/plan"],
    "framework/case": ["framework/engine"],
    "framework/campaign": ["framework/case", "framework/store"],
    "framework/explore": ["framework/campaign"],
    "reports": ["framework/store"],
    "framework/cli": ["framework/explore", "reports"],
    "engines": ["framework/protocol", "faults/points"],
}
ANYTHING = ("tests",)
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def usable(layer, seen=None):
    """The layers `layer` may include: itself and everything below it."""
    seen = set() if seen is None else seen
    if layer in seen:
        return seen
    seen.add(layer)
    for lower in LAYERS[layer]:
        usable(lower, seen)
    return seen


def layer_of(path):
    best = None
    for layer in list(LAYERS) + list(ANYTHING):
        if path == layer or path.startswith(layer + "/"):
            if best is None or len(layer) > len(best):
                best = layer
    return best


def check(root):
    """The offending includes under `root`, and how many files were checked."""
    problems = []
    checked = 0
    for top in ("framework", "faults", "reports", "engines"):
        for folder, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.relpath(os.path.join(folder, name), root)
                layer = layer_of(path)
                if layer is None:
                    problems.append(f"{path}: in no layer; add its folder to "
                                    "tests/layering/check_layers.py and docs/architecture.md")
                    continue
                allowed = usable(layer)
                checked += 1
                with open(os.path.join(root, path), encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        header = m.group(1)
                        target = layer_of(header)
                        if target is None or target in allowed:
                            continue
                        if target in ANYTHING and path.endswith("_test.cc"):
                            continue
                        problems.append(
                            f"{path}:{number}: {layer} includes {header} of {target}, a layer "
                            f"it may not use (it may use {', '.join(sorted(allowed))})")
    return problems, checked


def self_test():
    """The check on a small tree: one upward include, one lawful include."""
    with tempfile.TemporaryDirectory() as root:
        files = {
            "faults/model.h": '#include "framework/case/oracle.h"\n',
            "framework/case/oracle.h": '#include "faults/model.h"\n',
            "engines/x/engine.cc": '#include "framework/protocol/protocol.h"\n'
                                   '#include "framework/store/results_store.h"\n',
        }
        for path, text in files.items():
            os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(root, path), "w", encoding="utf-8") as f:
                f.write(text)
        problems, checked = check(root)
        found = sorted(p.split(":")[0] for p in problems)
        if checked != 3 or found != ["engines/x/engine.cc", "faults/model.h"]:
            print(f"self-test: expected the two upward includes, found {problems}")
            return 1
    print("self-test: the check finds upward includes and passes lawful ones")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), "..", ".."))
    problems, checked = check(root)
    for p in problems:
        print(p)
    if checked == 0:
        print(f"no sources under {root}: pass the source root")
        return 1
    print(f"{checked} files checked, {len(problems)} includes against the layering")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
