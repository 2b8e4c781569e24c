#!/usr/bin/env python3
"""Fit the scorer's level model: one ordinal logistic regression per rubric dimension.

    cargo build -p pipeprep-cli
    python3 calibration/fit.py            # fits on calibration/train, writes bank/levels.toml
    python3 calibration/fit.py --check    # prints train and dev agreement of the fitted file only

Input: the evidence features the scorer computes (`pipeprep grade --eval calibration/train
--features`), one row per transcript and dimension with its human label. Rows with no features
are dimensions the scorer judged "not demonstrated" (novice by rule); they are not fitted.

Model (proportional odds): score = w . x; P(level > novice) = sigmoid(score - t1),
P(level > intermediate) = sigmoid(score - t2). The program gives the level whose cumulative odds
pass one half, i.e. novice below t1, intermediate below t2, expert above. Weights are fitted by
Newton's method on the L2-penalised likelihood; the penalty is chosen by 5-fold cross-validation
on train (folds by sorted file name), by held-out likelihood. Everything is deterministic: same data, same file.
Only train is fitted; dev is printed for information and holdout is never read here.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.environ.get("PIPEPREP_BIN", os.path.join(ROOT, "target", "debug", "pipeprep"))
DIMS = ["requirements_extraction", "architecture_design", "tool_selection", "failure_modes",
        "scaling_strategy", "cost_awareness", "data_quality"]
LEVEL = {"novice": 0, "intermediate": 1, "expert": 2}
LAMBDAS = [0.03, 0.1, 0.3, 1.0, 3.0]


def semantic_arg():
    """`--semantic X`: the similarity at which a sentence shows a concept by meaning. Without
    it, the value already in bank/levels.toml is kept (a refit must not drop it)."""
    if "--semantic" in sys.argv:
        return float(sys.argv[sys.argv.index("--semantic") + 1])
    try:
        with open(os.path.join(ROOT, "bank", "levels.toml")) as f:
            for line in f:
                if line.startswith("min_similarity"):
                    return float(line.split("=", 1)[1])
    except (OSError, ValueError):
        pass
    return None


def rows(split):
    env = dict(os.environ)
    sem = semantic_arg()
    if sem is not None:
        # A bank layer holding only the threshold, merged over the built-in bank.
        layer = tempfile.mkdtemp(prefix="pipeprep-fit-")
        with open(os.path.join(layer, "levels.toml"), "w") as f:
            f.write(f"[semantic]\nmin_similarity = {sem}\n")
        env["PIPEPREP_BANK"] = layer
    out = subprocess.run([BIN, "grade", "--eval", os.path.join(HERE, split), "--features"],
                         check=True, capture_output=True, text=True, env=env).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def fit(X, y, lam):
    """Proportional-odds logistic regression; parameters [w..., t1, t2] by damped Newton."""
    n, d = X.shape
    p = np.zeros(d + 2)
    p[d], p[d + 1] = 0.5, 1.5

    def nll(p):
        w, t = p[:d], p[d:]
        s = X @ w
        c1, c2 = sig(s - t[0]), sig(s - t[1])
        pr = np.where(y == 0, 1 - c1, np.where(y == 1, c1 - c2, c2))
        return -np.sum(np.log(np.clip(pr, 1e-12, None))) + lam * np.sum(w * w)

    def grad_hess(p, eps=1e-5):
        g = np.zeros_like(p)
        h = np.zeros((len(p), len(p)))
        f0 = nll(p)
        for i in range(len(p)):
            e = np.zeros_like(p)
            e[i] = eps
            g[i] = (nll(p + e) - nll(p - e)) / (2 * eps)
        for i in range(len(p)):
            for j in range(i, len(p)):
                ei = np.zeros_like(p)
                ej = np.zeros_like(p)
                ei[i] = eps * 10
                ej[j] = eps * 10
                v = (nll(p + ei + ej) - nll(p + ei - ej) - nll(p - ei + ej) + nll(p - ei - ej)) / (
                    4 * (eps * 10) ** 2)
                h[i, j] = h[j, i] = v
        return f0, g, h

    for _ in range(60):
        f0, g, h = grad_hess(p)
        h = h + 1e-6 * np.eye(len(p))
        try:
            step = np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            step = g * 0.1
        a = 1.0
        while a > 1e-4:
            q = p - a * step
            if q[d] <= q[d + 1] and nll(q) <= f0:
                break
            a /= 2
        else:
            break
        p = q
        if np.max(np.abs(a * step)) < 1e-7:
            break
    return p[:d], p[d:]


def predict(X, w, t):
    s = X @ w
    return np.where(s < t[0], 0, np.where(s < t[1], 1, 2))


def matrix(data, dim):
    rs = [r for r in data if r["dimension"] == dim]
    names = sorted({k for r in rs for k in r["features"]})
    fitted = [r for r in rs if r["features"]]
    X = np.array([[r["features"].get(k, 0.0) for k in names] for r in fitted], dtype=float)
    y = np.array([LEVEL[r["label"]] for r in fitted], dtype=int)
    gated = [r for r in rs if not r["features"]]
    return names, X, y, fitted, gated


def agreement(data, model):
    cells = exact = 0
    for dim in DIMS:
        names, w, t = model[dim]
        for r in data:
            if r["dimension"] != dim:
                continue
            if r["features"]:
                x = np.array([r["features"].get(k, 0.0) for k in names])
                got = int(predict(x[None, :], w, t)[0])
            else:
                got = 0
            cells += 1
            exact += got == LEVEL[r["label"]]
    return exact / max(cells, 1)


def heldout_nll(X, y, w, t):
    """Negative log-likelihood of held-out rows: a smoother guide than counting exact hits, so
    the penalty chosen does not swing on one or two borderline transcripts."""
    s = X @ w
    c1, c2 = sig(s - t[0]), sig(s - t[1])
    pr = np.where(y == 0, 1 - c1, np.where(y == 1, c1 - c2, c2))
    return float(-np.sum(np.log(np.clip(pr, 1e-12, None))))


def cv_lambda(X, y, fitted):
    order = sorted(range(len(fitted)), key=lambda i: fitted[i]["file"])
    folds = [order[k::5] for k in range(5)]
    best = None
    for lam in LAMBDAS:
        loss = 0.0
        for f in folds:
            tr = [i for i in range(len(y)) if i not in f]
            if len(set(y[tr])) < 3:
                continue
            w, t = fit(X[tr], y[tr], lam)
            loss += heldout_nll(X[f], y[f], w, t)
        if best is None or loss < best[1]:
            best = (lam, loss)
    return best[0]


def write(model, n_train):
    lines = [
        "# The scorer's fitted level model: one ordinal logistic regression per rubric dimension.",
        "# Written by `python3 calibration/fit.py` from calibration/train; do not edit by hand.",
        "# score = sum(weight * feature); novice below thresholds[0], intermediate below",
        "# thresholds[1], expert above. Features are the scorer's interpretable evidence (counts on",
        "# a log scale, yes/no as 0/1); a positive weight pushes towards expert.",
        "",
        "[fitted]",
        f"train_transcripts = {n_train}",
        "method = \"proportional-odds logistic regression, L2 penalty by 5-fold CV\"",
    ]
    if semantic_arg() is not None:
        lines += ["", "# A sentence shows a concept by meaning when its similarity to one of the",
                  "# concept's example phrasings reaches this (chosen on calibration/dev).",
                  "[semantic]", f"min_similarity = {semantic_arg()}"]
    for dim in DIMS:
        names, w, t = model[dim]
        lines += ["", "[[dimension]]", f"id = \"{dim}\"",
                  "features = [" + ", ".join(f"\"{n}\"" for n in names) + "]",
                  "weights = [" + ", ".join(f"{v:.4f}" for v in w) + "]",
                  f"thresholds = [{t[0]:.4f}, {t[1]:.4f}]"]
    with open(os.path.join(ROOT, "bank", "levels.toml"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    train = rows("train")
    dev = rows("dev")
    model = {}
    for dim in DIMS:
        names, X, y, fitted, gated = matrix(train, dim)
        lam = cv_lambda(X, y, fitted)
        w, t = fit(X, y, lam)
        model[dim] = (names, w, t)
        acc = float(np.mean(predict(X, w, t) == y)) if len(y) else 1.0
        print(f"{dim:<24} n={len(y):>3} gated={len(gated):>3} lambda={lam:<5} "
              f"train-exact(fitted rows)={acc:.3f}", file=sys.stderr)
        for n_, v in sorted(zip(names, w), key=lambda z: -abs(z[1])):
            print(f"    {n_:<24} {v:+.3f}", file=sys.stderr)
    if "--check" not in sys.argv:
        write(model, len({r['file'] for r in train}))
    print(f"train exact {agreement(train, model):.3f}  dev exact {agreement(dev, model):.3f}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
