"""The Beale experiment's report: the table's rows (every metric computed from the recorded trajectories),
metrics.json / metrics.csv / trajectories.npz, and the table and verdicts as text."""
import os

import numpy as np

from ..common.files import write_csv, write_json
from .compute import distances, iterations_to
from . import exact as exact_mod
from .config import BETAS, EPS, GAMMA, MINIMUM, START, TOL, methods
from .verdicts import count, final_distance


def _fmt_d(d):
    return d if isinstance(d, str) else f"{d:.2e}"


def table_rows(results, iters, reference):
    """name -> row of the table, in the order of config.methods(). results: name -> (trajectory, lrs, seconds);
    reference: compute.fischer_counts."""
    rows = {}
    for name, m in methods().items():
        traj, lrs, secs = results[name]
        d = distances(traj)
        rows[name] = {"method": name, "eta": m.eta, "alpha": m.alpha, "hyper_lr_beta": m.hyper_lr,
                      "iterations_to_1e-3": count(iterations_to(traj)), "final_distance": final_distance(traj, iters),
                      "min_distance": float(np.nanmin(d)),
                      "final_eta_x": float(lrs[-1, 0]) if len(lrs) else m.eta,
                      "final_eta_y": float(lrs[-1, 1]) if len(lrs) else m.eta,
                      "fischer_code_iterations": count(reference[name][0]) if name in reference else "",
                      "seconds": round(secs, 2), "note": m.note}
    return rows


def write_grid(out, iters, rows, best, log=print):
    """global_alpha_grid.csv / .json (global_eta.grid_search) under `out`, the grid printed; returns the paths."""
    write_csv(os.path.join(out, "global_alpha_grid.csv"), rows)
    write_json(os.path.join(out, "global_alpha_grid.json"), {
        "experiment": "Fischer (2020): global-eta GD+ / GDM+ on Beale's function, grid over alpha",
        "budget_iterations": iters, "criterion": "fewest iterations to distance 1e-3 (runs stop there)",
        "rows": rows, "best": best})
    log(f"\nglobal-η GD+ / GDM+: grid over α (η = the post's, budget {iters}, runs stop at distance 1e-3)")
    log("| method | α | iterations to 1e-3 | outcome |\n|---|---|---|---|")
    for r in rows:
        log(f"| {r['method']} | {r['alpha']:g} | {r['iterations_to_1e-3']} | {r['outcome']} |")
    for kind, b in best.items():
        log(f"best {kind}+ (global): " + ("none reached 1e-3" if b is None else
                                          f"α = {b['alpha']:g}, {b['iterations_to_1e-3']} iterations"))
    return [os.path.join(out, f) for f in ("global_alpha_grid.csv", "global_alpha_grid.json")]


def write(out, iters, rows, verdicts, results, reference, exact_runs=None):
    """trajectories.npz, metrics.json, metrics.csv (and exact.npz) under `out`; returns their paths."""
    np.savez_compressed(os.path.join(out, "trajectories.npz"),
                        **{f"{n}/traj": t for n, (t, _, _) in results.items()},
                        **{f"{n}/lr": l for n, (_, l, _) in results.items()})
    write_json(os.path.join(out, "metrics.json"), {
        "experiment": "Fischer (2020): Beale's function", "iterations": iters, "start": START, "minimum": MINIMUM,
        "tolerance": TOL, "hyperparameters": {"gamma": GAMMA, "betas": BETAS, "eps": EPS},
        "momentum_form": "torch: b = gamma*b + g; w -= eta*b (nesterov: w -= eta*(g + gamma*b)); Fischer's code: "
                         "v = gamma*v + eta*g; w -= v (same at a fixed eta, not when eta changes)",
        "fischer_code_nag_lookahead_minus": {n: count(reference[n][1]) for n in ("NAG", "NAG+")},
        "methods": list(rows.values()), "verdicts": verdicts})
    write_csv(os.path.join(out, "metrics.csv"), list(rows.values()))
    files = [os.path.join(out, f) for f in ("metrics.json", "metrics.csv", "trajectories.npz")]
    if exact_runs is not None:
        np.savez_compressed(os.path.join(out, "exact.npz"), **{f"{n}/log10_distance": np.array(d)
                                                               for n, (d, _) in exact_runs.items()})
        write_json(os.path.join(out, "exact.json"), {
            "what": "log10 distance to the minimum after the budget, decimal arithmetic (examples/beale/exact.py)",
            "digits": exact_mod.DEFAULT_PREC, "iterations": iters,
            "runs": {n: {"final_log10_distance": d[-1], "floor_reached": fl} for n, (d, fl) in exact_runs.items()}})
        files += [os.path.join(out, "exact.npz"), os.path.join(out, "exact.json")]
    return files


def log_report(iters, rows, verdicts, reference, log=print):
    """The table and the verdicts, as Markdown-ish text through `log`."""
    log(f"\nBeale's function: {iters} iterations from {START}; distance to the minimum {MINIMUM}")
    log("momentum: torch's form b = γb + g, w -= η·b (Fischer's code: v = γv + η·g, w -= v)\n")
    log("| method | η | α | β | iterations to 1e-3 | final distance | min distance | Fischer's code (NumPy) |")
    log("|---|---|---|---|---|---|---|---|")
    for r in rows.values():
        log(f"| {r['method']} | {r['eta']:g} | {r['alpha']:g} | {r['hyper_lr_beta']:g} | {r['iterations_to_1e-3']} | "
            f"{_fmt_d(r['final_distance'])} | {r['min_distance']:.2e} | {r['fischer_code_iterations']} |")
    nag = {n: count(reference[n][1]) for n in ("NAG", "NAG+")}
    log(f"\nFischer's code with NAG's gradient at the look-ahead x - γv instead of x + γv: NAG {nag['NAG']}, "
        f"NAG+ {nag['NAG+']} iterations")
    log("\nVerdicts (is Fischer (2020)'s claim what tinygrad_lr measures?)")
    for v in verdicts:
        head = ("reaches 1e-3 sooner" if v["plus_reaches_1e-3_sooner"] else
                "and its base: neither reaches 1e-3 in this budget" if v["plus_iterations"] == v["base_iterations"]
                == "never" else "does NOT reach 1e-3 sooner")
        ratio = f", {v['ratio']:.2f}x the steps" if v["ratio"] is not None else ""
        log(f"- {v['pair']}: {v['pair'].split(' vs ')[1]} {head} ({v['base_iterations']} vs "
            f"{v['plus_iterations']}{ratio})")
        for c in v["claims"]:
            log(f"    {c['verdict']:9s} Fischer: \"{c['fischer_says']}\" -- measured: {c['measured']}")
            if "exact_verdict" in c:
                log(f"    {c['exact_verdict']:9s}   without round-off: {c['exact_measured']}")
        log(f"    the post's own algorithm (NumPy): {v['fischer_code']}")
