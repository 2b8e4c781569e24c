#!/usr/bin/env python3
"""Validate the calibration sets (dev/ and holdout/) and print label distributions.

Usage: python3 calibration/validate.py [SET_DIR ...]   (default: dev holdout)
Exit code 0 if every check passes, 1 otherwise.
"""
import os
import re
import sys
import tomllib
from collections import Counter

DIMS = ["requirements_extraction", "architecture_design", "tool_selection", "failure_modes",
        "scaling_strategy", "cost_awareness", "data_quality"]
LEVELS = ["novice", "intermediate", "expert"]
# The eight scenarios of DESIGN.md section 3 must each be covered by the dev set; any scenario of
# the bank may appear in a transcript.
SCENARIOS = ["clickstream-analytics", "dedup-at-scale", "late-arrivals", "schema-evolution",
             "customer-360-etl", "food-delivery-platform", "cost-optimized-batch",
             "exactly-once-payments"]
BANK_SCENARIOS = sorted(f[:-5] for f in os.listdir(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "bank", "scenarios")) if f.endswith(".toml"))
# Voices of the candidate, for agreement per style (optional `style` key in labels.toml).
STYLES = {"familiar", "paraphrase", "terse", "non-native", "confident-wrong", "question-only",
          "failures-only", "ascii-markdown", "rambler", "adversarial"}
FLAGS = {"ignoring_requirements", "single_tool", "ignoring_failures", "over_engineering",
         "under_engineering", "clarifying_questions", "tradeoffs_unprompted",
         "operational_concerns", "cost_considered", "testing_strategy"}
TURN = re.compile(r"^\s*(\*\*)?(interviewer|candidate)(\*\*)?\s*:(\*\*)?", re.I)
PRAISE = re.compile(r"\b(great|excellent|perfect|nice|impressive|well done|good answer|"
                    r"spot on|expert|exactly right)\b", re.I)

errors = []


def err(msg):
    errors.append(msg)


def check_transcript(path):
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    name = os.path.basename(path)
    if len(lines) < 4 or lines[0] != "---" or not lines[1].startswith("scenario: ") or lines[2] != "---":
        err(f"{name}: must start with '---', 'scenario: ...', '---'")
        return None, 0
    scen = lines[1][len("scenario: "):].strip()
    if scen != "null" and scen not in BANK_SCENARIOS:
        err(f"{name}: unknown scenario {scen!r}")
    body = lines[3:]
    while body and body[-1] == "":
        body.pop()
    if not body or not TURN.match(body[0]) or not body[0].lower().startswith("interviewer:"):
        err(f"{name}: first line after the front matter must be an Interviewer: turn")
    turns, speakers = 0, []
    for i, ln in enumerate(body, start=4):
        m = TURN.match(ln)
        if m:
            turns += 1
            speakers.append(m.group(2).lower())
            if m.group(2).lower() == "interviewer" and PRAISE.search(ln):
                err(f"{name}:{i}: interviewer line looks like praise/rating: {ln[:80]!r}")
    if not 8 <= turns <= 24:
        err(f"{name}: {turns} turns, expected 8-24")
    for a, b in zip(speakers, speakers[1:]):
        if a == b:
            err(f"{name}: two consecutive {a} turns")
            break
    if speakers.count("candidate") < 4:
        err(f"{name}: fewer than 4 candidate turns")
    return (None if scen == "null" else scen), turns


def check_set(d):
    print(f"== {d}")
    lab_path = os.path.join(d, "labels.toml")
    try:
        labels = tomllib.load(open(lab_path, "rb"))["transcript"]
    except Exception as e:  # noqa: BLE001
        err(f"{lab_path}: {e}")
        return
    mds = sorted(f for f in os.listdir(d) if f.endswith(".md"))
    seen = Counter(t.get("file") for t in labels)
    for f, n in seen.items():
        if n > 1:
            err(f"{lab_path}: {f} labelled {n} times")
        if not os.path.isfile(os.path.join(d, f)):
            err(f"{lab_path}: {f} does not exist")
    for f in mds:
        if f not in seen:
            err(f"{d}/{f}: no entry in labels.toml")
    per_dim = {k: Counter() for k in DIMS}
    total = Counter()
    per_scen = Counter()
    adversarial = Counter()
    flag_count = Counter()
    turn_counts = []
    for t in labels:
        f = t.get("file", "?")
        keys = set(t)
        need = {"file", "scenario", "profile", "flags", "note", *DIMS}
        if not need <= keys or not keys <= need | {"style"}:
            err(f"{f}: keys differ from the schema: missing {sorted(need - keys)}, extra {sorted(keys - need - {'style'})}")
        if "style" in t and t["style"] not in STYLES:
            err(f"{f}: style {t['style']!r} is not one of {sorted(STYLES)}")
        for k in DIMS:
            v = t.get(k)
            if v not in LEVELS:
                err(f"{f}: {k} = {v!r} is not one of {LEVELS}")
            else:
                per_dim[k][v] += 1
                total[v] += 1
        for fl in t.get("flags", []):
            if fl not in FLAGS:
                err(f"{f}: unknown flag {fl!r}")
            flag_count[fl] += 1
        if not t.get("note", "").strip():
            err(f"{f}: empty note")
        path = os.path.join(d, f)
        if os.path.isfile(path):
            scen, turns = check_transcript(path)
            turn_counts.append(turns)
            want = t.get("scenario", "")
            if (scen or "") != want:
                err(f"{f}: labels scenario {want!r} but front matter says {scen!r}")
            if want and f"-{want}-" not in f:
                err(f"{f}: file name does not match scenario {want!r}")
        per_scen[t.get("scenario") or "(generic)"] += 1
        if "adversarial" in t.get("profile", ""):
            adversarial[t.get("scenario") or "(generic)"] += 1
    print(f"transcripts: {len(labels)} labelled, {len(mds)} .md files; turns per transcript "
          f"{min(turn_counts, default=0)}-{max(turn_counts, default=0)}")
    print("per scenario: " + ", ".join(f"{k} {v}" for k, v in sorted(per_scen.items())))
    print(f"adversarial: {sum(adversarial.values())} (" +
          ", ".join(f"{k} {v}" for k, v in sorted(adversarial.items())) + ")")
    print(f"{'dimension':<26}{'novice':>8}{'interm.':>9}{'expert':>8}")
    for k in DIMS:
        c = per_dim[k]
        print(f"{k:<26}{c['novice']:>8}{c['intermediate']:>9}{c['expert']:>8}")
    n = sum(total.values()) or 1
    print(f"{'all':<26}{total['novice']:>8}{total['intermediate']:>9}{total['expert']:>8}   "
          f"({100*total['novice']/n:.0f}% / {100*total['intermediate']/n:.0f}% / {100*total['expert']/n:.0f}%)")
    print("flags: " + ", ".join(f"{k} {v}" for k, v in sorted(flag_count.items())))
    return per_dim, per_scen, adversarial


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    sets = sys.argv[1:] or [os.path.join(here, d) for d in ("train", "dev", "holdout")
                            if os.path.isdir(os.path.join(here, d))]
    tuned = {"per_dim": {k: Counter() for k in DIMS}, "per_scen": Counter(), "adv": 0}
    all_scen, total = Counter(), 0
    for d in sets:
        res = check_set(d)
        if res:
            per_dim, per_scen, adv = res
            all_scen.update(per_scen)
            total += sum(per_scen.values())
            if os.path.basename(os.path.normpath(d)) in ("train", "dev"):
                for k in DIMS:
                    tuned["per_dim"][k].update(per_dim[k])
                tuned["per_scen"].update(per_scen)
                tuned["adv"] += sum(adv.values())
        print()
    if not sys.argv[1:]:
        # Coverage of what the scorer is fitted and checked on (train + dev), and of the corpus.
        for k in DIMS:
            if tuned["per_dim"][k]["expert"] < 6 or tuned["per_dim"][k]["novice"] < 8:
                err(f"train+dev: {k} needs >= 6 expert and >= 8 novice labels")
        for s in SCENARIOS:
            if tuned["per_scen"][s] < 4:
                err(f"train+dev: scenario {s} has {tuned['per_scen'][s]} transcripts, needs >= 4")
        if tuned["per_scen"]["(generic)"] < 4:
            err("train+dev: needs >= 4 generic transcripts")
        if tuned["adv"] < 12:
            err("train+dev: needs >= 12 adversarial transcripts")
        named = [s for s in all_scen if s != "(generic)"]
        print(f"corpus: {total} labelled transcripts over {len(named)} scenarios")
        if total < 200 or len(named) < 20:
            err("corpus: needs >= 200 labelled transcripts over >= 20 scenarios")
    if errors:
        print(f"FAILED: {len(errors)} problem(s)")
        for e in errors:
            print("  " + e)
        return 1
    print("OK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
