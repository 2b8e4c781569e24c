#!/usr/bin/env python3
"""Split the writers' pools (pool-a, pool-b, pool-c) into train/ and dev/, deterministically.

Within each pool, sorted by file name, files 2 and 4 of every 5 go to dev/ (40%), the rest to
train/. Label entries move with their files, verbatim. Run once after new pools arrive:
    python3 calibration/split.py
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def entries(path):
    text = open(path, encoding="utf-8").read()
    parts = re.split(r"(?m)^(?=\[\[transcript\]\])", text)
    out = {}
    for p in parts[1:]:
        m = re.search(r'(?m)^file\s*=\s*"([^"]+)"', p)
        out[m.group(1)] = p.rstrip() + "\n"
    return out


def append(dest_dir, blocks):
    os.makedirs(dest_dir, exist_ok=True)
    lab = os.path.join(dest_dir, "labels.toml")
    if not os.path.exists(lab):
        open(lab, "w").write("# Calibration labels: one [[transcript]] per file (see calibration/README.md).\n")
    with open(lab, "a", encoding="utf-8") as f:
        for b in blocks:
            f.write("\n" + b)


def main():
    pools = sorted(d for d in os.listdir(HERE) if d.startswith("pool-"))
    if not pools:
        print("no pool-* folders to split")
        return 0
    for pool in pools:
        d = os.path.join(HERE, pool)
        labels = entries(os.path.join(d, "labels.toml"))
        files = sorted(labels)
        moves = {"train": [], "dev": []}
        for i, f in enumerate(files):
            moves["dev" if i % 5 in (1, 3) else "train"].append(f)
        for dest, fs in moves.items():
            for f in fs:
                os.rename(os.path.join(d, f), os.path.join(HERE, dest, f))
            append(os.path.join(HERE, dest), [labels[f] for f in fs])
        os.remove(os.path.join(d, "labels.toml"))
        left = os.listdir(d)
        if left:
            print(f"{pool}: files without labels left behind: {left}", file=sys.stderr)
            return 1
        os.rmdir(d)
        print(f"{pool}: {len(moves['train'])} to train, {len(moves['dev'])} to dev")
    return 0


if __name__ == "__main__":
    sys.exit(main())
