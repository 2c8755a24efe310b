r"""GD+ and GDM+ with ONE global η (Fischer 2020, equation `learning_rate_update_global`):

    η ← η + α·(1/|Ω|)·Σ_i g_i^(t)·g_i^(t-1)          (|Ω| = 2 here: x and y)

The post grid-searched η and α for its per-element variants and publishes no α for the global rule. With the
per-element α of the post's table (GD+ 1e-4, GDM+ 1e-5) the global η of GD+ runs away and the iterate diverges
(the product of successive gradients, summed over both coordinates, is large and positive on the first steps), so
the global variants get their own α here, chosen as the post chose its table: on a grid, the α that reaches
distance 1e-3 of the minimum in the fewest iterations (η kept at the post's table value for that method: 0.01 for
GD+ and for GDM+), at the experiment's budget (config.DEFAULT_ITERS). `grid_search` runs the grid; its result is
in docs/results/beale_global_alpha_grid.csv, and config.GLOBAL_ALPHA holds the chosen values (a test checks they
are the grid's argmin).
"""
import math
import time
import warnings

from tinygrad_lr import hyper

from .compute import distances, iterations_to, run_one
from .config import DEFAULT_ITERS, PAPER_TABLE, TOL, base_optimizer

KINDS = ("GD", "GDM")
GRID = tuple(float(f"{m}e{e}") for e in range(-9, -3) for m in (1, 2, 5))  # 1e-9 ... 5e-4 in 1-2-5 steps


def make_global(kind, alpha, eta=None):
    """factory params -> FischerPlus(kind, α, granularity="global") with the post's η for kind+."""
    eta = PAPER_TABLE[kind + "+"][0] if eta is None else eta
    return lambda p: hyper.FischerPlus(base_optimizer(kind, p, eta), alpha, granularity="global")


def _cell(args):
    kind, alpha, iters = args
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the divergent cells warn about η's sign and overflow: recorded below
        traj, lrs = run_one(make_global(kind, alpha), iters, stop_below=TOL)
    it = iterations_to(traj)
    diverged = not all(map(math.isfinite, traj[-1])) or abs(float(lrs[-1, 0])) > 1e6
    return {"method": f"{kind}+ (global)", "eta0": PAPER_TABLE[kind + "+"][0], "alpha": alpha,
            "iterations_to_1e-3": "never" if it is None else it,
            "outcome": "diverged (iterate or η)" if diverged else ("reached 1e-3" if it is not None else "not within the budget"),
            "eta_when_stopped": float(lrs[-1, 0]) if len(lrs) else None,
            "distance_when_stopped": float(distances(traj)[-1]),
            "seconds": round(time.perf_counter() - t0, 2)}


def grid_search(iters=DEFAULT_ITERS, alphas=GRID, kinds=KINDS, jobs=1):
    """Every (kind, α) cell: its count to 1e-3 (runs stop there), or "never"/diverged. Returns (rows, best) with
    best: kind -> the row with the fewest iterations (None if no cell reached 1e-3)."""
    work = [(k, a, iters) for k in kinds for a in alphas]
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(max_workers=jobs) as ex:
            rows = list(ex.map(_cell, work))
    else:
        rows = [_cell(w) for w in work]
    return rows, best_of(rows)


def best_of(rows):
    """kind -> the row that reached 1e-3 in the fewest iterations (the smaller α on a tie), None if none did."""
    best = {}
    for r in rows:
        kind = r["method"].split("+")[0]
        best.setdefault(kind, None)
        if r["iterations_to_1e-3"] == "never":
            continue
        b = best[kind]
        if b is None or (r["iterations_to_1e-3"], r["alpha"]) < (b["iterations_to_1e-3"], b["alpha"]):
            best[kind] = r
    return best
