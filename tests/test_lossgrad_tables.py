"""The LOSSGRAD experiments (examples/lossgrad): Section 3's quadratic, the table cells (resumable, skipped when
finished), the reports. Tiny budgets; the cells use real Fashion-MNIST / MNIST when ../shared/data has them."""
import json
import os

import numpy as np
import pytest

from conftest import shared_data_root
from tinygrad_lr.examples.lossgrad import compute, config, report

needs_data = pytest.mark.skipif(shared_data_root() is None or not (shared_data_root() / "fashion-mnist").is_dir(),
                                reason="needs MNIST and Fashion-MNIST in ../shared/data")


@pytest.mark.parametrize("lams, x0", [((1.0, 10.0), (1.0, 1.0)), ((2.0, 3.0), (3.0, -0.2)), ((0.5, 40.0), (0.1, 2.0))])
def test_exact_line_search_follows_the_section_3_analysis(lams, x0):
    xs, hs, fs = compute.exact_line_search(lams, x0, 30)
    th = compute.theory(lams)
    np.testing.assert_allclose(1 / hs[:-1] + 1 / hs[1:], th["inv_h_sum"], rtol=1e-10)  # 1/h + 1/h' = λ₁ + λ₂
    np.testing.assert_allclose(hs[2:], hs[:-2], rtol=1e-8)                            # two alternating steps
    g = np.asarray(lams) * np.asarray(x0)
    ratio = fs[1:11] / fs[:10]
    np.testing.assert_allclose(ratio, compute.rho_of(lams, (g[1] / g[0]) ** 2), rtol=1e-8)
    assert ratio.max() <= th["rho_bound"] * (1 + 1e-12)
    assert np.isclose(compute.rho_of(lams, 1.0), th["rho_bound"])                    # the worst case is s = 1


def test_lossgrad_on_a_quadratic_uses_the_library_and_brackets_the_local_step():
    """On a 1-D quadratic (λ₂ direction empty) LOSSGRAD's h ends in [1/(cλ), c/λ]; on 2-D its step size's
    geometric mean sits near 2/(λ₁+λ₂) and its average rate beats the bound (4)."""
    xs, hs, ratios = compute.lossgrad_quadratic((4.0, 4.0), (1.0, 0.0), 400, c=1.05)
    assert 1 / (4 * 1.05) * 0.999 <= hs[-1] <= 1.05 ** 2 / 4
    rows = compute.quadratic_analysis(cases=((1.0, 10.0),), starts=((1.0, 1.0),), steps=40, lossgrad_steps=2500,
                                      c_values=(1.05,))
    lg = [r for r in rows if r["kind"] == "lossgrad"][0]
    assert not lg["degenerate"]
    assert 0.9 < lg["h_geomean_tail"] / lg["h_harmonic_theory"] < 1.4
    assert lg["rho_measured"] < lg["rho_bound"] and lg["frac_steps_f_up"] > 0
    judged = report.quadratic_summary(rows)
    assert judged[0][1] is True and judged[2][1] is True and judged[3][1] is False
    json.dumps(rows)


def test_underflow_demo_shows_the_guard():
    d = compute.underflow_demo(steps=600)
    assert d["first_step_below_guard"] is not None and d["h_max_after"] > 2 / 3 > d["h_max_before"]


def test_cells_are_plain_and_ids_unique():
    for exp in ("fmnist", "mnist"):
        cs = config.cells(exp)
        json.dumps(cs)
        assert len({compute.cell_id(**c) for c in cs}) == len(cs)
    labels = [config.label(c) for c in config.cells("fmnist")]
    assert labels[:len(config.PAPER_FMNIST)] == list(config.PAPER_FMNIST)
    assert labels[len(config.PAPER_FMNIST):] == [f"WNGrad η={v:g}" for v in config.FMNIST_WNGRAD_EXTRA]
    assert sum(c["method"] == "lossgrad" for c in config.cells("mnist")) == len(config.C_SWEEP)


def test_trapezoid_and_steplr_follow_the_paper_text():
    import tinygrad_lr as tl
    p = [tl.Tensor(np.zeros(2), requires_grad=True)]
    opt, sched = compute.make_stepper("trapezoid", p, epochs=30)
    lrs = []
    for _ in range(30):
        lrs.append(opt.param_groups[0]["lr"])
        sched.step()
    assert lrs[9] == pytest.approx(16.0) and lrs[14] == pytest.approx(16.0) and lrs[0] == pytest.approx(1.6)
    assert lrs[29] < lrs[20] < lrs[15] <= 16.0 and np.all(np.diff(lrs[:10]) > 0)
    opt, sched = compute.make_stepper("steplr", p)
    lrs = []
    for _ in range(30):
        lrs.append(opt.param_groups[0]["lr"])
        sched.step()
    assert lrs[19] == 4.0 and lrs[20] == pytest.approx(0.4)


@needs_data
@pytest.mark.parametrize("experiment, method, kw", [("fmnist", "lossgrad", {"c": 1.05}), ("mnist", "sgd", {"lr": 0.1})])
def test_cell_resumes_bit_for_bit_and_is_skipped_when_finished(tmp_path, experiment, method, kw):
    args = dict(experiment=experiment, method=method, epochs=2, train_size=300, data_root=str(shared_data_root()), **kw)
    full = compute.run_cell(**args, out=str(tmp_path / "a"))

    class Stop(Exception):
        pass

    def stop_at_2(line):
        if line.startswith("epoch 2"):
            raise Stop
    with pytest.raises(Stop):  # fit logs epoch 2 before it checkpoints it: the checkpoint holds epoch 1
        compute.run_cell(**args, out=str(tmp_path / "b"), log=stop_at_2)
    resumed = compute.run_cell(**args, out=str(tmp_path / "b"))
    for k in ("train_loss", "test_loss", "test_accuracy", "step_lr"):
        assert resumed.get(k) == full.get(k)
    path = os.path.join(tmp_path / "a", full["id"], "result.json")
    t = os.path.getmtime(path)
    again = compute.run_cell(**args, out=str(tmp_path / "a"))
    assert os.path.getmtime(path) == t and again == json.loads(json.dumps(full))
    json.dumps(full)


def test_reports_and_spike_detection():
    fake = [dict(label=lbl, train_loss=0.02, test_loss=tl, config={"method": "sgd", "experiment": "fmnist"})
            for lbl, tl in zip(config.PAPER_FMNIST, (0.019, 0.014, 0.011, 0.016, 0.012, 0.024, 0.023))]
    table = report.fmnist_table(fake)
    assert "| SGD 16.0 | 0.0200 | 0.0110 | 0.010 | 0.010 |" in table
    v = dict(report.fmnist_verdicts(fake))
    assert all(v.values())
    loss = np.ones(400)
    loss[200] = 10.0
    lr = np.full(400, 0.1)
    lr[195] = 0.5
    s = report.spikes({"step_loss": loss.tolist(), "step_lr": lr.tolist()})
    assert s["spikes"] == 1 and s["spikes_after_step_size_peak"] == 1 and s["spike_steps"] == [200]
