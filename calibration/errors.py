#!/usr/bin/env python3
"""Error analysis of the scorer on one labelled set (train by default; never the holdout).

    cargo build -p pipeprep-cli
    python3 calibration/errors.py [train|dev] [--style STYLE] [--dim DIMENSION] [--misses]

Grades every transcript of the set with `pipeprep grade --format json` and prints, per style and
per dimension, exact agreement and the direction of the misses (scorer above or below the label),
the corrections the scorer gave per confident-wrong transcript, and with --misses each
disagreement with the features the level model read and the justification it wrote.
"""
import collections
import json
import os
import subprocess
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.environ.get("PIPEPREP_BIN", os.path.join(ROOT, "target", "debug", "pipeprep"))
DIMS = ["requirements_extraction", "architecture_design", "tool_selection", "failure_modes",
        "scaling_strategy", "cost_awareness", "data_quality"]
LEVEL = {"novice": 0, "intermediate": 1, "expert": 2}


def arg(name):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return None


def main():
    split = next((a for a in sys.argv[1:] if a in ("train", "dev")), "train")
    if "holdout" in sys.argv:
        sys.exit("the holdout is measured once, by the main session, never analysed here")
    d = os.path.join(HERE, split)
    labels = tomllib.load(open(os.path.join(d, "labels.toml"), "rb"))["transcript"]
    rows = [json.loads(line) for line in subprocess.run(
        [BIN, "grade", "--eval", d, "--features"], check=True, capture_output=True,
        text=True).stdout.splitlines() if line.strip()]
    by_file = {t["file"]: t for t in labels}
    want_style, want_dim = arg("--style"), arg("--dim")
    per_style = collections.defaultdict(lambda: [0, 0, 0, 0])  # cells, exact, above, below
    per_dim = collections.defaultdict(lambda: [0, 0, 0, 0])
    misses = []
    corrections = collections.defaultdict(list)
    for r in rows:
        t = by_file[r["file"]]
        style = t.get("style", "familiar-old")
        dim = r["dimension"]
        if r["corrections"] or style == "confident-wrong":
            corrections[(r["file"], style)] += [(c, dim) for c in r["corrections"]]
        want, got = LEVEL[r["label"]], LEVEL[r["level"]]
        for bucket in (per_style[style], per_dim[dim]):
            bucket[0] += 1
            bucket[1] += want == got
            bucket[2] += got > want
            bucket[3] += got < want
        if want != got and (not want_style or style == want_style) and (
                not want_dim or dim == want_dim):
            key = {"requirements_extraction": "req", "architecture_design": "arch",
                   "tool_selection": "tool", "failure_modes": "fail",
                   "scaling_strategy": "scal", "cost_awareness": "cost",
                   "data_quality": "dq"}[dim]
            why = next((part.split(":", 1)[1].strip()
                        for part in t.get("note", "").split(";")
                        if part.strip().startswith(key) and ":" in part), "")
            misses.append((r["file"], style, dim, r["label"], r["level"], r["features"],
                           r["justification"], why))
    corrections = [(f, s, c) for (f, s), c in corrections.items()]
    print(f"{'style':<18} {'cells':>5} {'exact':>6} {'above':>6} {'below':>6}")
    for s, (n, e, a, b) in sorted(per_style.items()):
        print(f"{s:<18} {n:>5} {100 * e / n:>5.1f}% {a:>6} {b:>6}")
    print(f"\n{'dimension':<24} {'cells':>5} {'exact':>6} {'above':>6} {'below':>6}")
    for s, (n, e, a, b) in per_dim.items():
        print(f"{s:<24} {n:>5} {100 * e / n:>5.1f}% {a:>6} {b:>6}")
    print("\ncorrections given (file, style, [(id, dimension)])")
    for c in corrections:
        print("  ", *c)
    if "--misses" in sys.argv:
        print("\nmisses")
        for f, s, dim, want, got, x, j, why in misses:
            xs = ", ".join(f"{k}={v:.2f}" for k, v in x.items())
            print(f"- {f} [{s}] {dim}: label {want} -> {got}\n    features: {xs}\n"
                  f"    scorer: {j[:300]}\n    label note: {why[:300]}")


if __name__ == "__main__":
    main()
