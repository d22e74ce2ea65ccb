#!/usr/bin/env python3
"""tests/arch/layers.py: checks that the engine keeps its layers.

Usage: layers.py ENGINE_DIR BUILD_DIR [--graph]

The layers are engine/'s folders, bottom up, as engine/README.md lists them.
A file may include headers and use symbols only of its own layer and those
below; files that use each other's symbols (a cycle) must be few (at most
MAX_CYCLE) and in one layer; every public name a file defines starts with
cp_<file> (cp_facts_next in facts.c), but the commands' cp_cmd_<name> in
cmd/ and main. Prints each breach with the file and the header or symbol
that makes it, and exits 1 when there is any; --graph prints every file's
uses instead.
"""
import glob
import os
import re
import subprocess
import sys

LAYERS = ["base", "data", "lua", "state", "cmd"]
MAX_CYCLE = 4
# Headers of a layer's own internals: included by the files of that layer only.
PRIVATE = {"api.h": "lua", "rowset.h": "lua"}


def layer_files(engine):
    """Maps every source and header name (arena.c) to its layer."""
    where = {}
    for layer in LAYERS:
        for path in glob.glob(os.path.join(engine, layer, "*.[ch]")):
            where[os.path.basename(path)] = layer
    return where


def include_breaches(engine, where):
    """Includes of a header from a higher layer, or of no engine header."""
    out = []
    for name, layer in sorted(where.items()):
        with open(os.path.join(engine, layer, name), encoding="utf-8") as f:
            for no, line in enumerate(f, 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not m:
                    continue
                inc = m.group(1)
                if inc not in where:
                    out.append(f"engine/{layer}/{name}:{no}: includes \"{inc}\", "
                               "which is in no layer")
                elif inc in PRIVATE and PRIVATE[inc] != layer:
                    out.append(f"engine/{layer}/{name}:{no}: includes {inc}, which is "
                               f"private to {PRIVATE[inc]}/")
                elif LAYERS.index(where[inc]) > LAYERS.index(layer):
                    out.append(f"engine/{layer}/{name}:{no}: includes {where[inc]}/{inc} "
                               f"from the lower layer {layer}")
    return out


def symbol_graph(build):
    """Returns {object: {object it uses: a symbol}}, {object: its public names}."""
    objs = {}
    for layer in LAYERS:
        for path in glob.glob(os.path.join(build, layer, "*.o")):
            objs[f"{layer}/{os.path.basename(path)[:-2]}"] = path
    defined, wanted = {}, {}
    for obj, path in objs.items():
        nm = subprocess.run(["nm", path], capture_output=True, text=True, check=True)
        wanted[obj] = set()
        for line in nm.stdout.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TDBRC":
                defined[parts[2]] = obj
            elif len(parts) == 2 and parts[0] == "U":
                wanted[obj].add(parts[1])
    uses = {obj: {} for obj in objs}
    for obj, syms in wanted.items():
        for sym in sorted(syms):
            other = defined.get(sym)
            if other and other != obj:
                uses[obj].setdefault(other, sym)
    names = {obj: sorted(s for s, o in defined.items() if o == obj) for obj in objs}
    return uses, names


def name_breaches(names):
    """Public names that do not start with their file's prefix."""
    out = []
    for obj, syms in sorted(names.items()):
        layer, stem = obj.split("/")
        for sym in syms:
            if sym.startswith("__"):   # the compiler's own (ASan's __odr_asan.*)
                continue
            if sym.startswith("cp_" + stem) or (layer == "cmd" and sym.startswith("cp_cmd_")):
                continue
            if layer == "cmd" and stem == "main" and sym == "main":
                continue
            out.append(f"engine/{obj}.c defines {sym}: a public name starts with cp_{stem}")
    return out


def cycles(uses):
    """The strongly connected groups of more than one object (Tarjan)."""
    index, low, stack, on, groups = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in uses[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10000)
    for v in sorted(uses):
        if v not in index:
            visit(v)
    return groups


def main():
    engine, build = sys.argv[1], sys.argv[2]
    uses, names = symbol_graph(build)
    if "--graph" in sys.argv:
        for obj in sorted(uses):
            print(obj, "->", " ".join(sorted(uses[obj])))
        for group in cycles(uses):
            print("cycle:", " ".join(group))
        return 0
    breaches = include_breaches(engine, layer_files(engine)) + name_breaches(names)
    for obj in sorted(uses):
        for other, sym in sorted(uses[obj].items()):
            if LAYERS.index(other.split("/")[0]) > LAYERS.index(obj.split("/")[0]):
                breaches.append(f"engine/{obj}.c uses {sym} of the higher layer: "
                                f"engine/{other}.c")
    for group in cycles(uses):
        layers = sorted({g.split("/")[0] for g in group})
        if len(group) > MAX_CYCLE or len(layers) > 1:
            breaches.append(f"a cycle of {len(group)} files (at most {MAX_CYCLE}, in one "
                            f"layer): {' '.join(group)}")
    for b in breaches:
        print(b)
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
