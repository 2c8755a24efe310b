"""Majumder, Donini & Chaudhari (2019), Figure 1: the solution of problem (1) on the 2-D Rosenbrock function
(the whole 4-step schedule by reverse mode through the unrolled run) against gradient descent with η_t ∝ 1/t.
See compute's docstring; `run` writes rosenbrock.json and rosenbrock.png and prints the verdict."""
import os
import time

from ..common.files import out_dir, write_json
from .compute import (START, STEPS, best_inverse_t, experiment, inverse_t, rosenbrock, schedule_gradient,
                      solve_schedule, trajectory, verdict)


def run(out="runs/rosenbrock", restarts=24, long_steps=10000, plots=True, log=print, start=START):
    out = out_dir(out)
    t0 = time.perf_counter()
    res = experiment(start=start, restarts=restarts, long_steps=long_steps)
    res["seconds"] = time.perf_counter() - t0
    write_json(os.path.join(out, "rosenbrock.json"), res)
    files = [os.path.join(out, "rosenbrock.json")]
    if plots:
        from .figures import draw
        files.append(draw(res, os.path.join(out, "rosenbrock.png")))
    log("schedule η_0..η_3 = " + ", ".join(f"{e:.6g}" for e in res["schedule"]))
    log("trajectory: " + " -> ".join(f"({x:.6g}, {y:.6g})" for x, y in res["trajectory"]))
    log(f"f(w_4) = {res['f_final']:.3g}; {res['restarts_reaching_1e-6']}/{len(res['restarts'])} restarts end "
        f"within 1e-6 of [1, 1]; schedule gradient vs central differences: max rel. err "
        f"{res['gradient_check_max_rel_err']:.2g}")
    log(res["verdict"])
    log(f"{res['seconds']:.1f} s; wrote " + ", ".join(files))
    return res


__all__ = ["run", "experiment", "solve_schedule", "schedule_gradient", "trajectory", "inverse_t",
           "best_inverse_t", "rosenbrock", "verdict", "START", "STEPS"]
