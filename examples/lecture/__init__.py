r"""Nan Ye's lecture "Adaptive Learning Rates" (The University of Queensland; docs/sources.md §5): its qualitative
claims checked numerically on small problems, each with a verdict computed from the runs.

1. AdaGrad: "the gradients accumulate, and after a while no progress can be made"; RMSProp "can keep on making
   progress after many iterations" -- AdaGrad vs RMSProp at the same η on a pseudo-Huber valley from (100, 100)
   (|∇f| ≈ 1 far from the minimum, so AdaGrad's step falls like η/√t) and on a 1-8-1 tanh MLP.
2. AdaDelta "is insensitive to the choice of the hyperparameter ε" -- five ε from 1e-10 to 1e-2 on the RMSProp
   tutorial's quadratic and on the MLP (RMSProp over the same ε for contrast).
3. Learning-rate annealing: "reduce the learning rate when the error plateaus ... helpful when the algorithm is
   oscillating around a minimizer due to a large learning rate" -- minibatch SGD on a noisy linear regression,
   η = 0.1 fixed, 0.01 fixed, and 0.1 cut ×0.1 by ReduceLROnPlateau on the validation error.
4. Newton's method and its diagonal approximation w_i ← w_i − g_i/(h_i + ε) (optim.DiagonalNewton) -- on a
   separable and a coupled quadratic and on the MLP: full Newton (H from n HVPs), diagonal Newton with the exact
   diagonal and with Hutchinson's estimate (DiagonalNewton, one HVP, three seeds), GD.

Every problem, budget and threshold is this project's choice (config.py); the slides give no numbers. About two
minutes on a 2-core CPU (`--jobs 2`). The modules: config, compute (the runs), verdicts, report, figures.
"""
import time

from ..common.files import out_dir
from . import compute, figures, report, verdicts
from .config import add_args


def run(out="runs/lecture", scale=1.0, plots=True, log=print, jobs=1, docs=None, names=None):
    """Every study (or `names`), the verdicts, metrics.json / runs.npz and (plots) the figures. Returns the
    list of judged claims."""
    out = out_dir(out)
    t0 = time.perf_counter()
    results = compute.run_all(scale, jobs, names)
    judged = verdicts.verdicts_of(results)
    files = report.write(out, results, judged, scale)
    report.log_report(judged, scale, log)
    if plots:
        files += figures.draw_figures(results, out)
        if docs:
            files += figures.copy_to_docs(out, docs)
    log(f"\n{time.perf_counter() - t0:.1f} s; wrote " + ", ".join(files))
    return judged


def main(args):
    """Run from parsed command-line options (config.add_args)."""
    run(args.out, args.scale, plots=not args.no_plots, jobs=args.jobs, docs=args.docs)
    return 0


__all__ = ["run", "main", "add_args", "compute", "verdicts"]
