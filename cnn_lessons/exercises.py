"""Exercises: build a component yourself and get an immediate verdict.

Each chapter has a checker. You write a function (a block from tensor to tensor, or a builder of
a whole model); the checker builds it beside the package's reference and compares the two in
three steps, stopping at the first difference:

1. output shapes, for inputs the checker chooses;
2. parameters, layer by layer (`arithmetic.layer_table` on both). Your layers are matched to the
   reference's by their order and kind, never by their names, which are yours to choose;
3. the function: the reference's weights (with random biases and batch-norm statistics, so that
   no layer is an identity) are copied into your layers, both run on the same random inputs, and
   the input of every weighted layer, and the output, must agree to 1e-5. Your own weights are
   put back afterwards.

A failure names the likely mistake from what the comparison saw: a layer missing or extra, a
width, kernel size, stride or padding that differs, a step (ReLU, pooling, normalization)
missing, extra or out of place, and the mistakes of widely copied code (a pool branch that
projects before pooling, no ReLU after a residual addition, a ReLU on the projection shortcut).

    from cnn_lessons import exercises
    exercises.check_basic_block(my_basic_block)    # ✓ ... or ✗ ..., falsy on failure
    print(exercises.solution("basic_block"))       # the reference's source
"""

import ast
import difflib
import inspect
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial

import numpy as np

from . import alexnet, googlenet, lenet, resnet, vgg
from ._keras import keras
from .arithmetic import _graph, layer_table, totals
from .layers import LocalResponseNormalization, SparseConv2D, lecun_tanh
from .validation import check_choice, check_input_shape, is_integer, positive_int

L = keras.layers
TOLERANCE = 1e-5  # largest difference allowed, relative to the reference's largest value
COMMUTATIVE = (L.Add, L.Multiply, L.Average, L.Maximum, L.Minimum)


# --- The verdict -------------------------------------------------------------------------------
class ExerciseFailed(AssertionError):
    """Raised by a checker called with `raise_on_failure=True`; its message is the verdict's."""


@dataclass(frozen=True, repr=False)
class Verdict:
    """A checker's answer: prints as "✓ ..." or "✗ ...", and is falsy on failure."""

    passed: bool
    message: str

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return f"{'✓' if self.passed else '✗'} {self.message}"

    __str__ = __repr__


class _Mistake(Exception):
    """A learner's answer that cannot be compared (it raised, returned no tensor, ...): the
    message becomes a failing verdict instead of a traceback."""


# --- A model as the comparison sees it ---------------------------------------------------------
def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _history(tensor):
    operation, node_index, _ = tensor._keras_history
    return operation._inbound_nodes[node_index]


def _has_weights(operation):
    return bool(getattr(operation, "weights", None))


def _activation(function):
    """An activation in words; [] for the identity."""
    name = getattr(function, "__name__", type(function).__name__)
    return [] if name == "linear" else ["ReLU" if name == "relu" else name]


def _steps(op):
    """What a layer does besides its weights, in words: a list, empty for the identity."""
    if isinstance(op, (L.InputLayer, L.Identity)):
        return []
    if _has_weights(op) or isinstance(op, L.Activation):
        return _activation(op.activation) if hasattr(op, "activation") else []
    if isinstance(op, L.ReLU):
        plain = op.max_value is None and not op.negative_slope and not op.threshold
        return ["ReLU" if plain else f"ReLU(max_value={op.max_value}, ...)"]
    if isinstance(op, (L.MaxPooling2D, L.AveragePooling2D)):
        kind = "max" if isinstance(op, L.MaxPooling2D) else "average"
        size, stride = _pair(op.pool_size)[0], _pair(op.strides or op.pool_size)[0]
        return [f"{kind} pool {size}x{size}/{stride}" + (" 'same'" if op.padding == "same" else "")]
    if isinstance(op, (L.GlobalAveragePooling2D, L.GlobalMaxPooling2D)):
        return [f"global {'average' if 'Average' in type(op).__name__ else 'max'} pool"]
    if isinstance(op, (L.Dropout, L.SpatialDropout2D)):
        return [f"dropout {op.rate:g}"]
    if isinstance(op, LocalResponseNormalization):
        return [f"LRN (size {op.size}, k {op.k:g}, alpha {op.alpha:g}, beta {op.beta:g})"]
    if isinstance(op, L.Rescaling):
        return [f"rescaling (x{op.scale:g}, {op.offset:+g})"]
    if isinstance(op, L.ZeroPadding2D):
        return [f"zero padding {op.padding}"]
    return [type(op).__name__.lower()]  # add, concatenate, flatten, ...


def _padding(layer, node):
    """How a convolution pads its input: (what it does, which is compared; how, shown). A
    ZeroPadding2D just before it counts as its own padding."""
    (kh, kw), (sh, sw) = _pair(layer.kernel_size), _pair(layer.strides)
    producer = _history(node.input_tensors[0]).operation
    none = ((0, 0), (0, 0))
    explicit = producer.padding if isinstance(producer, L.ZeroPadding2D) else none
    how = f"padding={layer.padding!r}"
    if layer.padding == "same" and (kh, kw) != (1, 1):  # a 1x1 pads nothing either way
        if explicit != none or (sh, sw) != (1, 1) or not (kh % 2 and kw % 2):
            return f"'same' at stride {sh}", "Keras pads only the bottom and right"
        explicit = ((kh // 2,) * 2, (kw // 2,) * 2)
    sides = {side for pair in explicit for side in pair}
    every = min(sides) if len(sides) == 1 else None
    if explicit == none:
        return "nothing", how
    if layer.padding == "valid":
        how = f"ZeroPadding2D({every if every is not None else explicit}), then {how}"
    return (f"{every} px on every side" if every is not None else f"{explicit} px"), how


@dataclass
class _Weighted:
    """One call of a layer with weights, with the parameter-free steps before it. The end of a
    model is one too, with no layer: its steps are those after the last weighted layer."""

    layer: object
    steps: list
    probe: object  # the layer's input (before its own zero padding), or the model's output
    node: object = None
    params: int = 0
    formula: str = ""
    padding: tuple = None

    @property
    def name(self):
        return self.layer.name if self.layer else "the output"

    @property
    def kind(self):
        return type(self.layer).__name__ if self.layer else "end"

    def shapes(self):
        """(input shape, output shape) of the call."""
        if not self.node:
            return None, tuple(self.probe.shape)
        return tuple(self.node.input_tensors[0].shape), tuple(self.node.outputs[0].shape)

    def signature(self):
        shapes = tuple(tuple(w.shape) for w in self.layer.weights) if self.layer else ()
        links = getattr(self.layer, "connections", None)
        return self.kind, shapes, links and tuple(tuple(sorted(m)) for m in links)

    def config(self):
        """The settings that make two layers of one kind differ, in the order they are told."""
        layer = self.layer
        if isinstance(layer, L.Conv2D):
            return [
                ("filters", layer.filters),
                ("kernel_size", _pair(layer.kernel_size)),
                ("strides", _pair(layer.strides)),
                ("padding", self.padding[0]),
                ("dilation_rate", _pair(layer.dilation_rate)),
                ("groups", layer.groups),
                ("use_bias", layer.use_bias),
            ]
        if isinstance(layer, L.Dense):
            return [("units", layer.units), ("use_bias", layer.use_bias)]
        if isinstance(layer, SparseConv2D):
            return [("connections", self.signature()[2]), ("kernel_size", layer.kernel_size)]
        if isinstance(layer, L.BatchNormalization):
            return [("center", layer.center), ("scale", layer.scale)]
        return []

    def describe(self):
        layer = self.layer
        if isinstance(layer, L.Conv2D):
            (kh, kw), (stride, _) = _pair(layer.kernel_size), _pair(layer.strides)
            what = f"Conv2D {kh}x{kw}, {layer.filters} filters"
            what += f", stride {stride}" if stride != 1 else ""
        elif isinstance(layer, L.Dense):
            what = f"Dense, {layer.units} units"
        elif isinstance(layer, SparseConv2D):
            what = f"SparseConv2D {layer.kernel_size}x{layer.kernel_size}, {layer.filters} maps"
        else:
            what = self.kind
        return f"{what}: {self.formula}"


def _canonical_order(graph):
    """The model's layer calls depth first from the output, each after its inputs: a
    concatenation's inputs in their order (which matters), an addition's (which does not) with
    the input computed by fewer weighted layers (the shortcut) first."""
    order, seen, above = [], set(), {}

    def weighted_above(node):  # the weighted layer calls that `node` depends on, itself included
        if id(node) not in above:
            parents = [weighted_above(_history(t)) for t in node.input_tensors]
            own = {id(node)} if _has_weights(node.operation) else set()
            above[id(node)] = own.union(*parents)
        return above[id(node)]

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            parents = [_history(t) for t in node.input_tensors]
            if isinstance(node.operation, COMMUTATIVE):
                parents.sort(key=lambda parent: len(weighted_above(parent)))
            for parent in parents:
                visit(parent)
            order.append(node)

    visit(_history(graph.outputs[0]))
    return order


def _structure(model, whose):
    """(graph, layer_table, the weighted layer calls in canonical order and then the end)."""
    try:
        table = layer_table(model)
    except (TypeError, ValueError) as error:
        raise _Mistake(f"layer_table cannot count {whose} model: {error}") from None
    graph = _graph(model)
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise _Mistake(
            f"{whose.capitalize()} model has {len(graph.inputs)} inputs and "
            f"{len(graph.outputs)} outputs; the exercise needs one of each."
        )
    order = _canonical_order(graph)
    shared = [n.operation for n in order if _has_weights(n.operation)]
    shared = next((layer for layer in shared if shared.count(layer) > 1), None)
    if shared is not None:
        raise _Mistake(
            f"{whose.capitalize()} model calls its layer '{shared.name}' more than once, so the "
            "calls share one set of weights: give each step its own layer."
        )
    rows = table.set_index("name")
    weighted, steps = [], []
    for node in order:
        layer = node.operation
        if not _has_weights(layer):
            steps += _steps(layer)
            continue
        padding, probe = None, node.input_tensors[0]
        if isinstance(layer, L.Conv2D):
            padding = _padding(layer, node)
            producer = _history(probe)
            if isinstance(producer.operation, L.ZeroPadding2D):  # the convolution's own padding
                probe = producer.input_tensors[0]
                steps = steps[:-1] if steps[-1:] == _steps(producer.operation) else steps
        row = rows.loc[layer.name]
        weighted.append(
            _Weighted(layer, steps, probe, node, int(row["params"]), row["formula"], padding)
        )
        steps = _steps(layer)  # its activation, if it has one, is the next layer's first step
    return graph, table, weighted + [_Weighted(None, steps, graph.outputs[0])]


# --- What differs ------------------------------------------------------------------------------
@dataclass
class _Finding:
    """One difference between the reference and the answer: the evidence of a verdict.
    `kind`: "missing", "extra", "order", "kind", "config", "steps", "params" or "values"."""

    kind: str
    ref: object = None  # the reference's _Weighted (for "steps", the call the steps precede)
    yours: object = None
    attribute: str = ""  # for "config"
    ref_value: object = None  # for "config" and "steps"
    your_value: object = None
    after: str = ""  # the name of the reference's call before (for "missing" and "steps")


def _align(reference, yours):
    """Pairs (reference call or None, your call or None) in order: by position where the kinds
    of layers agree (a width may differ), else matched by kind and weight shapes, a layer
    missing from yours paired with None."""
    if [w.kind for w in reference] == [w.kind for w in yours]:
        return list(zip(reference, yours))
    ref_signatures = [w.signature() for w in reference]
    your_signatures = [w.signature() for w in yours]
    matcher = difflib.SequenceMatcher(None, ref_signatures, your_signatures, autojunk=False)
    pairs = []
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        n = max(i2 - i1, j2 - j1)
        pairs += zip((reference[i1:i2] + [None] * n)[:n], (yours[j1:j2] + [None] * n)[:n])
    return pairs


def _walk(pairs):
    """(reference call, your call, name of the reference call before) for each pair."""
    after = ""
    for ref, yours in pairs:
        yield ref, yours, after
        after = ref.name if ref else after


def _steps_finding(ref, yours, after, training=False):
    """The steps before two paired calls, if they differ; dropout only if `training`."""

    def keep(steps):
        return [s for s in steps if training or not s.startswith("dropout")]

    ref_steps, your_steps = keep(ref.steps), keep(yours.steps)
    if ref_steps != your_steps:
        return _Finding(
            "steps", ref, yours, ref_value=ref_steps, your_value=your_steps, after=after
        )


def _config_finding(ref, yours):
    if ref.kind != yours.kind:
        return _Finding("kind", ref, yours)
    for (attribute, ref_value), (_, your_value) in zip(ref.config(), yours.config()):
        if ref_value != your_value:
            return _Finding("config", ref, yours, attribute, ref_value, your_value)


def _first(findings):
    return next(filter(None, findings), None)


def _shape_or_count_finding(pairs, differs):
    """Why the first pair for which `differs(ref, yours)` holds differs: a layer missing or
    extra, a setting, or (where its input differs too) the first steps that differ before it."""
    walked = list(_walk(pairs))
    for index, (ref, mine, after) in enumerate(walked):
        if ref is None or mine is None:
            return _Finding("missing" if mine is None else "extra", ref, mine, after=after)
        if differs(ref, mine):
            input_differs = ref.layer is None or ref.shapes()[0] != mine.shapes()[0]
            earlier = input_differs and _first(_steps_finding(*w) for w in walked[: index + 1])
            return _config_finding(ref, mine) or earlier or _Finding("params", ref, mine)


def _count_finding(pairs):
    ref_signatures = [r.signature() for r, _ in pairs if r]
    your_signatures = [y.signature() for _, y in pairs if y]
    if ref_signatures != your_signatures and Counter(ref_signatures) == Counter(your_signatures):
        calls = zip([r for r, _ in pairs if r], [y for _, y in pairs if y])
        return _first(r.signature() != y.signature() and _Finding("order", r, y) for r, y in calls)
    return _shape_or_count_finding(pairs, lambda ref, mine: ref.signature() != mine.signature())


def _function_finding(pairs, first):
    """Why the values first differ at the input of pair `first`: the first steps that differ
    up to it, or the first setting that differs before it."""
    walked = list(_walk(pairs[: first + 1]))
    steps = (_steps_finding(*w) for w in walked)
    settings = (_config_finding(ref, mine) for ref, mine, _ in walked[:-1])
    return _first(steps) or _first(settings) or _Finding("values", pairs[first][0])


# --- Findings in words -------------------------------------------------------------------------
def _words(steps):
    return ", ".join(steps) if steps else "nothing"


def _explain(finding):
    """(the likely mistake, the evidence) in words."""
    f, ref, mine = finding, finding.ref, finding.yours
    yours = f"your '{mine.name}'" if mine else ""
    if f.kind == "missing":
        where = f" after {f.after}" if f.after else " first"
        if ref.kind == "BatchNormalization":
            return "missing batch normalization", (
                f"The reference normalizes{where} ({ref.name}); yours has no BatchNormalization "
                "there."
            )
        return f"the layer {ref.name} is missing", (
            f"The reference has {ref.name} ({ref.describe()}){where}; yours has no such layer."
        )
    if f.kind == "extra":
        return "an extra layer", f"Your '{mine.name}' ({mine.describe()}) is not in the reference."
    if f.kind == "order":
        return "the same layers in another order", (
            f"Where the reference has {ref.name} ({ref.describe()}), yours has '{mine.name}' "
            f"({mine.describe()})."
        )
    if f.kind == "config":
        return _explain_config(f, yours)
    if f.kind == "steps":
        missing = list((Counter(f.ref_value) - Counter(f.your_value)).elements())
        extra = list((Counter(f.your_value) - Counter(f.ref_value)).elements())
        if missing and extra:
            label = f"{_words(extra)} instead of {_words(missing)}"
        elif missing or extra:
            label = f"{'missing' if missing else 'extra'} {_words(missing or extra)}"
        else:
            label = "steps in another order"
        where = f"After {f.after}" if f.after else "On the input"
        return label, (
            f"{where}, the reference applies {_words(f.ref_value)}; yours applies "
            f"{_words(f.your_value)}."
        )
    if f.kind in ("kind", "params"):
        label = f"a {mine.kind} where the reference has a {ref.kind}"
        return label if f.kind == "kind" else "a layer of another size", (
            f"{yours.capitalize()} is a {mine.describe()}; the reference's {ref.name} is a "
            f"{ref.describe()}."
        )
    where = ref.name if ref.layer is None else f"the input of {ref.name}"
    return "another computation", (
        f"Every layer and step matches the reference's, yet the values differ at {where}."
    )


def _explain_config(f, yours):
    ref, mine, a, rv, yv = f.ref, f.yours, f.attribute, f.ref_value, f.your_value
    theirs = f"the reference's {ref.name}"
    if a in ("filters", "units"):
        return "wrong width", f"{yours.capitalize()} has {yv} {a}, {theirs} {rv}."
    if a == "kernel_size":
        size = "x".join(map(str, _pair(yv))), "x".join(map(str, _pair(rv)))
        return "wrong kernel size", f"{yours.capitalize()} is {size[0]}, {theirs} {size[1]}."
    if a == "strides":
        return "wrong stride", f"{yours.capitalize()} has stride {yv[0]}, {theirs} {rv[0]}."
    if a == "padding":
        return "wrong padding", (
            f"{yours.capitalize()} pads {yv} ({mine.padding[1]}); {theirs} pads {rv} "
            f"({ref.padding[1]})."
        )
    if a == "use_bias":
        why = " (batch normalization after it does a bias's job)" if not rv else ""
        return (
            f"{'a bias' if yv else 'no bias'} where the reference has {'one' if rv else 'none'}",
            (f"{yours.capitalize()} has use_bias={yv}, {theirs} use_bias={rv}{why}."),
        )
    if a == "connections":
        first = next(m for m, (r, y) in enumerate(zip(rv, yv)) if r != y)
        return "another connection table", (
            f"Map {first} of {yours} reads input maps {_maps(yv[first])}; map {first} of "
            f"{theirs} reads {_maps(rv[first])}."
        )
    return f"another {a}", f"{yours.capitalize()} has {a}={yv!r}, {theirs} {a}={rv!r}."


def _maps(indices):
    return ", ".join(str(i) for i in indices)


# --- The comparison ----------------------------------------------------------------------------
def _randomize(layers, rng):
    """Random biases, batch-norm shifts, scales and statistics, so that no layer is an identity
    (a fresh BN computes x, and a zero bias cannot tell a ReLU from none)."""
    for variable in (variable for layer in layers for variable in layer.weights):
        shape, name = tuple(variable.shape), variable.name
        if name in ("gamma", "moving_variance"):
            variable.assign(rng.uniform(0.5, 1.5, shape).astype("float32"))
        elif name in ("bias", "beta", "moving_mean"):
            variable.assign(rng.normal(0.0, 0.5, shape).astype("float32"))


def _copy(ref, yours):
    """Copy a layer's weights; a SparseConv2D's kernels follow each link (out map, in map), so
    that a map's inputs may be listed in another order."""
    weights = ref.get_weights()
    if isinstance(ref, SparseConv2D):
        links = {link: k for k, link in enumerate(_links(ref))}
        weights[0] = weights[0][..., [links[link] for link in _links(yours)]]
    yours.set_weights(weights)


def _links(layer):
    return [(out_map, in_map) for out_map, ins in enumerate(layer.connections) for in_map in ins]


def _values(graph, calls, batch):
    """What each call sees (its probe: the input of a layer, the model's output) for `batch`."""
    probe = keras.Model(graph.inputs[0], [call.probe for call in calls])
    return [keras.ops.convert_to_numpy(v) for v in probe(batch, training=False)]


def _difference(ref, yours):
    """The largest difference, relative to the reference's largest value (inf: other shapes)."""
    if ref.shape != yours.shape:
        return float("inf")
    return float(np.max(np.abs(ref - yours))) / max(1.0, float(np.max(np.abs(ref))))


def _first_difference(ref_graph, your_graph, pairs, notes):
    """Copy the reference's weights into yours, run both on one random batch: (the index of
    the first pair whose input differs, by how much), or (None, 0.0). Your weights are kept."""
    layers = [(ref.layer, mine.layer) for ref, mine in pairs if ref.layer]
    saved = [(mine, mine.get_weights(), getattr(mine, "epsilon", None)) for _, mine in layers]
    rng = np.random.default_rng(0)
    try:
        _randomize([ref for ref, _ in layers], rng)
        for ref, mine in layers:
            _copy(ref, mine)
            # Batch norm's epsilon is a setting of the implementation, not of the architecture
            # the exercise is about: compare with the reference's, and say so.
            if getattr(ref, "epsilon", None) != getattr(mine, "epsilon", None):
                notes.add(
                    f"your BatchNormalization epsilon is {mine.epsilon:g}, the reference's "
                    f"{ref.epsilon:g}: compared with the reference's"
                )
                mine.epsilon = ref.epsilon
        batch = rng.normal(size=(2, *ref_graph.inputs[0].shape[1:])).astype("float32")
        ref_values = _values(ref_graph, [ref for ref, _ in pairs], batch)
        your_values = _values(your_graph, [mine for _, mine in pairs], batch)
        differences = [_difference(*values) for values in zip(ref_values, your_values)]
        return next(((i, d) for i, d in enumerate(differences) if d > TOLERANCE), (None, 0.0))
    finally:
        for mine, weights, epsilon in saved:
            mine.set_weights(weights)
            if epsilon is not None:
                mine.epsilon = epsilon


def _compare(reference_model, your_model, notes):
    """None if your model matches the reference's, else the failure: (headline, finding)."""
    ref_graph, ref_table, ref_calls = _structure(reference_model, "the reference's")
    your_graph, your_table, your_calls = _structure(your_model, "your")
    ref_input, your_input = tuple(ref_graph.inputs[0].shape), tuple(your_graph.inputs[0].shape)
    if ref_input != your_input:
        raise _Mistake(
            f"Input shape: your model takes {your_input}, the checker asked for {ref_input}: "
            "build its keras.Input from the `input_shape` argument."
        )
    pairs = _align(ref_calls, your_calls)

    ref_output, your_output = ref_calls[-1].shapes()[1], your_calls[-1].shapes()[1]
    if ref_output != your_output:
        finding = _shape_or_count_finding(pairs, lambda r, y: r.shapes()[1] != y.shapes()[1])
        return f"Output shape: yours is {your_output}, the reference's {ref_output}", finding

    finding = _count_finding(pairs)
    if finding:
        ref_total, your_total = totals(ref_table)["params"], totals(your_table)["params"]
        if ref_total != your_total:
            return f"Parameters: yours has {your_total:,}, the reference {ref_total:,}", finding
        return f"Parameters: the same {ref_total:,} in all, but not layer by layer", finding

    first, difference = _first_difference(ref_graph, your_graph, pairs, notes)
    if first is not None:
        call = pairs[first][0]
        where = call.name if call.layer is None else f"the input of {call.name}"
        how = "of another shape" if difference == float("inf") else f"off by {difference:.2g}"
        headline = (
            "Function: with the reference's weights copied in, yours computes other values "
            f"(first at {where}: {how})"
        )
        return headline, _function_finding(pairs, first)

    # Dropout acts only in training, so the function cannot show it: compare it as written.
    finding = _first(_steps_finding(*walked, training=True) for walked in _walk(pairs))
    if finding:
        headline = (
            "Training-time layers: yours computes the reference's function, but its dropout "
            "differs (dropout acts only during training, so the function cannot show it)"
        )
        return headline, finding
    return None


def _failure(headline, finding, hint, label, solution):
    mistake, evidence = _explain(finding)
    mistake = (hint(finding) if hint else None) or mistake
    case = f" [{label}]" if label else ""
    return (
        f"{headline}{case}.\n  Likely mistake: {mistake[0].upper()}{mistake[1:]}.\n  {evidence}\n"
        f"  exercises.solution({solution!r}) shows the reference."
    )


@contextmanager
def _float32():
    """Build and run in float32 with full-precision products: under a mixed-precision policy
    (the course sets one on GPUs) or TensorFloat-32, two correct ways of writing one layer would
    differ by more than the tolerance. Keras's settings are restored afterwards."""
    from .precision import policy

    with ExitStack() as stack:
        stack.enter_context(policy("float32"))
        if keras.backend.backend() == "tensorflow":
            from tensorflow.config import experimental as tf_config

            enabled = tf_config.tensor_float_32_execution_enabled()
            stack.callback(tf_config.enable_tensor_float_32_execution, enabled)
            tf_config.enable_tensor_float_32_execution(False)
        elif keras.backend.backend() == "jax":
            import jax

            stack.enter_context(jax.default_matmul_precision("highest"))
        yield


def _check(cases, hint, solution, success, raise_on_failure):
    """Run each case: (label, reference model builder, your model builder). The first case
    that fails with a diagnosis gives the verdict; a case your code could not build, only if no
    other case can say more."""
    errors, notes = [], set()
    for label, build_reference, build_yours in cases:
        try:
            with _float32():
                failure = _compare(build_reference(), build_yours(), notes)
        except _Mistake as mistake:
            errors.append(f"{mistake} [{label}]" if label else str(mistake))
            continue
        if failure:
            return _verdict(False, _failure(*failure, hint, label, solution), raise_on_failure)
    if errors:
        return _verdict(False, errors[0], raise_on_failure)
    note = "".join(f"\n  Note: {note}." for note in sorted(notes))
    return _verdict(True, success + note, raise_on_failure)


def _verdict(passed, message, raise_on_failure):
    if raise_on_failure and not passed:
        raise ExerciseFailed(message)
    return Verdict(passed, message)


def _check_callable(argument, value, expected):
    if not callable(value):
        raise ValueError(
            f"`{argument}` must be your function, {expected}. Received: {argument}={value!r}"
        )


def _call(what, where, function, *args, **kwargs):
    """Call the learner's code: an exception there becomes a failing verdict that says where,
    not a traceback from deep inside Keras."""
    try:
        return function(*args, **kwargs)
    except Exception as error:
        text = str(error).strip()
        merge = any(words in text for words in ("incompatible shapes", "matching shapes"))
        hint = (
            " The branches must have the same shape where they meet: check each one's padding, "
            "stride and width (where a block changes the shape, its shortcut needs a projection)."
            if merge
            else ""
        )
        raise _Mistake(
            f"Your {what} raised {type(error).__name__} {where}: "
            f"{text.splitlines()[0] if text else ''}{hint} Call it yourself to see the traceback."
        ) from None


def _block(function, what, input_shape, *args, **kwargs):
    """A model from a fresh input through `function`: a learner's block or the reference's."""
    inputs = keras.Input(shape=input_shape)
    where = f"on a {(None, *input_shape)} input"
    outputs = _call(what, where, function, inputs, *args, **kwargs)
    if not isinstance(outputs, keras.KerasTensor):
        hint = " (did you forget `return`?)" if outputs is None else ""
        raise _Mistake(
            f"Your {what} returned {type(outputs).__name__}{hint}; it must return the output "
            f"tensor, computed from its input x."
        )
    return keras.Model(inputs, outputs)


def _network(build, what, **kwargs):
    where = f"when called with {', '.join(f'{k}={v!r}' for k, v in kwargs.items())}"
    model = _call(what, where, build, **kwargs)
    if not isinstance(model, keras.Model):
        raise _Mistake(
            f"Your {what} returned {type(model).__name__}; it must return a keras.Model."
        )
    return model


# --- Chapter 1: C3 ------------------------------------------------------------------------------
S2_SHAPE = (14, 14, 6)  # what C3 sees: S2's six 14x14 maps


def _c3(x, connections=lenet.C3_CONNECTIONS):
    return SparseConv2D(connections, lenet.KERNEL_SIZE, lecun_tanh, name="C3")(x)


def _c3_table(answer):
    """Your connection table as a list of tuples, or a _Mistake naming the first problem."""
    try:
        table = [tuple(inputs) for inputs in answer]
    except TypeError:
        raise _Mistake(
            "Your answer must be the 16 connections of Table I (for each C3 map, the S2 maps it "
            f"reads), or a function from S2's output to C3's. Received: {answer!r}"
        ) from None
    if len(table) != len(lenet.C3_CONNECTIONS):
        raise _Mistake(f"Table I has 16 columns, one per C3 map; your table has {len(table)}.")
    for index, inputs in enumerate(table):
        valid = all(is_integer(i) and 0 <= i < 6 for i in inputs)
        if not inputs or not valid or len(set(inputs)) != len(inputs):
            raise _Mistake(
                f"Map {index} reads {inputs}: each C3 map reads one or more distinct S2 maps, "
                "numbered 0 to 5."
            )
    for index, (mine, paper) in enumerate(zip(table, lenet.C3_CONNECTIONS)):
        if set(mine) != set(paper):
            raise _Mistake(
                f"Map {index} reads S2 maps {_maps(sorted(mine))}; Table I's column {index} "
                f"reads {_maps(sorted(paper))}."
            )
    return table


def _c3_hint(finding):
    if finding.kind == "kind" and isinstance(finding.yours.layer, L.Conv2D):
        return "a full connection table: every C3 map reads all six S2 maps, Table I 3, 4 or 6"
    if finding.kind == "config" and finding.attribute == "connections":
        return "not Table I's connection table"


def check_c3(answer, raise_on_failure=False):
    """Chapter 1: C3 with Table I's connection scheme.

    Args:
        answer: your 16 connections, one sequence of S2 map indices (0-5) per C3 map, in
            Table I's column order (`lenet.C3_CONNECTIONS` is the reference); or a function
            (or a layer) from S2's (batch, 14, 14, 6) output to C3's (batch, 10, 10, 16), e.g.
            built with `layers.SparseConv2D` and LeNet-5's `layers.lecun_tanh`.
        raise_on_failure: raise `ExerciseFailed` instead of returning a failing verdict.

    Returns:
        A `Verdict`: the connection table, C3's 1,516 parameters, and the reference's function.
    """
    solution = "c3"
    try:
        if callable(answer):
            function, what = answer, "C3 function"
        else:
            function, what = partial(_c3, connections=_c3_table(answer)), "connection table"
    except _Mistake as mistake:
        return _verdict(
            False, f"{mistake}\n  exercises.solution('c3') shows Table I.", raise_on_failure
        )
    case = (
        "",
        partial(_block, _c3, "reference", S2_SHAPE),
        partial(_block, function, what, S2_SHAPE),
    )
    success = (
        "Table I's 16 maps and 60 links: C3 has 60*5*5 + 16 = 1,516 parameters and computes the "
        "reference's function."
    )
    return _check([case], _c3_hint, solution, success, raise_on_failure)


# --- Chapter 2: AlexNet ------------------------------------------------------------------------
ALEXNETS = {
    # variant: (reference builder, default input shape, default classes, smallest input)
    "one_tower": (partial(alexnet.alexnet, groups=1), (227, 227, 3), 1000, alexnet.MIN_INPUT_SIZE),
    "cifar": (alexnet.alexnet_cifar, (32, 32, 3), 10, alexnet.CIFAR_MIN_INPUT_SIZE),
}


def _network_hint(classes):
    def hint(finding):
        if (
            finding.kind == "config"
            and finding.attribute == "units"
            and finding.ref_value == classes
        ):
            return f"the output layer has {finding.your_value} units, not classes={classes}"
        if finding.kind == "config" and finding.attribute == "groups":
            return (
                f"wrong groups: groups={finding.your_value} where the reference has "
                f"groups={finding.ref_value} (groups=2 is the paper's two-GPU split)"
            )
        if finding.kind == "steps" and "flatten" in finding.ref_value:
            if "global average pool" in finding.your_value:
                return "global average pooling instead of Flatten before the classifier"

    return hint


def check_alexnet(build, variant="cifar", input_shape=None, classes=None, raise_on_failure=False):
    """Chapter 2: AlexNet's eight weighted layers from the paper's table.

    Args:
        build: your builder, called as `build(input_shape=..., classes=...)`, returning a
            keras.Model (Functional or Sequential).
        variant: `"cifar"` (compared with `alexnet.alexnet_cifar()`) or `"one_tower"` (with
            `alexnet.alexnet(groups=1)`, the single-tower paper network).
        input_shape: the input to check at; defaults to the variant's (32x32x3, 227x227x3).
            A smaller one (at least 67x67 for the one-tower network) checks faster.
        classes: output units; defaults to 10 (cifar) or 1000 (one_tower).
        raise_on_failure: raise `ExerciseFailed` instead of returning a failing verdict.

    Returns:
        A `Verdict`: shapes, per-layer parameters, the function, and the dropout layers.
    """
    _check_callable("build", build, "build(input_shape=..., classes=...) -> keras.Model")
    variant = check_choice("variant", variant, tuple(ALEXNETS))
    reference, default_shape, default_classes, min_size = ALEXNETS[variant]
    input_shape = check_input_shape(f"AlexNet ({variant})", input_shape or default_shape, min_size)
    classes = positive_int("classes", default_classes if classes is None else classes)
    arguments = {"input_shape": input_shape, "classes": classes}
    case = ("", partial(reference, **arguments), partial(_network, build, "builder", **arguments))
    name = "alexnet_cifar" if variant == "cifar" else "alexnet"
    success = (
        f"Your AlexNet matches alexnet.{name}{'(groups=1)' if variant == 'one_tower' else '()'} "
        f"at {input_shape} with {classes} classes: shapes, parameters layer by layer, the "
        "function, and the dropout."
    )
    return _check([case], _network_hint(classes), name, success, raise_on_failure)


# --- Chapter 3: VGG ------------------------------------------------------------------------------
VGG_STACKS_SHAPE = (32, 32, 3)  # the smallest input five pools take to 1x1: fast to check


def _vgg_hint(classes=None):
    network = _network_hint(classes)

    def hint(finding):
        if finding.kind == "config" and finding.attribute == "kernel_size":
            return "wrong kernel size: conv<k>-<filters> is a k x k convolution (conv1-256 is 1x1)"
        return network(finding)

    return hint


def check_vgg_stacks(conv_stacks, configs=None, raise_on_failure=False):
    """Chapter 3: the convolution stacks of a Table 1 column, walked from `vgg.TABLE_1`.

    Args:
        conv_stacks: your function `conv_stacks(x, config)` from a (batch, 32, 32, 3) input to
            pool5's output, for a column of Table 1 ("A", "A-LRN", "B", "C", "D", "E").
        configs: the columns to check, e.g. "C" or ("A-LRN", "C"); defaults to all six.
        raise_on_failure: raise `ExerciseFailed` instead of returning a failing verdict.

    Returns:
        A `Verdict` against `vgg.conv_stacks(x, config)` for each column.
    """
    _check_callable("conv_stacks", conv_stacks, "conv_stacks(x, config) -> pool5's output")
    configs = tuple(vgg.TABLE_1) if configs is None else configs
    configs = (configs,) if isinstance(configs, str) else tuple(configs)
    configs = tuple(check_choice("configs", c, tuple(vgg.TABLE_1)) for c in configs)
    cases = [
        (
            f"config {config}",
            partial(_block, vgg.conv_stacks, "reference", VGG_STACKS_SHAPE, config),
            partial(_block, conv_stacks, "conv_stacks function", VGG_STACKS_SHAPE, config),
        )
        for config in configs
    ]
    success = (
        f"Your stacks match vgg.conv_stacks for {', '.join(configs)}: shapes, parameters layer by "
        "layer, and the function."
    )
    return _check(cases, _vgg_hint(), "vgg_stacks", success, raise_on_failure)


def check_vgg(build, config="D", input_shape=(64, 64, 3), classes=10, raise_on_failure=False):
    """Chapter 3: a whole VGG network, against `vgg.vgg(config)`.

    Args:
        build: your builder, called as `build(input_shape=..., classes=...)`.
        config: the Table 1 column it builds ("D" is VGG-16).
        input_shape: at least 32x32; the default 64x64 leaves pool5 2x2, so that a classifier
            on a global average pool (512 inputs) differs from VGG's Flatten (2*2*512).
        classes: output units.
        raise_on_failure: raise `ExerciseFailed` instead of returning a failing verdict.
    """
    _check_callable("build", build, "build(input_shape=..., classes=...) -> keras.Model")
    config = check_choice("config", config, tuple(vgg.TABLE_1))
    input_shape = check_input_shape(f"VGG ({config})", input_shape, vgg.MIN_INPUT_SIZE)
    classes = positive_int("classes", classes)
    arguments = {"input_shape": input_shape, "classes": classes}
    case = (
        "",
        partial(vgg.vgg, config, **arguments),
        partial(_network, build, "builder", **arguments),
    )
    success = (
        f"Your network matches vgg.vgg({config!r}) at {input_shape} with {classes} classes: "
        "shapes, parameters layer by layer, the function, and the dropout."
    )
    return _check([case], _vgg_hint(classes), "vgg", success, raise_on_failure)


# --- Chapter 4: the inception module ------------------------------------------------------------
# Two rows of Table 1 at the CIFAR network's quarter widths, on their inputs at 8x8: 4a's six
# widths all differ, so a swapped argument shows.
INCEPTION_CASES = (("3a", (8, 8, 48)), ("4a", (8, 8, 120)))


def _inception_hint(finding):
    f = finding
    pool_proj = f.kind == "steps" and f.ref.layer and f.ref.name.endswith("_pool_proj")
    if pool_proj and not any("pool" in step for step in f.your_value):
        return (
            "the pool branch projects before pooling: the reference max-pools the module's "
            "input, then projects it with the 1x1 pool proj convolution; yours does not pool "
            "first (max(Wx) is not W max(x))"
        )
    if f.kind == "order":
        return (
            "the branches in another order: concatenate them as Table 1 lists them, 1x1, 3x3, "
            "5x5, pool proj"
        )


def check_inception_module(inception_module, raise_on_failure=False):
    """Chapter 4: the inception module of Figure 2b, its arguments in Table 1's column order.

    Args:
        inception_module: your function
            `inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj, name)`.
        raise_on_failure: raise `ExerciseFailed` instead of returning a failing verdict.

    Returns:
        A `Verdict` against `googlenet.inception_module`, on rows 3a and 4a of Table 1 at a
        quarter of their widths (`googlenet.CIFAR_TABLE`).
    """
    signature = "inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj, name)"
    _check_callable("inception_module", inception_module, signature)
    cases = []
    for row, shape in INCEPTION_CASES:
        widths, name = googlenet.CIFAR_TABLE[row], f"inception_{row}"
        reference = partial(googlenet.inception_module, name=name)
        yours = partial(inception_module, name=name)
        cases.append(
            (
                f"row {row}, widths {widths}, input {'x'.join(map(str, shape))}",
                partial(_block, reference, "reference", shape, *widths),
                partial(_block, yours, "inception module", shape, *widths),
            )
        )
    success = (
        "Your module matches googlenet.inception_module on rows 3a and 4a: shapes, parameters "
        "layer by layer, and the function."
    )
    return _check(cases, _inception_hint, "inception_module", success, raise_on_failure)


# --- Chapter 5: residual blocks ------------------------------------------------------------------
BASIC_CASES = ((16, 1, (8, 8, 16)), (32, 2, (8, 8, 16)))  # identity; projection with stride 2
BOTTLENECK_CASES = ((16, 1, (8, 8, 64)), (16, 1, (8, 8, 16)), (32, 2, (8, 8, 64)))


def _resnet_hint(finding):
    f = finding
    if f.kind == "steps" and f.ref.layer is None and "add" in f.ref_value:  # after the add
        mine = f.your_value
        if "add" in mine and "ReLU" in mine[: mine.index("add")]:
            return "ReLU before the add: the block outputs relu(F(x) + shortcut), ReLU last"
        if "add" in mine and "ReLU" not in mine[mine.index("add") :]:
            return "no ReLU after the add: the block outputs relu(F(x) + shortcut), never negative"
    if f.kind == "steps" and f.after.endswith("_0_bn") and "ReLU" in f.your_value:
        return "ReLU on the projection shortcut: the shortcut is added as it is, so it can subtract"
    if f.kind == "config" and f.attribute == "strides" and f.ref.name.endswith("_1_conv"):
        return "wrong stride: the reference strides the block's first convolution"


def _residual_cases(block, reference, what, cases):
    return [
        (
            f"filters={filters}, strides={strides}, input {'x'.join(map(str, shape))}",
            partial(_block, reference, "reference", shape, filters, strides, name="block"),
            partial(_block, block, what, shape, filters, strides),
        )
        for filters, strides, shape in cases
    ]


def check_basic_block(basic_block, raise_on_failure=False):
    """Chapter 5: the basic residual block (Figure 5 left), with a projection (1x1 conv + BN)
    where the shape changes (option B).

    Args:
        basic_block: your function `basic_block(x, filters, strides)`.
        raise_on_failure: raise `ExerciseFailed` instead of returning a failing verdict.

    Returns:
        A `Verdict` against `resnet.basic_block`, for an identity block and a block that halves
        the maps and doubles the channels.
    """
    _check_callable("basic_block", basic_block, "basic_block(x, filters, strides)")
    cases = _residual_cases(basic_block, resnet.basic_block, "basic block", BASIC_CASES)
    success = (
        "Your block matches resnet.basic_block with and without a projection: shapes, parameters "
        "layer by layer, and the function."
    )
    return _check(cases, _resnet_hint, "basic_block", success, raise_on_failure)


def check_bottleneck_block(bottleneck_block, raise_on_failure=False):
    """Chapter 5: the bottleneck block (Figure 5 right): 1x1 `filters`, 3x3 `filters`, 1x1
    `4 * filters`, the stride on the first 1x1 as in the paper, a projection where the shape
    changes.

    Args:
        bottleneck_block: your function `bottleneck_block(x, filters, strides)`.
        raise_on_failure: raise `ExerciseFailed` instead of returning a failing verdict.

    Returns:
        A `Verdict` against `resnet.bottleneck_block`: an identity block, a projection that only
        widens (a stage's first block at stride 1) and one that also halves the maps.
    """
    _check_callable("bottleneck_block", bottleneck_block, "bottleneck_block(x, filters, strides)")
    cases = _residual_cases(
        bottleneck_block, resnet.bottleneck_block, "bottleneck block", BOTTLENECK_CASES
    )
    success = (
        "Your block matches resnet.bottleneck_block in its three cases: shapes, parameters layer "
        "by layer, and the function."
    )
    return _check(cases, _resnet_hint, "bottleneck_block", success, raise_on_failure)


# --- Solutions ------------------------------------------------------------------------------------
ALEXNET_WIRING = ("GROUPED", "NORMALIZED", "POOLED", "POOL_SIZE", "LRN", "DROPOUT", "_layers")
SOLUTIONS = {
    # exercise: (module, the module-level names whose source makes the reference)
    "c3": (lenet, ("C3_CONNECTIONS", "c3", "lenet5")),
    "alexnet": (
        alexnet,
        ("PAPER_CONVOLUTIONS", "PAPER_FULLY_CONNECTED", *ALEXNET_WIRING, "alexnet"),
    ),
    "alexnet_cifar": (
        alexnet,
        ("CIFAR_CONVOLUTIONS", "CIFAR_FULLY_CONNECTED", *ALEXNET_WIRING, "alexnet_cifar"),
    ),
    "vgg_stacks": (vgg, ("parse", "conv_stacks")),
    "vgg": (vgg, ("parse", "conv_stacks", "CLASSIFIER", "DROPOUT", "vgg")),
    "inception_module": (googlenet, ("Conv", "_inception", "inception_module")),
    "basic_block": (resnet, ("Conv", "BatchNorm", "conv_bn", "shortcut", "merge", "basic_block")),
    "bottleneck_block": (
        resnet,
        ("Conv", "BatchNorm", "conv_bn", "shortcut", "merge", "bottleneck_block"),
    ),
}


def solution(exercise):
    """The reference's source for `exercise` ("c3", "alexnet", "alexnet_cifar", "vgg_stacks",
    "vgg", "inception_module", "basic_block", "bottleneck_block"), read from the package's own
    module, to print or to show in a notebook's <details> cell."""
    exercise = check_choice("exercise", exercise, tuple(SOLUTIONS))
    module, names = SOLUTIONS[exercise]
    source = inspect.getsource(module)
    lines, found = source.splitlines(), {}
    for node in ast.parse(source).body:
        targets = [node.name] if hasattr(node, "name") else []
        if isinstance(node, ast.Assign):  # NAME = ... or NAME, OTHER = ...
            targets = [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        first = node.lineno - 1  # with the comment lines just above it, which say why
        while first and lines[first - 1].startswith("#"):
            first -= 1
        for target in targets:
            found[target] = ("\n".join(lines[first : node.end_lineno]), hasattr(node, "name"))
    text = f"# from {module.__name__}\n"
    for name, previous in zip(names, (None, *names)):
        definition, is_def = found[name]
        two_blank_lines = previous and (is_def or found[previous][1])  # around a def, as PEP 8
        text += ("\n\n" if two_blank_lines else "\n") + definition + "\n"
    return text
