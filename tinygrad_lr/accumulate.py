"""How the reverse walk sums gradients: dL/dt = Σ over t's children of their contributions.

The plain rule is `grads[t] = old + new`, a new Tensor per addition, and with create_graph=True that is exactly
what happens (the additions are part of the recorded graph). A plain backward (create_graph=False) records
nothing, so it may take three shortcuts, all here and all invisible to the walk:

- in-place accumulation: once the walk holds an accumulator it allocated itself, `old += new` writes into it
  instead of allocating a new array (a tensor used by k ops gets one allocation instead of k - 1);
- sparse slice gradients: d(x[index])/dx is g at `index` and zero elsewhere; `SparseGrad` keeps it unmaterialised
  and the walk adds it into the accumulator in place, so the T per-step slices of an LSTM's gate projections cost
  T small writes instead of T full-size arrays and T full-size additions;
- buffer ownership for .grad: a leaf's new .grad may be handed over without a copy when nothing else holds its
  memory (torch's semantics: the user may update .grad in place, so it must never alias another leaf's .grad, a
  read-only broadcast view, or the gradient passed to backward()).

What they buy, measured by switching them off (FAST = False) on the row-MNIST LSTM gradient (hidden 128, 28 steps,
batch 128, 7 interleaved rounds on a 2-core CPU): 85 ms with them, 137 ms without (1.5-1.8x).
tests/test_accumulate.py checks that they change no value.
"""
from .backend import scatter_add, xp
from .tensor import Tensor

FAST = True  # False: the plain rule everywhere (for tests that the shortcuts change nothing, and for measuring them)


class GradSum:
    """The walk's table of partial sums dL/dt. `add(t, g)` adds a contribution, `pop(t)` takes the finished
    sum (a Tensor, or None if nothing reached t), `into_leaf(t, g)` does t.grad += g."""

    def __init__(self, roots, root_grads, create_graph, accumulate):
        self.sums, self.owned, self.create_graph = {}, set(), create_graph
        self.taken = {_buffer(g.data) for g in root_grads} if accumulate else None  # buffers .grad must not share
        for r, g in zip(roots, root_grads):
            self.sums[id(r)] = g if id(r) not in self.sums else self.sums[id(r)] + g

    def pop(self, t):
        g = self.sums.pop(id(t), None)
        if g is None:
            return None
        self.owned.discard(id(g))
        return g.dense() if isinstance(g, LazyGrad) else g

    def add(self, t, g):
        old = self.sums.get(id(t))
        if old is None:
            self.sums[id(t)] = g
        elif self.create_graph or not FAST:
            self.sums[id(t)] = old + g  # the plain rule (recorded when create_graph: part of the graph being built)
        else:
            self.sums[id(t)] = self._add_into(old, g)

    def _add_into(self, old, g):
        """old + g, in place once the accumulator is ours (we allocated it)."""
        if id(old) not in self.owned:
            if isinstance(old, LazyGrad):
                old = old.dense()
            elif isinstance(g, LazyGrad):
                old = Tensor.wrap(old.data.copy(order="K"), old.device)  # in its layout
            else:
                old = old + g
                self.owned.add(id(old))
                return old
            self.owned.add(id(old))
        if isinstance(g, LazyGrad):
            g.add_to(old.data)
        else:
            old.data += g.data
        return old

    def into_leaf(self, t, g):
        if t.grad is None and not g.requires_grad:
            g = self._owned(g) if FAST else Tensor.wrap(g.data.copy(), g.device)
        t.grad = g if t.grad is None else t.grad + g

    def _owned(self, g):
        """g itself if the user may update it in place (writeable, contiguous, sharing no buffer with another
        .grad or with the gradient passed to backward()), else a copy."""
        f, buf = g.data.flags, _buffer(g.data)
        if getattr(f, "writeable", True) and (f.c_contiguous or f.f_contiguous) and buf not in self.taken:
            self.taken.add(buf)
            return g
        g = Tensor.wrap(g.data.copy(), g.device)
        self.taken.add(id(g.data))
        return g


def _buffer(a):
    while a.base is not None:
        a = a.base
    return id(a)


class LazyGrad:
    """A gradient an op may return unmaterialised in a plain backward: GradSum adds it into an accumulator it owns
    with add_to(array), or asks for dense() when it is needed whole."""
    __slots__ = ()


class SparseGrad(LazyGrad):
    """d(x[index])/dx applied to g: g at `index`, zero elsewhere (see the module docstring). `order`: the memory
    order of x (None: C order), which the dense gradient takes."""
    __slots__ = ("g", "index", "shape", "dtype", "device", "advanced", "order")

    def __init__(self, g, index, shape, advanced, order=None):
        self.g, self.index, self.shape, self.dtype, self.device = g, index, shape, g.dtype, g.device
        self.advanced = advanced  # integer-array indexing may repeat an element: scatter-add
        self.order = order

    def add_to(self, arr):
        if self.advanced:
            scatter_add(arr, self.index, self.g.data)
        else:
            arr[self.index] += self.g.data

    def dense(self):
        arr = empty_in_order(xp(self.device), self.shape, self.dtype, self.order, fill=0)
        self.add_to(arr)
        return Tensor.wrap(arr, self.device)


def empty_in_order(m, shape, dtype, order=None, fill=None):
    """An array of `shape` whose dims lie in memory in `order` (outermost first; None: C order), optionally
    filled: the layout-keeping counterpart of empty/zeros (a gradient or a padded copy of a permuted view)."""
    if order is None:
        return m.empty(shape, dtype=dtype) if fill is None else m.full(shape, fill, dtype=dtype)
    arr = m.empty(tuple(shape[i] for i in order), dtype=dtype) if fill is None else \
        m.full(tuple(shape[i] for i in order), fill, dtype=dtype)
    return arr.transpose(sorted(range(len(shape)), key=order.__getitem__))

