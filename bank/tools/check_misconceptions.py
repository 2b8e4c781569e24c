#!/usr/bin/env python3
"""Check bank/misconceptions.toml.

Usage: python3 bank/tools/check_misconceptions.py [path/to/misconceptions.toml]

What it checks (prints every failure, exits 1 if there is any):
- schema: known keys only, required keys present, kebab-case unique ids, a rubric dimension,
  cap "novice" or "intermediate", 1-4 patterns, 4-6 claims, 2-4 not_claims;
- patterns: compile, and use only what the Rust `regex` crate accepts (no look-around, no
  backreferences) and no unbounded `.*` / `.+` gaps (use `.{0,80}`);
- matching, as the program does it: each pattern case-insensitive against ONE lowercased
  sentence. Every claim matches at least one of its own patterns; no not_claim matches any of
  its own patterns, nor a pattern of any other entry (a correct statement must never draw a
  correction);
- each claim and not_claim is one sentence by the analyzer's splitting rule ('.', '!' or '?'
  followed by whitespace or the end, or a newline), so it tests what the program will see;
- negation: a claim containing a clear negator ("not", "don't", "never", "instead of", "rather
  than", ...) would be skipped by the program and is a failure. Every entry also needs at least
  two claims free of the softer negators the analyzer knows ("no", "without", "skip", ...), so it
  is still recognised if the program uses the analyzer's full negator list;
- sources: a source must be an https URL; an entry whose fact or correction has digits but no
  source is listed as a warning (fine for pure arithmetic, not for a quoted figure);
- coverage: at least 36 entries and at least 2 per rubric dimension.

Python's `re` is close to Rust's `regex` for the features allowed here; the Rust loader
(`pipeprep scenarios validate`) repeats the claim / not_claim check with the real engine.
"""

import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

DIMENSIONS = [
    "requirements_extraction",
    "architecture_design",
    "tool_selection",
    "failure_modes",
    "scaling_strategy",
    "cost_awareness",
    "data_quality",
]
CAPS = {"novice", "intermediate"}
REQUIRED = {"id", "dimension", "cap", "patterns", "claims", "not_claims", "fact", "correction"}
ALLOWED = REQUIRED | {"source"}
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# Constructs the Rust regex crate rejects, or that this bank forbids.
FORBIDDEN = [
    (re.compile(r"\(\?[=!]"), "look-ahead"),
    (re.compile(r"\(\?<[=!]"), "look-behind"),
    (re.compile(r"\\[1-9]"), "backreference"),
    (re.compile(r"\(\?P="), "named backreference"),
    (re.compile(r"\\k<"), "named backreference"),
    (re.compile(r"(?<!\\)\.[*+]"), "unbounded gap (use .{0,80})"),
    (re.compile(r"\[\^[^\]]*\][*+]"), "unbounded negated class (bound it)"),
]

# A sentence with one of these is skipped by the program, so a claim must not contain them.
HARD_NEGATORS = {
    "not", "don't", "dont", "never", "won't", "wont", "isn't", "aren't", "doesn't", "didn't",
    "wouldn't", "shouldn't", "can't", "cannot", "nor", "neither",
}
HARD_NEGATOR_PHRASES = ["instead of", "rather than"]
# The analyzer's further negators: a claim may use them, but each entry keeps two claims without.
SOFT_NEGATORS = {"no", "without", "skip", "unnecessary", "overkill"}


def words(text):
    return re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))


def sentence_count(text):
    """The analyzer's rule: '.', '!' or '?' followed by whitespace, a quote, ')' or the end; or a newline."""
    n, start = 0, 0
    for i, ch in enumerate(text):
        end_here = False
        if ch in ".!?":
            nxt = text[i + 1] if i + 1 < len(text) else None
            end_here = nxt is None or nxt in " \n\r\t\")"
        elif ch == "\n":
            end_here = True
        if end_here:
            if text[start : i + 1].strip():
                n += 1
            start = i + 1
    if text[start:].strip():
        n += 1
    return n


def has_hard_negator(text):
    low = text.lower().replace("\u2019", "'")
    return bool(HARD_NEGATORS & set(words(low))) or any(p in low for p in HARD_NEGATOR_PHRASES)


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "misconceptions.toml"
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    entries = data.get("misconception", [])
    failures = []
    warnings = []

    def fail(eid, msg):
        failures.append(f"{eid}: {msg}")

    if set(data) - {"misconception"}:
        fail("(file)", f"unknown top-level keys {sorted(set(data) - {'misconception'})}")

    seen = Counter(e.get("id", "?") for e in entries)
    compiled = {}
    for e in entries:
        eid = e.get("id", "?")
        if seen[eid] > 1:
            fail(eid, "duplicate id")
        if not KEBAB.match(eid):
            fail(eid, "id is not lowercase kebab-case")
        missing = REQUIRED - set(e)
        if missing:
            fail(eid, f"missing keys {sorted(missing)}")
        unknown = set(e) - ALLOWED
        if unknown:
            fail(eid, f"unknown keys {sorted(unknown)}")
        if e.get("dimension") not in DIMENSIONS:
            fail(eid, f"dimension {e.get('dimension')!r} is not a rubric dimension")
        if e.get("cap") not in CAPS:
            fail(eid, f"cap {e.get('cap')!r} must be novice or intermediate")
        pats = e.get("patterns", [])
        claims = e.get("claims", [])
        nots = e.get("not_claims", [])
        if not 1 <= len(pats) <= 4:
            fail(eid, f"{len(pats)} patterns (want 1-4)")
        if not 4 <= len(claims) <= 6:
            fail(eid, f"{len(claims)} claims (want 4-6)")
        if not 2 <= len(nots) <= 4:
            fail(eid, f"{len(nots)} not_claims (want 2-4)")
        for field in ("fact", "correction"):
            if not str(e.get(field, "")).strip():
                fail(eid, f"empty {field}")
        if sentence_count(e.get("correction", "")) > 3:
            warnings.append(f"{eid}: correction has more than three sentences")
        needs_source = bool(re.search(r"\d", e.get("fact", "") + e.get("correction", "")))
        src = e.get("source")
        if src is not None and not str(src).startswith("https://"):
            fail(eid, f"source {src!r} is not an https URL")
        if needs_source and not src:
            # Fine for pure arithmetic (rates, unit conversions); a quoted figure needs a source.
            warnings.append(f"{eid}: fact or correction has digits but no source (ok only for arithmetic)")

        res = []
        for p in pats:
            for rx, what in FORBIDDEN:
                if rx.search(p):
                    fail(eid, f"pattern uses {what}: {p}")
            try:
                res.append(re.compile(p, re.IGNORECASE))
            except re.error as err:
                fail(eid, f"pattern does not compile ({err}): {p}")
        compiled[eid] = res

        soft_free = 0
        for c in claims:
            if sentence_count(c) != 1:
                fail(eid, f"claim is not one sentence: {c!r}")
            if has_hard_negator(c):
                fail(eid, f"claim contains a negator, so the program would skip it: {c!r}")
            if not SOFT_NEGATORS & set(words(c)):
                soft_free += 1
            if not any(r.search(c.lower()) for r in res):
                fail(eid, f"claim matches none of its patterns: {c!r}")
        if soft_free < 2:
            fail(eid, f"only {soft_free} claim(s) free of the words {sorted(SOFT_NEGATORS)}; keep at least 2")
        for n in nots:
            if sentence_count(n) != 1:
                fail(eid, f"not_claim is not one sentence: {n!r}")
            for r in res:
                if r.search(n.lower()):
                    fail(eid, f"not_claim matches pattern {r.pattern!r}: {n!r}")

    # A correct statement must not trigger any other entry either.
    for e in entries:
        for n in e.get("not_claims", []):
            for other, res in compiled.items():
                if other == e.get("id"):
                    continue
                for r in res:
                    if r.search(n.lower()):
                        fail(e.get("id", "?"), f"not_claim matches a pattern of `{other}`: {n!r}")
    # Informational: a claim that also matches another entry's pattern (not an error).
    for e in entries:
        for c in e.get("claims", []):
            for other, res in compiled.items():
                if other != e.get("id") and any(r.search(c.lower()) for r in res):
                    warnings.append(f"{e.get('id')}: claim also matches `{other}`: {c!r}")

    dims = Counter(e.get("dimension") for e in entries)
    if len(entries) < 36:
        fail("(file)", f"only {len(entries)} misconceptions (want at least 36)")
    for d in DIMENSIONS:
        if dims[d] < 2:
            fail("(file)", f"dimension {d} has {dims[d]} entries (want at least 2)")

    n_claims = sum(len(e.get("claims", [])) for e in entries)
    n_nots = sum(len(e.get("not_claims", [])) for e in entries)
    n_pats = sum(len(e.get("patterns", [])) for e in entries)
    for w in warnings:
        print("warning:", w)
    for f in failures:
        print("FAIL:", f)
    print(f"{len(entries)} misconceptions, {n_pats} patterns, {n_claims} claims, {n_nots} not_claims")
    print("per dimension: " + ", ".join(f"{d}={dims[d]}" for d in DIMENSIONS))
    print("caps: " + ", ".join(f"{k}={v}" for k, v in sorted(Counter(e.get('cap') for e in entries).items())))
    print(f"{len(failures)} failure(s), {len(warnings)} warning(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
