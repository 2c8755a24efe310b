"""The Beale experiment's computation: Beale's function, one run of a method (its trajectory and the learning
rates of every step), all methods in worker processes, and Fischer (2020)'s published algorithms re-implemented
in NumPy as a cross-check.

    f(x, y) = (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²,   minimum f(3, 0.5) = 0, start (-2, -1)
"""
import math
import time

import numpy as np

from tinygrad_lr.hyper.base import LRMethod
from tinygrad_lr.tensor import Tensor

from .config import BETAS, EPS, GAMMA, MINIMUM, PAPER_TABLE, START, TOL, methods


def beale(x, y):
    """Beale's function of two Tensors (or floats / arrays): products only, so it is cheap to differentiate."""
    y2 = y * y
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y2
    c = 2.625 - x + x * (y2 * y)
    return a * a + b * b + c * c


def beale_grad(x, y):
    """Analytic gradient (for the tests and the NumPy reference)."""
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y ** 2, 2.625 - x + x * y ** 3
    return (2 * a * (y - 1) + 2 * b * (y ** 2 - 1) + 2 * c * (y ** 3 - 1),
            2 * a * x + 4 * b * x * y + 6 * c * x * y ** 2)


def _etas(stepper):
    """(η_x, η_y) that the step just taken used."""
    if isinstance(stepper, LRMethod):
        e = stepper.lr
        return (float(e[0]), float(e[1])) if isinstance(e, list) else (float(e), float(e))
    return tuple(float(g["lr"]) for g in stepper.param_groups for _ in g["params"])


def run_one(method, iters, stop_below=None):
    """Run one method (a name, a Method or a factory params -> stepper) for `iters` steps from START.

    Returns (trajectory, learning_rates): arrays of shape (n+1, 2) (the start, then (x, y) after every step)
    and (n, 2) (η_x, η_y of every step); n < iters only if the iterate stopped being finite, or (stop_below
    given) once it came within that distance of the minimum (a grid search needs only the count to 1e-3)."""
    make = methods()[method].make if isinstance(method, str) else getattr(method, "make", method)
    x = Tensor(START[0], requires_grad=True, dtype=np.float64, device="cpu")  # 2-D: the CPU, also in the
    y = Tensor(START[1], requires_grad=True, dtype=np.float64, device="cpu")  # forked workers (no CUDA)
    stepper = make([x, y])
    traj, lrs = [START], []
    closure = lambda: beale(x, y)  # noqa: E731
    for _ in range(iters):
        if isinstance(stepper, LRMethod):
            stepper.step(closure)
        else:
            stepper.zero_grad()
            closure().backward()
            stepper.step()
        traj.append((x.item(), y.item()))
        lrs.append(_etas(stepper))
        if not all(map(math.isfinite, traj[-1])):
            break
        if stop_below is not None and math.hypot(traj[-1][0] - MINIMUM[0], traj[-1][1] - MINIMUM[1]) < stop_below:
            break
    return np.array(traj, dtype=np.float64), np.array(lrs, dtype=np.float64).reshape(-1, 2)


def fischer_code(name, iters, nag_lookahead=+1.0):
    """Fischer (2020)'s own algorithms in NumPy with analytic gradients, as the code published with the post has
    them (a public copy of its gradient_descent.py, whose main() has the post's table and start point): momentum
    as v ← γv + η·g, w ← w − v; NAG's gradient at x + γ·v as that code has it, or at the look-ahead x − γ·v with
    nag_lookahead=-1; Adam+ as the post's pseudocode. Returns the trajectory, shape (iters+1, 2) (shorter if it
    stopped being finite)."""
    eta0, alpha = PAPER_TABLE[name]
    kind = name.rstrip("+")
    w, eta = np.array(START), np.full(2, eta0)
    g_old, v, m, s = np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2)
    traj = [w.copy()]
    for i in range(iters):
        at = w + nag_lookahead * GAMMA * v if kind == "NAG" else w
        g = np.array(beale_grad(*at))
        eta = eta + alpha * g * g_old
        if kind == "GD":
            w = w - eta * g
        elif kind in ("GDM", "NAG"):
            v = GAMMA * v + eta * g
            w = w - v
        else:
            m = BETAS[0] * m + (1 - BETAS[0]) * g
            s = BETAS[1] * s + (1 - BETAS[1]) * g * g
            w = w - eta / (np.sqrt(s / (1 - BETAS[1] ** (i + 1))) + EPS) * (m / (1 - BETAS[0] ** (i + 1)))
        g_old = g
        traj.append(w.copy())
        if not np.all(np.isfinite(w)):
            break
    return np.array(traj)


def distances(traj):
    return np.hypot(traj[:, 0] - MINIMUM[0], traj[:, 1] - MINIMUM[1])


def iterations_to(traj, tol=TOL):
    """The first iteration (0 = the start) whose iterate is within tol of the minimum; None if never."""
    hit = np.flatnonzero(distances(traj) < tol)
    return int(hit[0]) if hit.size else None


def _run_named(args):
    name, iters = args
    t0 = time.perf_counter()
    traj, lrs = run_one(name, iters)
    return name, traj, lrs, time.perf_counter() - t0


def run_all(iters, jobs=1, names=None):
    """name -> (trajectory, learning rates, seconds); `jobs` worker processes (1: in this process)."""
    names = list(methods()) if names is None else list(names)
    # the costliest first (RT-HPO: an HVP per step; then the η-adapting wrappers), so the workers finish together
    cost = {n: 2 if n == "RT-HPO" else 1 if (n.endswith("+") or n.startswith("HD")) else 0 for n in names}
    work = [(n, iters) for n in sorted(names, key=lambda n: -cost[n])]
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(max_workers=jobs) as ex:
            done = list(ex.map(_run_named, work))
    else:
        done = [_run_named(w) for w in work]
    return {n: (t, l, s) for n, t, l, s in done}


def fischer_counts(iters):
    """name -> (iterations to 1e-3 of fischer_code, the same with NAG's gradient at the look-ahead x − γv or None)
    for every method of the post's table."""
    return {n: (iterations_to(fischer_code(n, iters)),
                iterations_to(fischer_code(n, iters, -1.0)) if n.startswith("NAG") else None) for n in PAPER_TABLE}
