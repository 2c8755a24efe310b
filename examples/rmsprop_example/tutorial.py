r"""The three figures of "Introduction to neural network optimizers, part 2" from our own runs, and the post's
statements about them judged from the numbers.

Figure 1 (update vectors): the two steps of the worked example (GD η = 0.001; the adaptive scheme η = 0.05,
    β = 0.9, ε = 1e-8), the gradients and the update vectors v(t) = η·∇E ⊘ √(s(t) + ε).
    Claim: "with adaptive learning rates, we move more to the right and less to the bottom than with classical
    gradient descent" -> the angle of v(t) below the horizontal is smaller than that of the GD step.
Figure 2 (trajectories, β = 0 and β = 0.9): the scheme from w0 = (-15, 20) on E = 3w1² + 10w2², beside GD.
    Claims: (a) "the adaptive route points more directly towards the optimum ... this results in a shorter path"
    -> path length until within DIRECT_TOL of the optimum, adaptive (both β) < GD; (b) "with β = 0 ... we mainly
    restrict the path to the eight cardinal directions, first to the south-east and then to the south" -> the share
    of β = 0 steps within 10° of a multiple of 45°, and the direction of its first and last steps; (c) "the former
    [β = 0] is shaped more angularly and the latter [β = 0.9] is smoother" -> the mean absolute turn between
    consecutive steps is larger for β = 0. The post's animation gives no η or iteration count for these paths:
    TRAJ_ETA and TRAJ_STEPS are ours (GD at GD_ETA, stable since 2/20 = 0.1).
Figure 3 (C_a(g1, g2) = |η·v(2)| − |η·g2|, η = 1, ε = 1e-8, for several β): v(2) = g2/√((1−β)(βg1² + g2²) + ε).
    Claims: (a) red (C_a > 0) "especially in areas where the value of both gradients is low"; (b) blue (C_a < 0)
    "strongest at the borders, when either g1 or g2 are high (or both)"; (c) β = 0: "a nearly linear relationship
    between v(2) and g2 ... |v(2)| ≈ 1". The post's axes have no stated range: ours is g ∈ [−CA_RANGE, CA_RANGE].

Every trajectory is computed with tinygrad_lr (autodiff gradients, float64) by compute.rmsprop_scheme; the C_a
maps are the closed form above (the post's own derivation), checked against two steps of the scheme in the tests.
"""
import math

import numpy as np

from .compute import gradient_descent, rmsprop_scheme
from .config import BETA, EPSILON, ETA, ETA_GD, W0

TRAJ_ETA, TRAJ_STEPS, GD_ETA = 0.5, 80, 0.04
TRAJ_BETAS = (0.0, 0.9)
DIRECT_TOL = 0.5  # path length counted until the iterate is this close to the optimum (0, 0)
CA_BETAS = (0.0, 0.5, 0.9, 0.99)
CA_RANGE, CA_N = 10.0, 401
LOW, HIGH = 0.5, 0.9  # "low": |g1|, |g2| <= LOW; "border": max(|g1|, |g2|) >= HIGH * CA_RANGE
APPROACH = 1.0  # the approach phase of a path: the steps taken while the iterate is farther than this from (0, 0)


def update_vectors():
    """The worked example's two steps: for each scheme the weights w(0..2), and for each step the gradient and
    the step taken (w(t) − w(t−1))."""
    ad = rmsprop_scheme(steps=2, lr=ETA, beta=BETA, eps=EPSILON)
    gd = gradient_descent(steps=2, lr=ETA_GD)
    w_ad = [W0] + [w for w, _, _ in ad]
    w_gd = [W0] + list(gd)
    grads = [g for _, _, g in ad]
    return {"gd": {"w": w_gd, "steps": [tuple(np.subtract(b, a)) for a, b in zip(w_gd, w_gd[1:])]},
            "adaptive": {"w": w_ad, "grad": grads, "steps": [tuple(np.subtract(b, a)) for a, b in zip(w_ad, w_ad[1:])]}}


def _angle_below_horizontal(step):
    return math.degrees(math.atan2(-step[1], abs(step[0])))


def trajectories():
    """name -> array (TRAJ_STEPS+1, 2): GD and the scheme at each β of TRAJ_BETAS."""
    out = {f"GD, η = {GD_ETA:g}": np.array([W0] + gradient_descent(steps=TRAJ_STEPS, lr=GD_ETA))}
    for b in TRAJ_BETAS:
        run = rmsprop_scheme(steps=TRAJ_STEPS, lr=TRAJ_ETA, beta=b, eps=EPSILON)
        out[f"adaptive, β = {b:g}"] = np.array([W0] + [w for w, _, _ in run])
    return out


def path_length(traj, tol=DIRECT_TOL):
    """Length of the polyline until the first iterate within tol of (0, 0) (None if never)."""
    d = np.hypot(traj[:, 0], traj[:, 1])
    hit = np.flatnonzero(d < tol)
    if not hit.size:
        return None
    seg = np.diff(traj[: hit[0] + 1], axis=0)
    return float(np.hypot(seg[:, 0], seg[:, 1]).sum())


def step_angles(traj):
    seg = np.diff(traj, axis=0)
    return np.degrees(np.arctan2(seg[:, 1], seg[:, 0]))


def c_a(g1, g2, beta, eps=EPSILON, eta=1.0):
    """C_a(g1, g2) = |η·v(2)| − |η·g2| with v(2) = η·g2/√((1−β)(β·g1² + g2²) + ε) (the post's definition)."""
    v2 = eta * g2 / np.sqrt((1 - beta) * (beta * g1 ** 2 + g2 ** 2) + eps)
    return np.abs(eta * v2) - np.abs(eta * g2)


def c_a_maps():
    g = np.linspace(-CA_RANGE, CA_RANGE, CA_N)
    g1, g2 = np.meshgrid(g, g, indexing="xy")
    return g, {b: c_a(g1, g2, b) for b in CA_BETAS}


def _v(ok):
    return {True: "AGREES", False: "DISAGREES", None: "UNTESTED"}[ok]


def verdicts(uv=None, trajs=None, maps=None):
    """Each statement of the post about its three figures, judged from our numbers: a list of dicts with the
    post's words, what was measured and the verdict."""
    uv = update_vectors() if uv is None else uv
    trajs = trajectories() if trajs is None else trajs
    g, maps = c_a_maps() if maps is None else maps
    out = []
    a_gd = [_angle_below_horizontal(s) for s in uv["gd"]["steps"]]
    a_ad = [_angle_below_horizontal(s) for s in uv["adaptive"]["steps"]]
    ok = all(x < y for x, y in zip(a_ad, a_gd))
    out.append({"figure": 1, "post": "with adaptive learning rates, we move more to the right and less to the bottom "
                                     "than with classical gradient descent",
                "measured": f"angle of the step below the horizontal, steps 1-2: adaptive {a_ad[0]:.1f}°, "
                            f"{a_ad[1]:.1f}°; GD {a_gd[0]:.1f}°, {a_gd[1]:.1f}°", "verdict": _v(ok)})
    names = list(trajs)
    lengths = {n: path_length(t) for n, t in trajs.items()}
    gd_len = lengths[names[0]]
    ok = None if gd_len is None or any(lengths[n] is None for n in names[1:]) else all(
        lengths[n] < gd_len for n in names[1:])
    out.append({"figure": 2, "post": "the adaptive route points more directly towards the optimum ... this results "
                                     "in a shorter path",
                "measured": "path length until within %g of the optimum: " % DIRECT_TOL + ", ".join(
                    f"{n} {'never' if lengths[n] is None else f'{lengths[n]:.2f}'}" for n in names)
                + f" (straight line: {math.hypot(*W0):.2f})", "verdict": _v(ok)})
    b0, b9 = (trajs[f"adaptive, β = {b:g}"] for b in TRAJ_BETAS)

    def approach(t):  # the iterates up to the first within APPROACH of the optimum (the rest oscillates there)
        far = np.flatnonzero(np.hypot(t[:, 0], t[:, 1]) <= APPROACH)
        return t[: (far[0] + 1 if far.size else len(t))]
    b0, b9 = approach(b0), approach(b9)
    ang0 = step_angles(b0)
    off = np.abs((ang0 + 22.5) % 45 - 22.5)
    share = float(np.mean(off <= 10))
    k = int(np.flatnonzero(b0[:, 0] >= 0)[0]) if np.any(b0[:, 0] >= 0) else len(b0) - 1  # w1 reaches 0 here
    first, last = (math.degrees(math.atan2(*(t[-1] - t[0])[::-1])) for t in (b0[: k + 1], b0[k:]))
    ok = share >= 0.8 and abs(first + 45) <= 10 and abs(last + 90) <= 10
    out.append({"figure": 2, "post": "with β = 0 we mainly restrict the path to the eight cardinal directions, first "
                                     "to the south-east (v ≈ (1, −1)) and then to the south (v ≈ (0, −1))",
                "measured": f"{100 * share:.0f} % of the β = 0 steps before reaching distance {APPROACH:g} within 10° "
                            f"of a multiple of 45°; net direction until w1 reaches 0 ({k} steps) {first:.1f}°, after "
                            f"it {last:.1f}° (south-east −45°, south −90°; after w1 reaches 0 the single steps zigzag "
                            f"±45° around w1 = 0, since a β = 0 step moves every coordinate by ≈ η)", "verdict": _v(ok)})
    turn = {b: float(np.max(np.abs((np.diff(step_angles(t)) + 180) % 360 - 180)))
            for b, t in zip(TRAJ_BETAS, (b0, b9))}
    out.append({"figure": 2, "post": "β = 0 is shaped more angularly and β = 0.9 is smoother",
                "measured": f"largest turn between consecutive steps before reaching distance {APPROACH:g}: β = 0 "
                            f"{turn[0.0]:.1f}°, β = 0.9 {turn[0.9]:.1f}°", "verdict": _v(turn[0.0] > turn[0.9])})
    G1, G2 = np.meshgrid(g, g, indexing="xy")
    low = (np.abs(G1) <= LOW) & (np.abs(G2) <= LOW) & (G2 != 0)
    border = np.maximum(np.abs(G1), np.abs(G2)) >= HIGH * CA_RANGE
    betas = [b for b in CA_BETAS]
    lo_share = {b: float(np.mean(maps[b][low] > 0)) for b in betas}
    bo_share = {b: float(np.mean(maps[b][border] < 0)) for b in betas}
    out.append({"figure": 3, "post": "the gradient is enlarged (C_a > 0, red) especially where both gradients are low",
                "measured": f"share of cells with C_a > 0 where |g1|, |g2| <= {LOW:g}: " + ", ".join(
                    f"β = {b:g}: {100 * lo_share[b]:.0f} %" for b in betas),
                "verdict": _v(all(v >= 0.9 for v in lo_share.values()))})
    out.append({"figure": 3, "post": "the gradient gets smaller (C_a < 0, blue) strongest at the borders, when either "
                                     "g1 or g2 are high (or both)",
                "measured": f"share of cells with C_a < 0 where max(|g1|, |g2|) >= {HIGH * CA_RANGE:g}: " + ", ".join(
                    f"β = {b:g}: {100 * bo_share[b]:.0f} %" for b in betas)
                + "; C_a < 0 exactly where (1−β)(β·g1² + g2²) + ε > 1, i.e. beyond |g| ≈ 1/√(1−β): " + ", ".join(
                    f"{1 / math.sqrt(1 - b):.3g}" for b in betas) + f" (our axes: ±{CA_RANGE:g})",
                "verdict": _v(all(v >= 0.5 for v in bo_share.values()))})
    nz = g != 0
    v2 = np.abs(c_a(0.0 * g[nz], g[nz], 0.0) + np.abs(g[nz]))  # |v(2)| along g1 = 0 at β = 0
    dev = float(np.max(np.abs(maps[0.0] + np.abs(G2) - 1)[nz, :]))  # C_a = 1 − |g2| exactly when |v(2)| = 1
    out.append({"figure": 3, "post": "β = 0 reveals a nearly linear relationship ... the update essentially |v(2)| ≈ 1",
                "measured": f"β = 0: |v(2)| in [{v2.min():.6f}, {v2.max():.6f}] for g2 ≠ 0; max |C_a − (1 − |g2|)| = "
                            f"{dev:.1e}", "verdict": _v(dev < 1e-3)})
    return out
