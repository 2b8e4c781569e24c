#!/usr/bin/env bash
# Records what `pipeprep` says about a fixed set of inputs, so a change meant only for speed can be
# checked for byte-identical behaviour:
#
#   scripts/behaviour-snapshot.sh BIN OUTDIR
#   (change the code, rebuild)
#   scripts/behaviour-snapshot.sh BIN OUTDIR2 && diff -r OUTDIR OUTDIR2
#
# Inputs: every transcript in calibration/train and calibration/dev graded as JSON and Markdown,
# and scripted `practice --answers` runs over the engine's answer fixtures with two seeds each.
# The holdout set is never read here.
set -euo pipefail
bin=${1:?usage: behaviour-snapshot.sh PIPEPREP_BINARY OUTDIR}
out=${2:?usage: behaviour-snapshot.sh PIPEPREP_BINARY OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out/grade" "$out/practice"
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export PIPEPREP_HOME=$home NO_COLOR=1
for set in train dev; do
    for t in "$root"/calibration/"$set"/*.md; do
        name=$set-$(basename "$t" .md)
        "$bin" grade "$t" --format json >"$out/grade/$name.json" 2>&1 || echo "exit $?" >>"$out/grade/$name.json"
        "$bin" grade "$t" --format md >"$out/grade/$name.md" 2>&1 || echo "exit $?" >>"$out/grade/$name.md"
    done
done
fixtures=$root/crates/pipeprep-core/tests/fixtures/answers
for f in "$fixtures"/*.txt; do
    base=$(basename "$f" .txt)
    case $base in
        clickstream-*) scenario=clickstream-analytics ;;
        dedup-*) scenario=dedup-at-scale ;;
        payments-*) scenario=exactly-once-payments ;;
        *) scenario=generic ;;
    esac
    for seed in 1 7; do
        args=(practice --seed "$seed" --answers "$f")
        [ "$scenario" != generic ] && args+=(--scenario "$scenario")
        # The session id is random by design; everything else must repeat.
        { "$bin" "${args[@]}" 2>&1 || echo "exit $?"; } |
            sed -E 's/^session [0-9a-f]+ \(resume with `pipeprep resume [0-9a-f]+`\)$/session ID/' \
                >"$out/practice/$base-$seed.txt"
    done
done
echo "recorded $(find "$out" -type f | wc -l) outputs in $out"
