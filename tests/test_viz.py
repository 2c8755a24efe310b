"""viz.draw: the DOT text of a graph (nodes, edges, labels, leaf/parameter marking, forward vs recorded backward
ops, module boxes and collapse), checked against the graph itself; rendering when Graphviz's `dot` is installed."""
import doctest
import re
import shutil

import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor, autograd, nn, viz
from tinygrad_lr.models import MLP

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

_ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse(dot):
    """DOT text as {node: attrs}, [(src, dst, attrs)], {node: [enclosing cluster names, outermost first]}."""
    nodes, edges, where, stack = {}, [], {}, []
    assert dot.startswith("digraph tinygrad_lr {") and dot.rstrip().endswith("}")
    for line in dot.splitlines()[1:-1]:
        s = line.strip()
        m = re.match(r'subgraph "?([\w.]+)"? \{$', s)
        if m:
            stack.append(m.group(1))
            continue
        if s == "}":
            stack.pop()
            continue
        m = re.match(r"(\w+) -> (\w+)(?: \[(.*)\])?;$", s)
        if m:
            edges.append((m.group(1), m.group(2), dict(_ATTR.findall(m.group(3) or ""))))
            continue
        m = re.match(r"(\w+) \[(.*)\];$", s)
        if m and m.group(1) not in ("graph", "node", "edge"):
            nodes[m.group(1)] = {k: v.replace('\\"', '"').replace("\\n", "\n") for k, v in _ATTR.findall(m.group(2))}
            where[m.group(1)] = list(stack)
    assert not stack
    return nodes, edges, where


def classes(attrs):
    return set(attrs.get("class", "").split())


def by_class(nodes, *cls):
    return {k: a for k, a in nodes.items() if set(cls) <= classes(a)}


def ops_of(*roots):
    """The op tensors (with a graph node) the roots were made from, by an independent walk."""
    seen, stack, ops = set(), list(roots), []
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t._ctx is not None:
            ops.append(t)
            stack.extend(t._ctx.parents)
    return ops


# ---- a small expression --------------------------------------------------------------------------------------
def test_small_expression_nodes_edges_labels():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).tanh().sum()
    nodes, edges, _ = parse(viz.draw(y, names={"x": x}))
    assert len(nodes) == 4
    labels = {a["label"].split("\n")[0]: k for k, a in nodes.items()}
    assert set(labels) == {"x", "Mul", "Tanh", "Sum"}
    assert nodes[labels["Mul"]]["label"] == "Mul\n(2,) float32"
    assert nodes[labels["Sum"]]["label"] == "Sum\nscalar float32"
    # x is read twice by Mul: two edges; then a chain
    pairs = [(s, d) for s, d, _ in edges]
    assert sorted(pairs) == sorted([(labels["x"], labels["Mul"])] * 2 + [(labels["Mul"], labels["Tanh"]),
                                                                        (labels["Tanh"], labels["Sum"])])
    assert classes(nodes[labels["x"]]) == {"leaf"} and nodes[labels["x"]]["shape"] == "ellipse"
    assert classes(nodes[labels["Sum"]]) == {"op", "forward", "output"} and nodes[labels["Sum"]]["peripheries"] == "2"
    assert all("peripheries" not in nodes[labels[n]] for n in ("x", "Mul", "Tanh"))
    # node ids follow the graph, parents first, so the text is the same on every run
    assert viz.draw(y, names={"x": x}) == viz.draw(y, names={"x": x})
    assert [a["label"].split("\n")[0] for a in nodes.values()] == ["x", "Mul", "Tanh", "Sum"]


def test_constants_values_and_grads():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    c = Tensor([0.5, 0.5, 0.5])
    y = ((x * 2.0 + c) ** 2).sum()
    nodes, edges, _ = parse(viz.draw(y, names={"x": x, "c": c}))
    consts = by_class(nodes, "const")  # the factor 2, c, the exponent 2
    assert sorted(a["label"] for a in consts.values()) == sorted(
        ["const 2\nscalar float32", "c\nconst\n(3,) float32", "const 2\nscalar float32"])
    assert len(nodes) == 1 + 3 + 4  # x, the constants, Mul Add Pow Sum
    nodes2, edges2, _ = parse(viz.draw(y, constants=False))
    assert not by_class(nodes2, "const") and len(nodes2) == len(nodes) - 3
    assert len(edges2) == len(edges) - 3
    y.backward(retain_graph=True)
    nodes, _, _ = parse(viz.draw(y, names={"x": x}, show_values=True))
    xl = next(a for a in nodes.values() if a["label"].startswith("x\n"))["label"].split("\n")
    assert xl[2] == "[ 1., -2., 3.]"  # values
    g = 2 * 2 * (2 * x.numpy() + 0.5)
    assert xl[3] == "grad " + " ".join(np.array2string(g, precision=4, separator=", ").split())
    assert xl[3] == "grad [ 10., -14., 26.]"
    total = next(a for a in nodes.values() if a["label"].startswith("Sum"))["label"].split("\n")
    assert float(total[2]) == pytest.approx(float(y.item()), rel=1e-3)
    nodes, _, _ = parse(viz.draw(y, names={"x": x}, show_grad=False, show_values=True, max_elements=2))
    assert next(a for a in nodes.values() if a["label"].startswith("x\n"))["label"] == "x\n(3,) float32"


def test_count_of_constants_is_the_graphs():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = ((x * 2.0 + 1.0) ** 2).sum()
    nodes, edges, _ = parse(viz.draw(y))
    ops = ops_of(y)
    assert len(by_class(nodes, "op")) == len(ops) == 4
    assert len(edges) == sum(len(t._ctx.parents) for t in ops)
    consts = {id(p) for t in ops for p in t._ctx.parents if p._ctx is None and not p.requires_grad}
    assert len(by_class(nodes, "const")) == len(consts)


def test_freed_graph_is_marked():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 3.0).sum()
    y.backward()
    nodes, edges, _ = parse(viz.draw(y))
    assert len(nodes) == 1 and not edges
    (a,) = nodes.values()
    assert a["label"].endswith("(graph freed)") and "dashed" in a["style"]


def test_draw_accepts_sequences_dicts_and_checks_arguments():
    x = Tensor([1.0, 2.0], requires_grad=True)
    a, b = x.exp(), x.sin()
    nodes, _, _ = parse(viz.draw([a, b]))
    assert len(nodes) == 3 and len(by_class(nodes, "output")) == 2
    nodes, _, _ = parse(viz.draw({"a": a, "b": b}))
    assert sorted(n["label"].split("\n")[0] for n in by_class(nodes, "output").values()) == ["a", "b"]
    with pytest.raises(TypeError):
        viz.draw([a, 3.0])
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw(a, rankdir="up")
    with pytest.raises(TypeError, match="Module"):
        viz.draw(a, module={"w": x})
    assert 'rankdir="LR"' in viz.draw(a, rankdir="LR")


def test_names_are_escaped():
    x = Tensor([1.0], requires_grad=True)
    dot = viz.draw(x.exp(), names={'the "x"\\': x})
    nodes, _, _ = parse(dot)
    assert 'label="the \\"x\\"\\\\\\n(1,) float32"' in dot
    assert any(a["label"].startswith('the "x"') for a in nodes.values())


# ---- an MLP loss ---------------------------------------------------------------------------------------------
def mlp_loss(model=None, record=False):
    model = model or MLP([4, 8, 3])
    X = Tensor.randn(5, 4)
    Y = Tensor([0, 1, 2, 0, 1], dtype=np.int64)
    if record:
        with viz.record_modules(model):
            return model, X, F.cross_entropy(model(X), Y)
    return model, X, F.cross_entropy(model(X), Y)


def test_mlp_loss_parameters_named_and_marked():
    model, X, loss = mlp_loss()
    nodes, edges, where = parse(viz.draw(loss, module=model, names={"X": X}))
    params = by_class(nodes, "param")
    assert sorted(a["label"].split("\n")[0] for a in params.values()) == sorted(n for n, _ in model.named_parameters())
    assert all(a["penwidth"] == "2" for a in params.values())
    w = next(a for a in params.values() if a["label"].startswith("1.weight"))
    assert w["label"] == "1.weight\n(8, 4) float32"
    ops = ops_of(loss)
    assert len(by_class(nodes, "op")) == len(ops)
    assert len(edges) == sum(len(t._ctx.parents) for t in ops)
    assert len(nodes) == len(ops) + 4 + len({id(p) for t in ops for p in t._ctx.parents if not p.requires_grad})
    assert any(a["label"] == "X\nconst\n(5, 4) float32" for a in by_class(nodes, "const").values())
    # nothing was recorded by module, so no module boxes
    assert not any(where.values())
    # params= names parameters without a module; nn.Parameter leaves are marked even without a name
    nodes, _, _ = parse(viz.draw(loss, params={"W1": model[1].weight}))
    assert any(a["label"].startswith("W1\n") for a in by_class(nodes, "param").values())
    assert sum(a["label"].startswith("parameter\n") for a in by_class(nodes, "param").values()) == 3


def test_mlp_loss_ops_boxed_by_module():
    model, X, loss = mlp_loss(record=True)
    nodes, _, where = parse(viz.draw(loss, module=model))
    ops = {k: a for k, a in by_class(nodes, "op").items()}
    affine = [k for k, a in ops.items() if a["label"].startswith("Affine")]
    assert [where[k] for k in affine] == [["cluster_module_1"], ["cluster_module_3"]]
    assert [where[k] for k, a in ops.items() if a["label"].startswith("Relu")] == [["cluster_module_2"]]
    for k, a in by_class(nodes, "param").items():  # each parameter in its module's box
        assert where[k] == ["cluster_module_" + a["label"].split(".")[0]]
    assert all(where[k] == [] for k, a in ops.items() if a["label"].split("\n")[0] in ("LogSoftmax", "Div"))
    assert 'label="1: Linear"' in viz.draw(loss, module=model)
    assert 'Affine' in next(a for a in ops.values() if "in module 1" in a["tooltip"])["label"]


def test_record_modules_restores_forward_and_nests():
    model = nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.Tanh()), nn.Linear(4, 2))
    X = Tensor.randn(2, 3)
    with pytest.raises(RuntimeError, match="boom"):
        with viz.record_modules(model):
            assert "forward" in vars(model[0][0])
            raise RuntimeError("boom")
    assert all("forward" not in vars(m) for m in model.modules())
    assert autograd._tag[0] is None
    with viz.record_modules(model):
        out = model(X).sum()
    assert all("forward" not in vars(m) for m in model.modules())
    assert (X.sum() * 2.0)._ctx is None  # no graph under no requires_grad; and new ops are untagged again:
    assert (model[1].weight * 2.0)._ctx.tag is None
    nodes, _, where = parse(viz.draw(out, module=model))
    tanh = next(k for k, a in nodes.items() if a["label"].startswith("Tanh"))
    assert where[tanh] == ["cluster_module_0", "cluster_module_0.1"]
    # collapse: one node per submodule, one or two levels down
    nodes, edges, _ = parse(viz.draw(out, module=model, collapse=True))
    boxes = by_class(nodes, "module")
    assert sorted(a["label"].split("\n")[0] for a in boxes.values()) == ["0: Sequential", "1: Linear"]
    n0 = next(a for a in boxes.values() if a["label"].startswith("0:"))
    assert n0["label"] == "0: Sequential\n2 ops, 2 parameters"
    assert not by_class(nodes, "param") and len(by_class(nodes, "op")) == 1  # the Sum outside the model
    nodes, edges, _ = parse(viz.draw(out, module=model, collapse=2))
    assert sorted(a["label"].split("\n")[0] for a in by_class(nodes, "module").values()) == \
        ["0.0: Linear", "0.1: Tanh", "1: Linear"]
    ids = {a["label"].split(":")[0]: k for k, a in by_class(nodes, "module").items()}
    assert (ids["0.0"], ids["0.1"], {"label": "(2, 4)", "fontsize": "8"}) in edges
    # a function is run under record_modules by draw itself
    assert viz.draw(lambda: model(X).sum(), module=model, collapse=True).count("box3d") == 2


def test_collapse_mlp_with_its_backward_and_needs_scopes():
    model, X, loss = mlp_loss()
    with pytest.raises(ValueError, match="record_modules"):
        viz.draw(loss, module=model, collapse=True)
    model, X, loss = mlp_loss(model, record=True)
    gs = tl.grad(loss, model.parameters(), create_graph=True)
    nodes, edges, where = parse(viz.draw([loss, *gs], module=model, collapse=True))
    boxes = by_class(nodes, "module")
    fwd = sorted(a["label"] for a in boxes.values() if "forward" in classes(a))
    assert fwd == ["1: Linear\n1 op, 2 parameters", "2: ReLU\n1 op", "3: Linear\n1 op, 2 parameters"]
    bwd = {a["label"].split("\n")[0]: k for k, a in boxes.items() if "backward" in classes(a)}
    assert sorted(bwd) == ["1: Linear", "2: ReLU", "3: Linear"]
    assert all(where[k] == ["cluster_pass1"] for k in bwd.values())
    assert {"output"} <= classes(nodes[bwd["1: Linear"]]) and {"output"} <= classes(nodes[bwd["3: Linear"]])
    assert not by_class(nodes, "param")
    # the backward boxes run in reverse order, and the weight of layer 3 is read by its backward (dashed)
    fwd_ids = {a["label"].split("\n")[0]: k for k, a in boxes.items() if "forward" in classes(a)}
    assert (bwd["3: Linear"], bwd["2: ReLU"]) in [(s, d) for s, d, _ in edges]
    assert any(s == fwd_ids["3: Linear"] and d == bwd["3: Linear"] and a.get("style") == "dashed"
               and a["label"] == "(3, 8)" for s, d, a in edges)
    # the data stays visible: the input X goes into layer 1, forward and backward (its weight gradient reads X)
    x_node, = [k for k, a in by_class(nodes, "const").items() if a["label"].endswith("(5, 4) float32")]
    assert {d for s, d, _ in edges if s == x_node} == {fwd_ids["1: Linear"], bwd["1: Linear"]}
    # the backward pass's own constants (the incoming gradient of the loss) are drawn in its cluster or box
    consts = {a["label"]: where[k] for k, a in by_class(nodes, "const").items() if k != x_node}
    assert consts.pop("const 5\nscalar float32") == []  # the mean's divisor, read by the forward pass
    assert consts and all(w == ["cluster_pass1"] for w in consts.values())


# ---- forward vs recorded backward ----------------------------------------------------------------------------
def test_create_graph_backward_ops_are_told_apart():
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x * x).tanh().sum()
    g, = tl.grad(y, x, create_graph=True)
    nodes, edges, where = parse(viz.draw({"y": y, "g": g}, names={"x": x}))
    fwd, bwd = by_class(nodes, "op", "forward"), by_class(nodes, "op", "backward", "pass1")
    assert len(fwd) == len(ops_of(y)) == 3
    assert len(fwd) + len(bwd) == len(by_class(nodes, "op")) == len(ops_of(y, g))
    assert all(where[k] == ["cluster_pass1"] for k in bwd) and all(where[k] == [] for k in fwd)
    assert 'label="backward pass 1: recorded with create_graph=True"' in viz.draw(g)
    assert {a["fillcolor"] for a in fwd.values()} == {viz.FILL["op"]}
    assert {a["fillcolor"] for a in bwd.values()} == {viz.PASS_FILL[0]}
    # each backward op says whose backward made it: Tanh's (g·(1 - out²)), Mul's (g·x twice), and the sum of the two
    origins = sorted(a["label"].split("\n")[-1] for a in bwd.values())
    assert origins == ["from Mul.backward"] * 2 + ["from Tanh.backward"] * 3 + ["sums gradients"]
    assert nodes[next(k for k, a in bwd.items() if "output" in classes(a))]["label"].startswith("g\nAdd")
    # dashed: exactly the edges from a forward tensor (op or leaf, not a constant) into a backward op
    kind = {k: ("b" if k in bwd else "c" if "const" in classes(a) else "f") for k, a in nodes.items()}
    for s, d, a in edges:
        assert (a.get("style") == "dashed") == (kind[s] == "f" and kind[d] == "b")
    assert sum(a.get("style") == "dashed" for _, _, a in edges) == 4  # Tanh's out (twice), x into Mul.backward twice
    # the constants a backward pass makes (the incoming ones, the 1 of 1 - out²) are drawn in its cluster
    assert all(where[k] == ["cluster_pass1"] for k, a in by_class(nodes, "const").items())


def test_hvp_graph_has_two_recorded_passes():
    w = Tensor([1.0, 2.0], requires_grad=True)
    tl.grad((w ** 3).sum(), w, create_graph=True)  # an unrelated recorded pass: numbering is per picture
    x = Tensor([0.3, -0.7], requires_grad=True)
    v = Tensor([1.0, 0.5])
    y = (x.sin() * x).sum()
    g, = tl.grad(y, x, create_graph=True)
    hv, = tl.grad(g, x, v, create_graph=True)
    # the HVP itself, checked against the exact Hessian of sum(x sin x): diag(2 cos x - x sin x)
    xn = x.numpy().astype(np.float64)
    np.testing.assert_allclose(hv.numpy(), (2 * np.cos(xn) - xn * np.sin(xn)) * v.numpy(), rtol=1e-5)
    nodes, edges, where = parse(viz.draw({"y": y, "g": g, "Hv": hv}, names={"x": x}))
    p1, p2 = by_class(nodes, "op", "pass1"), by_class(nodes, "op", "pass2")
    assert p1 and p2 and not by_class(nodes, "pass3")
    assert len(by_class(nodes, "op", "forward")) == len(ops_of(y))
    assert len(by_class(nodes, "op")) == len(ops_of(y, g, hv))
    assert len(ops_of(y, g)) - len(ops_of(y)) == len(p1)
    assert all(where[k] == ["cluster_pass2"] for k in p2)
    # dashed: exactly the edges into a later pass from an earlier one (forward or pass 1), constants aside
    stage = {k: 0 if "const" in classes(a) else 2 if k in p2 else 1 if k in p1 else 0 for k, a in nodes.items()}
    for s, d, a in edges:
        assert (a.get("style") == "dashed") == ("const" not in classes(nodes[s]) and stage[s] < stage[d])
    assert any(a.get("style") == "dashed" for s, d, a in edges if s in p1 and d in p2)
    assert {a["fillcolor"] for a in p2.values()} == {viz.PASS_FILL[1]}
    dot = viz.draw(hv)
    assert "backward pass 1:" in dot and "backward pass 2:" in dot
    # the second pass runs through the first pass's ops: some of its ops say so
    assert any("from Mul.backward" in a["label"] for a in p2.values())
    # the same picture from tl.hvp with a function and create_graph=True
    hv2, = tl.hvp(lambda x: (x.sin() * x).sum(), x, v, create_graph=True)
    np.testing.assert_allclose(hv2.numpy(), hv.numpy(), rtol=1e-6)
    nodes, _, _ = parse(viz.draw(hv2))
    assert by_class(nodes, "pass1") and by_class(nodes, "pass2")


def test_jvp_recorded_pass():
    x = Tensor([0.3, -0.7], requires_grad=True)
    y = x.exp() * x
    jv, = tl.jvp(y, x, Tensor([1.0, 1.0]), create_graph=True)
    np.testing.assert_allclose(jv.numpy(), np.exp(x.numpy()) * (x.numpy() + 1), rtol=1e-6)
    nodes, _, where = parse(viz.draw(jv))
    jvps = by_class(nodes, "op", "jvp", "pass1")
    assert jvps and all(where[k] == ["cluster_pass1"] for k in jvps)
    assert {a["label"].split("\n")[2] for a in jvps.values()} <= {"from Exp.jvp", "from Mul.jvp"}
    assert "forward-mode (jvp) pass 1" in viz.draw(jv)


def test_engine_tags_only_recorded_backward_ops():
    x = Tensor([0.5, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    assert all(t._ctx.tag is None for t in ops_of(y))
    y.backward(retain_graph=True)           # a plain backward records nothing, tags nothing
    g, = tl.grad(y, x, create_graph=True)
    assert autograd._tag[0] is None         # restored after the walk
    assert all(t._ctx.tag is None for t in ops_of(y))
    new = [t for t in ops_of(g) if id(t) not in {id(u) for u in ops_of(y)}]
    assert new and all(t._ctx.tag[0][0] == "backward" for t in new)
    assert len({t._ctx.tag[0] for t in new}) == 1

    class Boom(autograd.Function):
        def forward(self, a):
            return a * 1.0

        def backward(self, g, out, needs):
            raise RuntimeError("boom")

    z = Boom.apply(x).sum()
    with pytest.raises(RuntimeError, match="boom"):
        tl.grad(z, x, create_graph=True)
    assert autograd._tag[0] is None and (x * 2.0)._ctx.tag is None


# ---- rendering -----------------------------------------------------------------------------------------------
@needs_dot
def test_render_svg_and_png(tmp_path):
    x = Tensor([0.3, -0.7], requires_grad=True)
    y = (x.sin() * x).sum()
    g, = tl.grad(y, x, create_graph=True)
    dot = viz.draw({"y": y, "g": g}, names={"x": x})
    n = len(parse(dot)[0])
    svg = viz.render(dot, tmp_path / "g.svg").read_text()
    assert svg.count('class="node') == n and svg.count('class="cluster') == 1
    assert "backward pass 1" in svg
    png = viz.draw(y, path=tmp_path / "y.png")
    assert png == viz.draw(y) and (tmp_path / "y.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    viz.render(dot, tmp_path / "g.out", format="pdf")
    assert (tmp_path / "g.out").read_bytes()[:4] == b"%PDF"
    assert viz.to_svg(dot).count('class="node') == n
    model, X, loss = mlp_loss(record=True)
    gs = tl.grad(loss, model.parameters(), create_graph=True)
    assert "<svg" in viz.to_svg(viz.draw([loss, *gs], module=model, collapse=True))


def test_render_without_dot_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not viz.have_dot()
    y = Tensor([1.0], requires_grad=True).exp()
    with pytest.raises(viz.GraphvizNotFoundError, match="apt-get install graphviz") as e:
        viz.render(viz.draw(y), tmp_path / "y.svg")
    assert "conda install graphviz" in str(e.value)
    with pytest.raises(viz.GraphvizNotFoundError):
        viz.draw(y, path=tmp_path / "y.png")
    with pytest.raises(viz.GraphvizNotFoundError):
        viz.to_svg(viz.draw(y))
    viz.render(viz.draw(y), tmp_path / "y.dot")  # the text itself needs no Graphviz
    assert (tmp_path / "y.dot").read_text() == viz.draw(y)
    with pytest.raises(ValueError, match="unknown format"):
        viz.render(viz.draw(y), tmp_path / "y.bmpx")


def test_show_prints_dot_text_without_graphviz(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    dot = viz.draw(Tensor([1.0], requires_grad=True).exp())
    viz.show(dot)
    out = capsys.readouterr().out
    assert "not installed" in out and dot in out


def test_graph_figures_script(tmp_path):
    """examples/notebooks/graph_figures.py, which draws the README's pictures, still runs."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "examples" / "notebooks" / "graph_figures.py"
    spec = importlib.util.spec_from_file_location("graph_figures", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main([str(tmp_path)])
    ext = ".svg" if viz.have_dot() else ".dot"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(n + ext for n in mod.FIGURES)
    assert "backward pass 1" in (tmp_path / ("graph_double_backprop" + ext)).read_text()


def test_docstring_examples():
    res = doctest.testmod(viz, extraglobs={"tl": tl, "viz": viz}, optionflags=doctest.ELLIPSIS)
    assert res.attempted >= 4 and res.failed == 0
