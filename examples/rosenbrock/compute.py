"""Figure 1 of Majumder, Donini & Chaudhari (2019): problem (1) on the two-dimensional Rosenbrock function.

    f(x, y) = (1 − x)² + 100 (y − x²)²,   minimum f(1, 1) = 0

Problem (1) is min over the whole schedule η_0..η_{T−1} of E(w_T), with w_{t+1} = w_t − η_t ∇f(w_t) (T = 4, E = f,
the function itself, as in the figure). `schedule_gradient` differentiates f(w_T) with respect to the vector
(η_0..η_{T−1}) by reverse mode through the unrolled run: the T steps are recorded with create_graph=True (each
step's gradient is itself a graph), then one backward pass. The schedule is found by gradient descent on log η
(Adam) from several starting schedules, each finished with Gauss-Newton on the residuals of f (1 − x, 10(y − x²))
whose Jacobian in η is two more reverse passes. The solutions form a family (2 equations, T unknowns):
of those that reach [1, 1] to round-off, the one with the shortest path is shown. The baseline is gradient descent with
η_t = η_0 / t (t = 1, 2, ...) from the same start, η_0 the best of a grid."""
import math

import numpy as np

START = (-1.2, 1.0)        # Rosenbrock's (1960) own starting point; the paper's figure does not say its start
MINIMUM = (1.0, 1.0)
STEPS = 4


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosen_grad(w):
    x, y = w
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def unrolled(etas, start=START):
    """The run w_0 .. w_T as Tensors, recorded for reverse mode: (list of (x, y) Tensor pairs, η Tensor)."""
    import tinygrad_lr as tl
    from tinygrad_lr.autograd import enable_grad, grad
    eta = tl.Tensor(np.asarray(etas, float), requires_grad=True)
    with enable_grad():
        x = tl.Tensor(float(start[0]), requires_grad=True, dtype="float64")
        y = tl.Tensor(float(start[1]), requires_grad=True, dtype="float64")
        path = [(x, y)]
        for t in range(len(etas)):
            gx, gy = grad(rosenbrock(x, y), [x, y], create_graph=True)
            x, y = x - eta[t] * gx, y - eta[t] * gy
            path.append((x, y))
    return path, eta


def schedule_gradient(etas, start=START):
    """(f(w_T), d f(w_T) / d(η_0..η_{T−1})) by reverse mode through the unrolled run (float64)."""
    from tinygrad_lr.autograd import grad
    path, eta = unrolled(etas, start)
    f = rosenbrock(*path[-1])
    (g,) = grad(f, [eta])
    return float(f.item()), np.asarray(g.data, float)


def residual_jacobian(etas, start=START):
    """r(η) = (1 − x_T, 10 (y_T − x_T²)) (so f = ‖r‖²) and its Jacobian dr/dη (2 × T), by two reverse passes."""
    from tinygrad_lr.autograd import grad
    path, eta = unrolled(etas, start)
    x, y = path[-1]
    r = [1 - x, 10 * (y - x * x)]
    J = np.stack([np.asarray(grad(ri, [eta], retain_graph=True)[0].data, float) for ri in r])
    return np.array([float(ri.item()) for ri in r]), J


def trajectory(etas, start=START):
    w = np.asarray(start, float)
    out = [w.copy()]
    for e in etas:
        w = w - e * rosen_grad(w)
        out.append(w.copy())
    return np.array(out)


def solve_schedule(start=START, steps=STEPS, restarts=24, adam_iters=400, seed=0):
    """Problem (1): the schedule minimising f(w_T). Returns (best η, f(w_T), a list of every restart's result)."""
    with np.errstate(all="ignore"):
        return _solve(start, steps, restarts, adam_iters, seed)


def _solve(start, steps, restarts, adam_iters, seed):
    rng = np.random.default_rng(seed)
    tried = []
    for k in range(restarts):
        log_eta = np.log(10 ** rng.uniform(-4, -1, size=steps))
        m = v = np.zeros(steps)
        lr = 0.05
        for i in range(1, adam_iters + 1):  # Adam on log η
            f, g = schedule_gradient(np.exp(log_eta), start)
            if not np.isfinite(f):
                break
            g = g * np.exp(log_eta)
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            log_eta = log_eta - lr * (m / (1 - 0.9 ** i)) / (np.sqrt(v / (1 - 0.999 ** i)) + 1e-12)
        eta = np.exp(log_eta)
        for _ in range(60):  # Gauss-Newton on the residuals (a tenth of the step when a full one does not lower f), in η
            r, J = residual_jacobian(eta, start)
            if not np.all(np.isfinite(r)) or (r * r).sum() < 1e-30:
                break
            step = np.linalg.lstsq(J, r, rcond=None)[0]  # the minimum-norm Gauss-Newton step (2 equations, T unknowns)
            cand = eta - step
            if rosenbrock(*trajectory(cand, start)[-1]) < rosenbrock(*trajectory(eta, start)[-1]):
                eta = cand
            else:
                eta = eta - 0.1 * step
        w = trajectory(eta, start)[-1]
        f = float(rosenbrock(*w))
        tried.append({"eta": eta.tolist(), "f": f if math.isfinite(f) else None})
    ok = [t for t in tried if t["f"] is not None]
    for t in ok:
        tr = trajectory(t["eta"], start)
        t["distance"] = distance(tr[-1])
        t["path_length"] = float(np.hypot(*np.diff(tr, axis=0).T).sum())
    # problem (1) has a family of exact solutions (2 equations, T unknowns): among those that reach [1, 1] to
    # round-off, the one with the shortest path (the plainest picture); if none does, the lowest f
    exact = [t for t in ok if t["distance"] < 1e-10]
    best = min(exact, key=lambda t: t["path_length"]) if exact else min(ok, key=lambda t: t["f"])
    return np.array(best["eta"]), best["f"], tried


def inverse_t(eta0, steps, start=START):
    """Gradient descent with η_t = η_0 / t, t = 1..steps. Returns the trajectory."""
    return trajectory([eta0 / t for t in range(1, steps + 1)], start)


def best_inverse_t(steps, start=START, grid=None):
    """η_0 of the 1/t schedule with the lowest f after `steps` steps, over a log grid (diverging runs dropped)."""
    grid = np.logspace(-5, -1, 41) if grid is None else grid
    best = None
    with np.errstate(all="ignore"):
        for e0 in grid:
            w = inverse_t(e0, steps, start)[-1]
            f = rosenbrock(*w)
            if np.isfinite(f) and (best is None or f < best[1]):
                best = (float(e0), float(f))
    return best


def distance(w):
    return float(np.hypot(w[0] - MINIMUM[0], w[1] - MINIMUM[1]))


def experiment(start=START, steps=STEPS, long_steps=10000, restarts=24, seed=0):
    """Everything Figure 1 shows, as a JSON-able dict, with the verdict computed from it."""
    eta, f_T, tried = solve_schedule(start, steps, restarts, seed=seed)
    traj = trajectory(eta, start)
    e_short, _ = best_inverse_t(steps, start)
    e_long, _ = best_inverse_t(long_steps, start, grid=np.logspace(-5, -2.5, 26))
    short, long_ = inverse_t(e_short, steps, start), inverse_t(e_long, long_steps, start)
    fd_check = _finite_difference_check(eta, start)
    res = {
        "start": list(start), "steps": steps, "schedule": eta.tolist(), "f_final": f_T,
        "trajectory": traj.tolist(), "distance_final": distance(traj[-1]),
        "restarts": tried, "restarts_reaching_1e-6": sum(t["f"] is not None and distance(
            trajectory(t["eta"], start)[-1]) < 1e-6 for t in tried),
        "inverse_t_4": {"eta0": e_short, "trajectory": short.tolist(), "distance_final": distance(short[-1]),
                        "f_final": float(rosenbrock(*short[-1]))},
        "inverse_t_long": {"eta0": e_long, "steps": long_steps, "final": long_[-1].tolist(),
                           "distance_final": distance(long_[-1]), "f_final": float(rosenbrock(*long_[-1])),
                           "trajectory_every_100": long_[::100].tolist()},
        "gradient_check_max_rel_err": fd_check,
    }
    res["verdict"] = verdict(res)
    return res


def _finite_difference_check(eta, start, h=1e-7):
    """Largest relative error of the reverse-mode schedule gradient against central differences, at the start of
    the search (a schedule of 1e-3's) where the gradient is not ~0."""
    e = np.full(len(eta), 1e-3)
    _, g = schedule_gradient(e, start)
    fd = np.array([(rosenbrock(*trajectory(e + h * np.eye(len(e))[i], start)[-1])
                    - rosenbrock(*trajectory(e - h * np.eye(len(e))[i], start)[-1])) / (2 * h) for i in range(len(e))])
    return float(np.max(np.abs(g - fd) / np.maximum(np.abs(fd), 1e-12)))


TOL = 1e-6


def verdict(res):
    reached = res["distance_final"] < TOL
    short, long_ = res["inverse_t_4"]["distance_final"], res["inverse_t_long"]["distance_final"]
    ok = reached and short > 1e-2 and long_ > 1e-2
    return (f"{'REPRODUCED' if ok else 'NOT REPRODUCED'}: the schedule found by reverse mode through the unrolled "
            f"{res['steps']}-step run ends {res['distance_final']:.1e} from [1, 1] (reached: {reached}, tolerance "
            f"{TOL:g}); GD with η_t = η_0/t ends {short:.3g} away after {res['steps']} steps (best η_0 = "
            f"{res['inverse_t_4']['eta0']:.3g}) and {long_:.3g} away after {res['inverse_t_long']['steps']} steps "
            f"(best η_0 = {res['inverse_t_long']['eta0']:.3g})")
