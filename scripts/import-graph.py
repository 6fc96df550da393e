#!/usr/bin/env python3
"""The import structure of a crate's `src/`: which file each file imports
from (its `use crate::..` and `use super::..` paths, resolved to the file
that defines the module), the circles (strongly connected components of
more than one file), and imports that run against the layers ARCHITECTURE.md
lists.

    scripts/import-graph.py hooks-diesel/src
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "hooks-diesel/src"

def module_of(path):
    rel = os.path.relpath(path, root)[:-3]
    parts = rel.split(os.sep)
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    return parts

files = {}
for dirpath, _, names in os.walk(root):
    for name in names:
        if name.endswith(".rs"):
            path = os.path.join(dirpath, name)
            files[tuple(module_of(path))] = path

def resolve(parts):
    """The file of the longest module prefix of `parts`."""
    for n in range(len(parts), -1, -1):
        if tuple(parts[:n]) in files:
            return files[tuple(parts[:n])]
    return None

def expand(tree):
    """`a::{b, c::{d}}` -> ['a::b', 'a::c::d']."""
    tree = tree.strip()
    m = re.match(r"^(.*?)\{(.*)\}$", tree, re.S)
    if not m:
        return [tree]
    prefix, inner = m.group(1), m.group(2)
    items, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    out = []
    for item in items:
        if item.strip():
            out.extend(prefix + e for e in expand(item.strip()))
    return out

edges = {}
for mod, path in files.items():
    text = open(path).read()
    text = re.sub(r"#\[cfg\(test\)\]\s*mod tests \{.*", "", text, flags=re.S)
    targets = set()
    for m in re.finditer(r"\buse\s+((?:crate|super|self)::[^;]+);", text):
        for used in expand(m.group(1).replace("\n", " ")):
            parts = [p.strip() for p in used.split("::")]
            parts = [p.split(" as ")[0].strip() for p in parts]
            if parts[0] == "crate":
                base = []
            elif parts[0] == "super":
                base = list(mod[:-1]) if not path.endswith("mod.rs") else list(mod[:-1])
                base = list(mod[:-1])
            else:
                base = list(mod)
            rest = parts[1:]
            while rest and rest[0] == "super":
                base = base[:-1]
                rest = rest[1:]
            target = resolve(base + rest)
            if target and target != path:
                targets.add(target)
    edges[path] = targets

# Tarjan's strongly connected components.
index, low, stack, on, comps = {}, {}, [], set(), []
counter = [0]
def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges.get(v, ()):
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        comps.append(comp)
sys.setrecursionlimit(10000)
for v in list(edges):
    if v not in index:
        strong(v)
circles = [sorted(c) for c in comps if len(c) > 1]
print(f"{len(files)} files, {sum(len(t) for t in edges.values())} imports")
for c in sorted(circles, key=len, reverse=True):
    print(f"circle of {len(c)}: " + ", ".join(os.path.relpath(p, root) for p in c))
# Lower layers first; a file may import its own layer and those below.
layers = {"sql": 0, "backend": 1, "query": 1, "ops": 2, "intercept": 3}
def layer(path):
    rel = os.path.relpath(path, root).split(os.sep)[0].replace(".rs", "")
    return layers.get(rel)
upward = []
for src, targets in edges.items():
    for t in targets:
        a, b = layer(src), layer(t)
        if a is not None and b is not None and b > a:
            upward.append((src, t))
for src, t in sorted(upward):
    print(f"upward: {os.path.relpath(src, root)} -> {os.path.relpath(t, root)}")
sys.exit(1 if any(len(c) > 2 for c in circles) or upward else 0)
