"""The sweep's report: the robustness summary of Table 1 of Majumder, Donini & Chaudhari (2019) per method, its
files and its table next to the paper's numbers.

Reported per method, as in the paper: "fixed η̄" = mean ± std of test accuracy over β at the best η̄ (robustness
to β), "fixed β" = mean ± std over η̄ at the best β (robustness to η̄), "top" = the best test accuracy of the grid,
"seeds" = mean ± std of the best cell over seeds, and the wall time of one run (the median over the runs that did
not diverge). The best cell is the one with the
best final validation accuracy (runs without one: test accuracy)."""
import numpy as np

from ..common.files import write_csv, write_json
from .compute import score
from .config import NEEDS_BETA, PAPER

DIVERGED = 0.2  # a run that ends below 20 % test accuracy diverged (chance is 10 %)


def _ms(xs):
    return f"{100 * np.mean(xs):.2f} ± {100 * np.std(xs):.2f}"


def summarize(runs, seeds):
    """Table-1 style robustness summary of one method's runs (first seed over the grid, best cell over seeds)."""
    grid = [r for r in runs if r["seed"] == seeds[0]]
    best = max(grid, key=score)  # by validation accuracy; "top" is the best test accuracy of the grid
    at_eta = [r["test_accuracy"] for r in grid if r["lr"] == best["lr"]]
    at_beta = [r["test_accuracy"] for r in grid if r["hyper_lr"] == best["hyper_lr"]]
    over_seeds = [r["test_accuracy"] for r in runs if r["lr"] == best["lr"] and r["hyper_lr"] == best["hyper_lr"]]
    return {"method": best["method"], "best_lr": best["lr"], "best_hyper_lr": best["hyper_lr"],
            "fixed_eta": _ms(at_eta) if best["method"] in NEEDS_BETA else "-",
            "fixed_beta": _ms(at_beta) if len(at_beta) > 1 else "-",
            "top": f"{100 * max(r['test_accuracy'] for r in grid):.2f}", "seeds": _ms(over_seeds), "n_seeds": len(over_seeds),
            "minutes_per_run": _minutes(runs)}


def _minutes(runs):
    """Minutes per run: the median over the runs that trained (a diverged run whose steps were refused costs less
    than a real one), over all runs when every one diverged."""
    ok = [r["seconds"] for r in runs if r["test_accuracy"] >= DIVERGED] or [r["seconds"] for r in runs]
    return float(np.median(ok) / 60)


def write(out, all_runs, summary, settings):
    """summary.csv, summary.json (the settings and the summary) and runs.csv under `out`."""
    write_csv(f"{out}/summary.csv", summary)
    write_json(f"{out}/summary.json", {**settings, "summary": summary})
    write_csv(f"{out}/runs.csv", [{k: v for k, v in r.items() if k not in ("lr_trace", "adapted")} for r in all_runs])


def print_table(summary, model="mlp"):
    print("\n| method | fixed η̄ (%) | fixed β (%) | top (%) | best cell over seeds (%) | min/run | paper: fixed η̄ / "
          "fixed β / top / min |")
    print("|---|---|---|---|---|---|---|")
    for s in summary:
        p = PAPER[model].get(s["method"])
        paper = " / ".join(str(x) for x in p) if p else ""
        print(f"| {s['method']} (η̄={s['best_lr']}, β={s['best_hyper_lr']}) | {s['fixed_eta']} | {s['fixed_beta']} | "
              f"{s['top']} | {s['seeds']} (n={s['n_seeds']}) | {s['minutes_per_run']:.2f} | {paper} |")


def convergence(runs, summary):
    """Per method: has its best cell stopped improving? For each seed of the best cell, the gain of the best
    validation accuracy in the last quarter of the budget over the best before it (points); "stopped" when every
    seed's gain is below 0.1 point (the validation set's sampling error at 98 % on 10,000 images is 0.14 point)."""
    out = {}
    for s in summary:
        gains = []
        for r in runs:
            if r["method"] == s["method"] and r["lr"] == s["best_lr"] and r["hyper_lr"] == s["best_hyper_lr"]:
                v = 100 * np.array([np.nan if x is None else x for x in r["val_curve"]], dtype=float)
                k = max(1, len(v) // 4)
                gains.append(float(np.nanmax(v[-k:]) - np.nanmax(v[:-k])) if len(v) > k else float("nan"))
        out[s["method"]] = {"last_quarter_gain": gains, "stopped": bool(gains) and all(g < 0.1 for g in gains)}
    return out


def edges(runs, summary):
    """Per method: is its best cell interior to the grid it ran? {method: [what lies on the grid's edge]}: "η̄ = x is
    the smallest/largest tried" (when the grid has more than one η̄) and the same for β. Table 1's protocol extends
    the grid until every list is empty: a best cell with no neighbour beyond it was not shown to be a maximum."""
    out = {}
    for s in summary:
        grid = [r for r in runs if r["method"] == s["method"]]
        found = []
        for key, name in (("lr", "η̄"), ("hyper_lr", "β")):
            vals = sorted({r[key] for r in grid if r[key] is not None})
            best = s["best_lr"] if key == "lr" else s["best_hyper_lr"]
            if len(vals) < 2 or best is None or (key == "hyper_lr" and s["method"] not in NEEDS_BETA):
                continue
            if best == vals[0]:
                found.append(f"{name} = {best:g} is the smallest tried")
            elif best == vals[-1]:
                found.append(f"{name} = {best:g} is the largest tried")
        out[s["method"]] = found
    return out


def _std_pts(s, col):
    """The ± of a "mean ± std" column, in points (nan for "-")."""
    return float(s[col].split("±")[1]) if "±" in s[col] else float("nan")


TIE = 0.1  # points: two stds closer than this are a tie (the seed spread of one cell is 0.05-0.2 point here)


def _verdict(stds, key, diverged=None):
    """'supported' when `key` has the smallest std by more than TIE, 'tied' when it is within TIE of it. With
    `diverged` ({method: diverged cells among those the std is over}) only the methods with the fewest diverged
    cells compete: a std over cells that diverged measures how many diverged, not robustness."""
    cands = stds
    if diverged:
        fewest = min(diverged[m] for m in stds)
        cands = {m: v for m, v in stds.items() if diverged[m] == fewest}
    best = min(cands, key=cands.get)
    tied = sorted(m for m in cands if cands[m] <= cands[best] + TIE)
    if key not in cands:
        return best, (f"not supported: {key} diverges in {diverged[key]} of its cells, "
                      + ", ".join(f"{m} in {diverged[m]}" for m in stds if m != key))
    why = (" (diverged cells: " + ", ".join(f"{m} {diverged[m]}" for m in stds) + ")"
           if diverged and any(diverged[m] for m in stds) else "")
    return best, ("supported" + why if tied == [key] else
                  f"tied within {TIE} point: {', '.join(tied)}{why}" if key in tied else
                  f"not supported: {best} has the smallest std{why}")


def _n_diverged(runs, method, seed, **where):
    """How many runs of `method` with `seed` (and r[k] == v for every k=v of `where`) diverged."""
    return sum(r["test_accuracy"] < DIVERGED for r in runs if r["method"] == method and r["seed"] == seed
               and all(r[k] == v for k, v in where.items()))


def _slices(runs, method, seed, over, etas):
    """{value of the other axis: (mean, std, diverged) of test accuracy over `over` ("lr" or "hyper_lr")}, with
    η̄ restricted to `etas`."""
    grid = [r for r in runs if r["method"] == method and r["seed"] == seed and r["lr"] in etas]
    other = "hyper_lr" if over == "lr" else "lr"
    out = {}
    for v in sorted({r[other] for r in grid}):
        accs = [100 * r["test_accuracy"] for r in grid if r[other] == v]
        if len(accs) > 1:
            out[v] = (float(np.mean(accs)), float(np.std(accs)), sum(a < 100 * DIVERGED for a in accs))
    return out


def claims(summary, runs, model="mlp"):
    """Majumder et al. (2019)'s claims about Table 1, each with a verdict from these runs:
    1. RT-HPO is the most robust to η̄ (smallest std over η̄ at the best β, the "fixed β" column);
    2. First-order (Val) is the most robust to β (smallest std over β at the best η̄, the "fixed η̄" column);
    3. the three hypergradient methods perform "almost equally" on MNIST: their top accuracies within 0.1 point
       (also checked on the seed means of the best cells, with their spread);
    4. RT-HPO's cost relative to First-order (Train): the paper's MLP and LeNet times are equal (14 / 14 min,
       12 / 12 min); the ratio of our times per run.
    Claims 1 and 2 are judged twice: on the paper's columns (one β or η̄: the best cell's) and, since one diverged
    cell dominates a std, on every slice of the grid: each method at its most favourable β (for 1) or η̄ (for 2:
    the fewest diverged cells, then the smallest std), with η̄ restricted to the values at which fixed-η SGD
    converged (a learning rate no method could be blamed for). Stds closer than TIE are ties; in both, only the
    methods with the fewest diverged cells in their column or slice compete."""
    by = {s["method"]: s for s in summary}
    hyper = [m for m in ("firstorder", "firstorder-val", "rthpo") if m in by]
    seed0 = min(r["seed"] for r in runs)
    etas = sorted({r["lr"] for r in runs if r["method"] in hyper and r["lr"] is not None})
    sgd_ok = [r["lr"] for r in runs if r["method"] == "sgd" and r["seed"] == seed0
              and r["test_accuracy"] >= DIVERGED]
    stable = [e for e in etas if e in sgd_ok] if sgd_ok else etas
    out = []
    if len(hyper) == 3:
        div = {m: _n_diverged(runs, m, seed0) for m in hyper}
        for col, over, who, key, what in (
                ("fixed_beta", "lr", "RT-HPO", "rthpo", "the initial learning rate η̄"),
                ("fixed_eta", "hyper_lr", "First-order (Val)", "firstorder-val", "the hyper-learning rate β")):
            stds = {m: _std_pts(by[m], col) for m in hyper}
            fixed = "hyper_lr" if over == "lr" else "lr"  # the column: the best cell's β (or η̄), all `over`
            col_div = {m: _n_diverged(runs, m, seed0, **{fixed: by[m]["best_" + fixed]}) for m in hyper}
            best, verdict = _verdict(stds, key, col_div)
            slices = {m: _slices(runs, m, seed0, over, stable) for m in hyper}
            # each method's most favourable slice: the fewest diverged cells, then the smallest std
            fav = {m: min(sl, key=lambda v: (sl[v][2], sl[v][1])) for m, sl in slices.items() if sl}
            fav_std = {m: slices[m][v][1] for m, v in fav.items()}
            verdict2 = (_verdict(fav_std, key, {m: slices[m][v][2] for m, v in fav.items()})[1]
                        if len(fav_std) == 3 else "no slices")
            other = "β" if over == "lr" else "η̄"
            out.append({
                "claim": f"{who} is the most robust to {what}", "column": col, "std_points": stds,
                "diverged_cells": div, "diverged_in_column": col_div, "most_robust": best, "verdict_columns": verdict,
                "stable_etas": stable,
                "slices": {m: {f"{v:g}": list(x) for v, x in sl.items()} for m, sl in slices.items()},
                "most_favourable": {m: {other: fav[m], "mean": slices[m][fav[m]][0], "std": fav_std[m]}
                                    for m in fav},
                "verdict_slices": verdict2,
                "verdict": f"the paper's columns: {verdict}; each method at its most favourable {other}, η̄ in "
                           f"{{{', '.join(f'{e:g}' for e in stable)}}}: {verdict2} ("
                           + ", ".join(f"{m} {slices[m][fav[m]][0]:.2f} ± {fav_std[m]:.2f} at {other} = {fav[m]:g}"
                                       + (f", {slices[m][fav[m]][2]} diverged" if slices[m][fav[m]][2] else "")
                                       for m in fav) + ")"})
        tops = {m: float(by[m]["top"]) for m in hyper}
        means = {m: float(by[m]["seeds"].split("±")[0]) for m in hyper}
        spread = max(tops.values()) - min(tops.values())
        mspread = max(means.values()) - min(means.values())
        out.append({"claim": "First-order (Train), First-order (Val) and RT-HPO perform almost equally on MNIST "
                             "(top accuracies within 0.1 point)", "top": tops, "top_spread_points": spread,
                    "best_cell_seed_means": means, "seed_mean_spread_points": mspread,
                    "seed_stds": {m: _std_pts(by[m], "seeds") for m in hyper},
                    "verdict": ("supported" if spread <= 0.1 else f"not supported: the tops span {spread:.2f} points")
                    + f" (the best cells' seed means span {mspread:.2f} points)"})
    for m in by:
        best = [r for r in runs if r["method"] == m and r["lr"] == by[m]["best_lr"]
                and r["hyper_lr"] == by[m]["best_hyper_lr"]]
        bad = sorted(r["seed"] for r in best if r["test_accuracy"] < DIVERGED)
        if bad:
            out.append({"claim": f"{m}'s best cell (chosen on seed {seed0}) trains with the other seeds",
                        "diverged_seeds": bad,
                        "verdict": f"no: it diverges with seed(s) {', '.join(map(str, bad))}"})
    if "rthpo" in by and "firstorder" in by:
        ratio = by["rthpo"]["minutes_per_run"] / by["firstorder"]["minutes_per_run"]
        paper = {"mlp": 14 / 14, "lenet": 12 / 12}.get(model)
        out.append({"claim": "RT-HPO's cost relative to First-order (Train) (paper: "
                             + ("equal times on MNIST" if paper else "-") + ")",
                    "ratio": ratio, "paper_ratio": paper,
                    "verdict": f"RT-HPO takes {ratio:.2f}x First-order (Train)'s time per run here"})
    return out


def print_claims(found):
    """The convergence check and the claims' verdicts, as printed after the table."""
    for m, c in found["convergence"].items():
        gains = ", ".join(f"{g:+.2f}" for g in c["last_quarter_gain"])
        if all(g != g for g in c["last_quarter_gain"]):  # NaN: one epoch, no last quarter to compare
            print(f"{m}: the budget is too short to tell whether it stopped improving")
            continue
        print(f"{m}: best validation accuracy gained [{gains}] points in the last quarter of the budget "
              f"({'stopped improving' if c['stopped'] else 'STILL IMPROVING'})")
    for m, where in found.get("edges", {}).items():
        if where:
            print(f"{m}: its best cell is on the grid's edge ({'; '.join(where)}): extend the grid there")
    for c in found["claims"]:
        print(f"- {c['claim']}: {c['verdict']}")
