"""The sweep's report: the robustness summary of Table 1 of Majumder, Donini & Chaudhari (2019) per method, its
files and its table next to the paper's numbers.

Reported per method, as in the paper: "fixed η̄" = mean ± std of test accuracy over β at the best η̄ (robustness
to β), "fixed β" = mean ± std over η̄ at the best β (robustness to η̄), "top" = the best test accuracy of the grid,
"seeds" = mean ± std of the best cell over seeds, and the wall time of one run. The best cell is the one with the
best final validation accuracy (runs without one: test accuracy)."""
import numpy as np

from ..common.files import write_csv, write_json
from .compute import score
from .config import NEEDS_BETA, PAPER_MLP


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
            "minutes_per_run": float(np.mean([r["seconds"] for r in runs]) / 60)}


def write(out, all_runs, summary, settings):
    """summary.csv, summary.json (the settings and the summary) and runs.csv under `out`."""
    write_csv(f"{out}/summary.csv", summary)
    write_json(f"{out}/summary.json", {**settings, "summary": summary})
    write_csv(f"{out}/runs.csv", [{k: v for k, v in r.items() if k not in ("lr_trace", "adapted")} for r in all_runs])


def print_table(summary):
    print("\n| method | fixed η̄ (%) | fixed β (%) | top (%) | best cell over seeds (%) | min/run | paper: fixed η̄ / "
          "fixed β / top / min |")
    print("|---|---|---|---|---|---|---|")
    for s in summary:
        p = PAPER_MLP.get(s["method"])
        paper = " / ".join(str(x) for x in p) if p else ""
        print(f"| {s['method']} (η̄={s['best_lr']}, β={s['best_hyper_lr']}) | {s['fixed_eta']} | {s['fixed_beta']} | "
              f"{s['top']} | {s['seeds']} (n={s['n_seeds']}) | {s['minutes_per_run']:.2f} | {paper} |")
