"""The report: one row per (model, method), the verdicts computed from those rows, the table and files.

Per (model, method), over seeds: the test accuracy at the default learning rate (mean ± std), the mean test
accuracy at every multiplier, the best multiplier (chosen by the mean final validation accuracy: the test set is
only reported), and the sensitivity: `range` = max - min of the mean test accuracy over the multipliers (points)
and `within_1` = the fraction of the multipliers whose mean test accuracy is within 1 point of the method's best.
A diverged run (non-finite loss, or the optimizer refusing NaNs) counts as 0 % accuracy; the time per run is the
median over the runs that did not diverge (all runs if every one did), since a diverged run may stop early and
runs of one grid may have shared the machine with other work."""
import numpy as np

from ..common.files import write_csv, write_json

POINT = 0.01  # one accuracy point
FAR = 0.05  # "least sensitive" is chosen among the methods whose best is within 5 points of the grid's best


def _mean(xs):
    return float(np.mean(xs)) if len(xs) else float("nan")


def summarize(runs):
    """One row per (model, method), in the order the runs come (model first)."""
    rows, keys = [], list(dict.fromkeys((r["model"], r["method"]) for r in runs))
    for model, method in keys:
        rs = [r for r in runs if r["model"] == model and r["method"] == method]
        mults = sorted({r["multiplier"] for r in rs})
        by = {m: [r for r in rs if r["multiplier"] == m] for m in mults}
        test = {m: _mean([r["test_accuracy"] for r in by[m]]) for m in mults}
        val = {m: _mean([(r["val_curve"][-1] or 0.0) if r["val_curve"] else 0.0 for r in by[m]]) for m in mults}
        best_m = max(mults, key=lambda m: (val[m], test[m], -abs(np.log(m))))
        top = max(test.values())
        default = [r["test_accuracy"] for r in by.get(1.0, [])]
        rows.append({"model": model, "method": method, "family": rs[0]["family"], "default_lr": rs[0]["lr"] /
                     rs[0]["multiplier"], "default_mean": _mean(default),
                     "default_std": float(np.std(default)) if default else float("nan"), "n_seeds": len(default),
                     "default_min": min(default, default=float("nan")),
                     "default_max": max(default, default=float("nan")),
                     "best_multiplier": best_m, "best_mean": test[best_m],
                     "best_std": float(np.std([r["test_accuracy"] for r in by[best_m]])),
                     "range": top - min(test.values()),
                     "within_1": sum(t >= top - POINT for t in test.values()) / len(mults),
                     "by_multiplier": {f"{m:g}": test[m] for m in mults},
                     "diverged": sum(r["diverged"] for r in rs), "runs": len(rs),
                     "diverged_at": [f"{m:g}" for m in mults if any(r["diverged"] for r in by[m])],
                     # a diverged run may stop early (an optimizer refusing NaNs): time the runs that trained;
                     # the median, as runs of one grid may have shared the machine with other work
                     "seconds_per_run": float(np.median([r["seconds"] for r in rs if not r["diverged"]]
                                                        or [r["seconds"] for r in rs]))})
    return rows


def _pct(x):
    return f"{100 * x:.2f}"


def _tied(a, b):
    """Two methods' default accuracies are a tie when their seeds' ranges [min, max] overlap or come within 0.1
    point of each other (with one seed each: the accuracies differ by at most 0.1 point). A range, not the std: one
    collapsed seed gives a huge std that would call any method a tie with the best."""
    gap = max(a["default_min"], b["default_min"]) - min(a["default_max"], b["default_max"])
    return gap <= 0.1 * POINT


def verdicts(rows):
    """Verdicts, per model, computed from the rows (no claim is written in advance): a list of
    {"model", "question", "answer"}."""
    out = []
    for model in dict.fromkeys(r["model"] for r in rows):
        rs = [r for r in rows if r["model"] == model and r["n_seeds"] > 0]
        if not rs:
            continue
        say = lambda q, a: out.append({"model": model, "question": q, "answer": a})  # noqa: E731
        best = max(rs, key=lambda r: r["default_mean"])
        ties = [r["method"] for r in rs if r is not best and _tied(r, best)]
        say("best at its default learning rate",
            f"{best['method']} ({_pct(best['default_mean'])} ± {_pct(best['default_std'])} %, n={best['n_seeds']})"
            + (f"; tied (seed ranges within 0.1 point): {', '.join(ties)}" if ties else "; no other method's seed "
               "range within 0.1 point"))
        tuned = max(rs, key=lambda r: r["best_mean"])
        say("best after choosing the multiplier (by validation accuracy)",
            f"{tuned['method']} at x{tuned['best_multiplier']:g} ({_pct(tuned['best_mean'])} %, "
            f"{100 * (tuned['best_mean'] - tuned['default_mean']):+.2f} points over its default)")
        # among the methods whose best comes within FAR of the grid's best: a method that fails at every
        # multiplier is "insensitive" too, and says nothing about robustness
        top = max(r["best_mean"] for r in rs)
        able = [r for r in rs if r["best_mean"] >= top - FAR]
        robust = max(able, key=lambda r: (r["within_1"], -r["range"], r["default_mean"]))
        flat = [r for r in rs if r not in able and r["range"] < POINT]
        say("least sensitive to the learning rate",
            f"{robust['method']}: {robust['within_1']:.0%} of the multipliers within 1 point of its best, range "
            f"{100 * robust['range']:.2f} points"
            + (f"; not counted (flat, but its best is more than {100 * FAR:g} points under the grid's best): " + ", ".join(
                f"{r['method']} (best {_pct(r['best_mean'])} %)" for r in flat) if flat else ""))
        free = [r for r in rs if r["family"] == "learning-rate-free"]
        lrm = [r for r in rs if r["family"] != "learning-rate-free"]
        if free and lrm:
            f, t = max(free, key=lambda r: r["default_mean"]), max(lrm, key=lambda r: r["best_mean"])
            gap = f["default_mean"] - t["best_mean"]
            say("does a learning-rate-free optimizer at its default match the best tuned learning-rate method?",
                f"{'yes' if gap >= -POINT else 'no'}: {f['method']} at its default {_pct(f['default_mean'])} % vs "
                f"{t['method']} tuned (x{t['best_multiplier']:g}) {_pct(t['best_mean'])} % ({100 * gap:+.2f} points)")
        good = [r for r in rs if r["default_mean"] >= best["default_mean"] - POINT]
        fast = min(good, key=lambda r: r["seconds_per_run"])
        say("cheapest within 1 point of the best default",
            f"{fast['method']} ({fast['seconds_per_run']:.1f} s per run vs {best['seconds_per_run']:.1f} s for "
            f"{best['method']})")
        div = [f"{r['method']} (x{', x'.join(r['diverged_at'])})" for r in rs if r["diverged"]]
        say("diverged somewhere on the multiplier range", ", ".join(div) if div else "none")
        safe = [r for r in good if r["within_1"] == max(g["within_1"] for g in good)]
        pick = max(safe, key=lambda r: r["default_mean"])
        say("recommendation (from this grid)",
            f"without tuning: {pick['method']} (within 1 point of the best default and the least sensitive of those: "
            f"{pick['within_1']:.0%} of the multipliers within 1 point); with a learning-rate search: "
            f"{tuned['method']}")
    return out


def table(rows):
    lines = ["| model | method | family | default lr | test acc. at default (%) | best multiplier | test acc. at "
             "best (%) | range over multipliers (points) | multipliers within 1 point of best | diverged runs | "
             "s / run |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["model"], -r["default_mean"])):
        lines.append(f"| {r['model']} | {r['method']} | {r['family']} | {r['default_lr']:g} | "
                     f"{_pct(r['default_mean'])} ± {_pct(r['default_std'])} (n={r['n_seeds']}) | "
                     f"x{r['best_multiplier']:g} | {_pct(r['best_mean'])} ± {_pct(r['best_std'])} | "
                     f"{100 * r['range']:.2f} | {r['within_1']:.0%} | {r['diverged']}/{r['runs']} | "
                     f"{r['seconds_per_run']:.1f} |")
    return "\n".join(lines)


def verdict_text(vs):
    return "\n".join(f"- **{v['model']}**, {v['question']}: {v['answer']}" for v in vs)


def write(out, runs, rows, vs, settings):
    """runs.json, runs.csv, summary.json / summary.csv, table.md (the table and the verdicts) under `out`."""
    write_json(f"{out}/runs.json", runs)
    write_csv(f"{out}/runs.csv", [{k: v for k, v in r.items() if k not in ("val_curve", "train_loss_curve",
                                                                          "adapted")} for r in runs])
    write_json(f"{out}/summary.json", {"settings": settings, "summary": rows, "verdicts": vs})
    write_csv(f"{out}/summary.csv", [{k: v for k, v in r.items() if k not in ("by_multiplier", "diverged_at")}
                                     for r in rows])
    from ..common.files import atomic_open
    with atomic_open(f"{out}/table.md") as f:
        f.write(f"# Which method should I use? (settings: {settings})\n\n{table(rows)}\n\n## Verdicts\n\n"
                f"{verdict_text(vs)}\n")
