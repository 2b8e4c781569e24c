#!/usr/bin/env python3
"""Checks the `examples` and `glossary` fields of the concept lexicon (bank/concepts/*.toml).

Examples are plain-language phrasings that show a concept without naming it; they anchor the
analyzer's semantic layer. The checks mirror how the analyzer reads text (crates/pipeprep-analyzer,
text.rs): words split at anything but letters, digits, `_`, `.` and `'`; each word is stemmed with
the Snowball English stemmer (words of three letters or fewer, and words with digits, are kept as
they are); a term matches when its stem sequence occurs in the sentence.

Problems (exit 1):
  - a file that is not valid TOML;
  - an example that contains one of its own concept's terms, either as the analyzer would match it
    (stem sequence) or as a plain case-insensitive whole word/phrase;
  - fewer than 4 or more than 6 examples, an example outside 5-25 words, more than one sentence,
    a question, or a negation word the analyzer treats as dismissing ("no", "not", "without", ...);
  - the same example (case- and punctuation-insensitive) twice in the bank;
  - a glossary that is not 2-4 sentences, does not end with its only question, or contains a URL;
  - a concept with no examples (unless --partial), fewer glossary entries than --min-glossary.

Warnings (reported, exit 0): an example that contains another concept's term, an example matched
by its own concept's regex `patterns` (redundant as an anchor), two examples of different concepts
that share most of their content words, digits in a glossary.

Usage: check_examples.py [--partial] [--min-glossary N] [--verbose] [FILE_OR_DIR ...]
Default input is the concepts/ directory next to this tools/ directory.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import sys
import tomllib

try:  # Same algorithm (Snowball English / Porter2) as the analyzer's rust-stemmers.
    import snowballstemmer  # type: ignore

    _SNOWBALL = snowballstemmer.stemmer("english")
except ImportError:  # pragma: no cover - depends on the machine
    _SNOWBALL = None

MIN_EXAMPLES, MAX_EXAMPLES = 4, 6
MIN_WORDS, MAX_WORDS = 5, 25

# crates/pipeprep-analyzer/src/lib.rs NEGATORS: a term after one of these is read as dismissed.
NEGATORS = {
    "no", "not", "don't", "dont", "won't", "wont", "without", "never", "nor", "isn't", "aren't",
    "doesn't", "didn't", "wouldn't", "shouldn't", "can't", "cannot", "skip", "neither",
    "unnecessary", "overkill",
}
# crates/pipeprep-analyzer/src/text.rs: a sentence starting with one of these reads as a question.
QUESTION_STARTERS = {
    "what", "how", "which", "who", "when", "where", "why", "is", "are", "do", "does", "can",
    "could", "will", "would", "should", "did", "any", "anything",
}
STOPWORDS = {
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "we", "i", "it", "is",
    "are", "be", "by", "at", "as", "so", "that", "this", "our", "us", "from", "into", "then",
    "each", "every", "its", "they", "them", "their", "if", "than", "can", "will", "would", "just",
    "all", "one", "only", "also", "use", "using", "keep", "make", "get", "have", "has", "my",
    "i'd", "we'd", "we'll", "i'll", "let", "lets", "do", "does", "what", "which", "when", "out",
    "up", "over", "after", "before", "again", "same", "more", "less", "any", "some", "there",
}
SIMILARITY_WARN = 0.6

_WORD_CHARS = re.compile(r"[\w.']+", re.UNICODE)


def words(text: str) -> list[str]:
    """Words as the analyzer splits them: dots and apostrophes stay inside, trimmed at the ends."""
    out = []
    for m in _WORD_CHARS.finditer(text):
        w = m.group(0).strip(".'")
        if w:
            out.append(w)
    return out


def _light_stem(w: str) -> str:
    for suf in ("ing", "ed", "es", "s"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            return w[: -len(suf)]
    return w


def stem(lower: str) -> str:
    if len(lower) <= 3 or any(c.isdigit() for c in lower):
        return lower
    if _SNOWBALL is not None:
        return _SNOWBALL.stemWord(lower)
    return _light_stem(lower)


def stems(text: str) -> list[str]:
    return [stem(w.lower()) for w in words(text)]


def contains_seq(hay: list[str], needle: list[str]) -> bool:
    n = len(needle)
    if n == 0:
        return False
    return any(hay[i : i + n] == needle for i in range(len(hay) - n + 1))


def plain_phrase_re(term: str) -> re.Pattern[str]:
    """Whole word/phrase, case-insensitive, tolerating the README's plural s / ing / ed."""
    body = r"[\s\-/]+".join(re.escape(p) for p in re.split(r"[\s\-/]+", term.strip()) if p)
    return re.compile(r"(?<![\w])" + body + r"(?:s|es|ing|ed)?(?![\w])", re.IGNORECASE)


def sentence_count(text: str) -> int:
    """Sentences as the analyzer splits them: at . ! ? followed by whitespace, a quote, ) or end."""
    parts = re.split(r"(?<=[.!?])(?=[\s\")]|$)", text.strip())
    return sum(1 for p in parts if p.strip(" \t\n\")"))


def content(text: str) -> set[str]:
    return {stem(w.lower()) for w in words(text) if w.lower() not in STOPWORDS and len(w) > 2}


def norm(text: str) -> str:
    return " ".join(w.lower() for w in words(text))


def term_hits(example: str, ex_stems: list[str], terms: list[tuple[str, list[str], re.Pattern[str]]]):
    hits = []
    for term, tstems, tre in terms:
        if contains_seq(ex_stems, tstems) or tre.search(example):
            hits.append(term)
    return hits


def collect_files(paths: list[str]) -> list[str]:
    files: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            files.extend(sorted(glob.glob(os.path.join(p, "*.toml"))))
        else:
            files.append(p)
    return files


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", default=[os.path.join(here, "..", "concepts")])
    ap.add_argument("--partial", action="store_true", help="a concept without examples is not a problem")
    ap.add_argument("--min-glossary", type=int, default=0, help="require at least N glossary entries")
    ap.add_argument("--verbose", "-v", action="store_true", help="list every warning")
    args = ap.parse_args()

    problems: list[str] = []
    warnings: list[str] = []
    concepts: list[tuple[str, dict]] = []
    for f in collect_files(args.paths):
        name = os.path.basename(f)
        try:
            with open(f, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as e:
            problems.append(f"{name}: cannot parse: {e}")
            continue
        for c in data.get("concept", []):
            concepts.append((name, c))

    # Every term of every concept, prepared once.
    prepared = {}
    for name, c in concepts:
        prepared[c.get("id", "?")] = [
            (t, stems(t), plain_phrase_re(t)) for t in c.get("terms", []) if stems(t)
        ]

    seen_examples: dict[str, str] = {}
    all_examples: list[tuple[str, str, set[str]]] = []
    with_examples = total_examples = with_glossary = 0
    for name, c in concepts:
        cid = c.get("id", "?")
        where = f"{name}: {cid}"
        ex = c.get("examples")
        if ex is None or ex == []:
            if not args.partial:
                problems.append(f"{where}: no examples")
        elif not isinstance(ex, list) or not all(isinstance(e, str) for e in ex):
            problems.append(f"{where}: examples must be a list of strings")
        else:
            with_examples += 1
            total_examples += len(ex)
            if not MIN_EXAMPLES <= len(ex) <= MAX_EXAMPLES:
                problems.append(f"{where}: {len(ex)} examples, want {MIN_EXAMPLES}-{MAX_EXAMPLES}")
            patterns = []
            for p in c.get("patterns", []):
                try:
                    patterns.append(re.compile(p, re.IGNORECASE))
                except re.error:
                    pass  # Rust-only syntax; the bank validator owns pattern checks.
            for e in ex:
                q = f"{where}: example {e!r}"
                ws = words(e)
                lw = [w.lower() for w in ws]
                if not MIN_WORDS <= len(ws) <= MAX_WORDS:
                    problems.append(f"{q}: {len(ws)} words, want {MIN_WORDS}-{MAX_WORDS}")
                # The analyzer's rule: a `?`, or a question word first in an unterminated sentence.
                if "?" in e or (
                    lw and lw[0] in QUESTION_STARTERS and len(lw) > 2 and not e.rstrip().endswith(".")
                ):
                    problems.append(f"{q}: reads as a question")
                if sentence_count(e) != 1 or "\n" in e:
                    problems.append(f"{q}: more than one sentence")
                neg = sorted(set(lw) & NEGATORS)
                if neg:
                    problems.append(f"{q}: negation word(s) {neg}")
                ex_stems = [stem(w) for w in lw]
                own = term_hits(e, ex_stems, prepared[cid])
                if own:
                    problems.append(f"{q}: contains its own term(s) {own}")
                for other, oterms in prepared.items():
                    if other == cid:
                        continue
                    hits = term_hits(e, ex_stems, oterms)
                    if hits:
                        warnings.append(f"{q}: contains term(s) of `{other}` {hits}")
                for p in patterns:
                    if p.search(e):
                        warnings.append(f"{q}: matched by its own pattern {p.pattern!r}")
                key = norm(e)
                if key in seen_examples:
                    problems.append(f"{q}: duplicate of an example of `{seen_examples[key]}`")
                else:
                    seen_examples[key] = cid
                all_examples.append((cid, e, content(e)))

        g = c.get("glossary")
        if g is not None:
            if not isinstance(g, str) or not g.strip():
                problems.append(f"{where}: glossary must be a non-empty string")
            else:
                with_glossary += 1
                n = sentence_count(g)
                if not 2 <= n <= 4:
                    problems.append(f"{where}: glossary has {n} sentences, want 2-4")
                if not g.rstrip().endswith("?"):
                    problems.append(f"{where}: glossary must end with a question")
                elif g.count("?") != 1:
                    problems.append(f"{where}: glossary should ask exactly one question, at the end")
                if re.search(r"https?://|www\.", g, re.IGNORECASE):
                    problems.append(f"{where}: glossary contains a URL")
                if re.search(r"\d", g):
                    warnings.append(f"{where}: glossary contains digits")
                if re.search(r"\b(e\.g|i\.e|etc)\.", g, re.IGNORECASE):
                    warnings.append(f"{where}: glossary abbreviation splits sentences for the analyzer")

    # Examples of different concepts that say nearly the same thing confuse nearest-meaning matching.
    for i in range(len(all_examples)):
        ci, ei, si = all_examples[i]
        if not si:
            continue
        for j in range(i + 1, len(all_examples)):
            cj, ej, sj = all_examples[j]
            if ci == cj or not sj:
                continue
            jac = len(si & sj) / len(si | sj)
            if jac >= SIMILARITY_WARN:
                warnings.append(f"similar examples ({jac:.2f}): `{ci}` {ei!r} / `{cj}` {ej!r}")

    if with_glossary < args.min_glossary:
        problems.append(f"{with_glossary} concepts with glossary, want at least {args.min_glossary}")

    for p in problems:
        print(f"problem: {p}")
    if args.verbose:
        for w in warnings:
            print(f"warning: {w}")
    stemmer = "snowball english" if _SNOWBALL is not None else "light suffix stripping (pip install snowballstemmer for the analyzer's stemmer)"
    print(f"stemmer: {stemmer}")
    print(f"concepts: {len(concepts)}")
    print(f"concepts with examples: {with_examples}")
    print(f"total examples: {total_examples}")
    print(f"concepts with glossary: {with_glossary}")
    print(f"warnings: {len(warnings)}" + ("" if args.verbose or not warnings else " (use -v to list)"))
    print(f"problems: {len(problems)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
