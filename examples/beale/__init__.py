r"""Fischer (2020), "An adaptive learning rate method for gradient descent algorithms", on Beale's function: GD,
GDM, NAG, Adam and their "+" variants with the post's hyper-parameters, plus AdaGrad, RMSprop and AdaDelta (as in
Nan Ye's lecture slides "Adaptive learning rates", University of Queensland) and two hypergradient methods for
comparison.

    f(x, y) = (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²,   minimum f(3, 0.5) = 0, start (-2, -1)

x and y are two float64 scalar Tensors; every gradient comes from autodiff. Each method runs a fixed number of
iterations; its trajectory (x, y after every step) and learning rates (η_x, η_y used by every step) are
recorded, and every metric is computed from those records: the first iteration whose iterate lies within
Euclidean distance 1e-3 of (3, 0.5) ("never" if none within the budget), the final and the smallest distance.

Methods and hyper-parameters
- GD, GDM, NAG, Adam and GD+, GDM+, NAG+, Adam+: the post's table (η; α for the "+" variants), γ = 0.5,
  β1 = 0.9, β2 = 0.99, ε = 1e-8. "+" is hyper.FischerPlus(base, α) per element: before each step
  η_i ← η_i + α·g_i^(t)·g_i^(t-1) with the raw gradients, then the base optimizer's step with that η.
- Momentum is tinygrad_lr's (= torch.optim.SGD's) form: b ← γb + g, w ← w − η·b; Nesterov: w ← w − η·(g + γb),
  which records the look-ahead point. The post's code keeps the step instead: v ← γv + η·g, w ← w − v. At a
  fixed η both are the same iteration (v = η·b); when η changes every step (GDM+, NAG+) they are not: the
  post's v carries the old η's inside it, torch's b is re-scaled by the current η.
- The code published with the post (a public copy of its gradient_descent.py, whose main() has the post's
  table and start point) evaluates NAG's gradient at x + γv, i.e. BEHIND the iterate (x moves by −v), not at
  the look-ahead x − γv. `compute.fischer_code()` re-implements the post's algorithms in NumPy (its forms,
  analytic gradients) so the table can show how much of each difference comes from these formulations.
- AdaGrad (η = 2), RMSprop (η = 1e-3, α = 0.9 as the β of the RMSProp worked example in "Introduction to neural
  network optimizers, part 2", ε = 1e-8), AdaDelta (torch's defaults η = 1, ρ = 0.9, ε = 1e-6): chosen as the
  post chose its table, the fastest to 1e-3 on a small grid at 12,000 steps (AdaGrad η ∈ {0.1, 0.2, 0.5, 1, 2,
  3, 5}; RMSprop α = 0.9 with η ∈ {5e-4, 1e-3, 2e-3, 3e-3, 1e-2, 3e-2} and α = 0.99 with η ∈ {1e-3, 3e-3};
  AdaDelta η ∈ {1, 3, 10} at ρ = 0.9, ε = 1e-6 and ρ ∈ {0.9, 0.95} × ε ∈ {1e-4, 1e-3, 1e-2} at η = 1: none of
  these reaches 1e-3, so torch's defaults are kept).
- GD+ (global), GDM+ (global): FischerPlus with ONE η (the post's equation learning_rate_update_global), α
  from a grid search (global_eta.py; the post's per-element α makes both diverge).
- "HD (first-order)": hyper.FirstOrder(GD, β) with ONE global η, the hypergradient descent of Baydin et al.
  (2018), "Online learning rate adaptation with hypergradient descent", arXiv:1703.04782:
  η ← η + β·g_t·g_{t-1} (the dot product summed over both coordinates; per element it would be GD+ exactly,
  which the tests check); "RT-HPO": hyper.RTHPO(GD, β) of Majumder, Donini & Chaudhari (2019), "Learning the
  learning rate for gradient descent by gradient descent", global η, the full tangent recursion (one HVP per
  step), E = the training loss f itself. β = 1e-5 for both: the fastest on the grid {1e-7, 1e-6, 1e-5, 1e-4}
  (β = 1e-4 diverges for both).

Verdicts: each of the post's statements about a pair (config.CLAIMS) is judged from the records (verdicts.py);
the "closer after convergence" ones also without float64 round-off (exact.py, `--exact`).

Cost: about 60-70 s of CPU at the default 12,000 iterations (RT-HPO's HVP and the η-adapting wrappers are the
dearest), spread over `jobs` worker processes.

The modules: config (the settings, the post's table and claims, the command-line options), compute (the runs),
verdicts, report (the table, the files), figures; `run` below chains them.
"""
import time

from ..common.files import out_dir
from .compute import beale, beale_grad, distances, fischer_code, iterations_to, run_all, run_one
from .config import DEFAULT_ITERS, GAMMA, MINIMUM, PAIRS, PAPER_TABLE, START, add_args, methods
from .figures import draw_figures
from . import figures
from . import compute, global_eta, report, verdicts
from . import exact as exact_mod


def run(iters=DEFAULT_ITERS, out="runs/beale", plots=True, log=print, jobs=1, exact=False, global_grid=False):
    """The whole experiment: runs, metrics.json / metrics.csv / trajectories.npz, the table and the verdicts,
    and (plots=True) trajectories.png, distance.png, learning_rates.png. exact=True: also the decimal runs of
    exact.py (exact.npz) and the closeness verdicts without round-off; global_grid=True: also the grid over α of
    the global-η variants (global_alpha_grid.csv/json). Returns (rows, verdicts)."""
    out = out_dir(out)
    t0 = time.perf_counter()
    files = []
    if global_grid:
        files += report.write_grid(out, iters, *global_eta.grid_search(iters, jobs=jobs), log)
    results = run_all(iters, jobs)
    reference = compute.fischer_counts(iters)
    rows = report.table_rows(results, iters, reference)
    exact_runs = exact_mod.run_all_exact(iters, jobs) if exact else None
    judged = verdicts.verdicts_of(rows, results, reference,
                                  exact={n: d for n, (d, _) in exact_runs.items()} if exact else None)
    files += report.write(out, iters, rows, judged, results, reference, exact_runs)
    report.log_report(iters, rows, judged, reference, log)
    if plots:
        files += draw_figures(results, out)
        if exact:
            files.append(figures.draw_exact(results, exact_runs, out))
    log(f"\n{time.perf_counter() - t0:.1f} s; wrote " + ", ".join(files))
    return list(rows.values()), judged


def main(args):
    """Run from parsed command-line options (config.add_args); --replot: only redraw the figures of a finished run."""
    if getattr(args, "replot", False):
        print("redrew " + ", ".join(figures.redraw(args.out)))
        return
    run(args.iters, args.out, plots=not args.no_plots, jobs=args.jobs, exact=args.exact,
        global_grid=args.global_grid)


__all__ = ["run", "main", "add_args", "methods", "run_one", "run_all", "beale", "beale_grad", "fischer_code",
           "distances", "iterations_to", "draw_figures", "START", "MINIMUM", "GAMMA", "PAIRS", "PAPER_TABLE",
           "DEFAULT_ITERS", "global_eta", "exact_mod"]
