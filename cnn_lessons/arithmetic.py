"""Per-layer arithmetic for any Keras model: shapes, parameter formulas, MACs, receptive fields.

Every number is derived from the layer's own configuration and input shape, the way a learner
would work it by hand, and then checked against Keras's own `count_params()`. A layer type with
no rule here is an error, never a silent zero.

- `params`: parameters from the layer's configuration; `keras_params`: what Keras counts.
- `trainable`: the part of `params` that training updates (batch-norm moving statistics and
  LeNet-5's fixed RBF vectors are not).
- `macs`: multiply-accumulates for one image, in weighted layers (a convolution does
  H_out * W_out * C_out * kh * kw * C_in / groups); pooling, activations and normalization count 0.
- `receptive_field`: the side of the input square that one output unit of the layer can see.

The table has one row per *call* of a layer, in the order the model computes them. A layer
called more than once (shared weights: one Conv2D applied to two inputs, or twice in series) has
one row per call, named "<layer> (call 1)", "<layer> (call 2)", ...: each call does its own
MACs at its own output shape, and the parameters sit on the first call's row only, so that
`totals` counts them once. Channels-first layers (`data_format="channels_first"`) are counted on
their own channel axis.
"""

import math
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import layers as ours
from ._keras import keras

COLUMNS = [
    "name", "type", "output_shape", "formula", "params", "keras_params", "trainable", "macs",
    "receptive_field",
]  # fmt: skip
NUMBER_COLUMNS = ("params", "keras_params", "trainable", "macs")
ACCEPTS = "layer_table accepts a built Functional or Sequential keras.Model"


@dataclass
class Count:
    """What a rule derives for one layer. `window` is (kernel, stride, dilation) per spatial
    axis for layers that slide over the image, "global" for layers that see all of it.
    `biases` are the additive terms (conv and dense biases, batch-norm shifts)."""

    params: int = 0
    formula: str = ""
    macs: int = 0
    non_trainable: int = 0
    window: object = None
    biases: int = 0


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _channels_first(layer):
    return getattr(layer, "data_format", "channels_last") == "channels_first"


def _channels(layer, shape):
    """The channel count of a (batch, ..., channels) or, channels first, (batch, channels, ...)
    shape."""
    return shape[1] if _channels_first(layer) and len(shape) > 2 else shape[-1]


def _spatial(layer, shape):
    """Output positions per image (H*W for a feature map, 1 for a vector)."""
    if len(shape) <= 2:
        return 1
    return math.prod(shape[2:] if _channels_first(layer) else shape[1:-1])


def _window(layer):
    return tuple(zip(_pair(layer.kernel_size), _pair(layer.strides), _pair(layer.dilation_rate)))


def _conv2d(layer, in_shape, out_shape):
    kh, kw = _pair(layer.kernel_size)
    c_in, c_out, groups = _channels(layer, in_shape), layer.filters, layer.groups
    per_filter = kh * kw * c_in // groups
    fan_in = f"{kh}*{kw}*{c_in}" + (f"/{groups}" if groups > 1 else "")
    biases = c_out if layer.use_bias else 0
    params = per_filter * c_out + biases
    formula = f"({fan_in} + 1)*{c_out}" if layer.use_bias else f"{fan_in}*{c_out}"
    macs = _spatial(layer, out_shape) * c_out * per_filter
    return Count(params, f"{formula} = {params:,}", macs, 0, _window(layer), biases)


def _depthwise_conv2d(layer, in_shape, out_shape):
    """One kh x kw filter per input channel (times depth_multiplier), no mixing of channels."""
    kh, kw = _pair(layer.kernel_size)
    c_in, multiplier = _channels(layer, in_shape), layer.depth_multiplier
    maps = c_in * multiplier
    biases = maps if layer.use_bias else 0
    params = kh * kw * maps + biases
    channels = f"{c_in}*{multiplier}" if multiplier > 1 else f"{c_in}"
    formula = f"({kh}*{kw} + 1)*{channels}" if layer.use_bias else f"{kh}*{kw}*{channels}"
    macs = _spatial(layer, out_shape) * maps * kh * kw
    return Count(params, f"{formula} = {params:,}", macs, 0, _window(layer), biases)


def _separable_conv2d(layer, in_shape, out_shape):
    """A depthwise kh x kw conv (c_in * depth_multiplier maps), then a 1x1 conv to `filters`."""
    kh, kw = _pair(layer.kernel_size)
    c_in, multiplier, c_out = _channels(layer, in_shape), layer.depth_multiplier, layer.filters
    maps = c_in * multiplier
    biases = c_out if layer.use_bias else 0
    params = kh * kw * maps + maps * c_out + biases
    channels = f"{c_in}*{multiplier}" if multiplier > 1 else f"{c_in}"
    formula = f"{kh}*{kw}*{channels} + {channels}*{c_out}" + (f" + {c_out}" if biases else "")
    macs = _spatial(layer, out_shape) * (kh * kw * maps + maps * c_out)
    return Count(params, f"{formula} = {params:,}", macs, 0, _window(layer), biases)


def _dense(layer, in_shape, out_shape):
    # Dense always works on the last axis; on a (batch, H, W, C) map it is a 1x1 convolution.
    c_in, units = in_shape[-1], layer.units
    biases = units if layer.use_bias else 0
    params = c_in * units + biases
    formula = f"({c_in} + 1)*{units}" if layer.use_bias else f"{c_in}*{units}"
    window = ((1, 1, 1), (1, 1, 1)) if len(in_shape) == 4 else None
    macs = math.prod(out_shape[1:-1]) * c_in * units
    return Count(params, f"{formula} = {params:,}", macs, 0, window, biases)


def _batch_norm(layer, in_shape, out_shape):
    channels = in_shape[layer.axis if isinstance(layer.axis, int) else layer.axis[0]]
    learned = channels * (int(layer.center) + int(layer.scale))
    params = learned + 2 * channels
    formula = (
        f"{learned // channels or 0}*{channels} + 2*{channels} = {params:,} ({learned:,} trainable)"
    )
    biases = channels if layer.center else 0
    return Count(params, formula, 0, 2 * channels, biases=biases)


def _pooling(layer, in_shape, out_shape):
    size = _pair(layer.pool_size)
    strides = _pair(layer.strides or layer.pool_size)
    return Count(window=tuple(zip(size, strides, (1, 1))))


def _global(layer, in_shape, out_shape):
    return Count(window="global" if len(in_shape) == 4 else None)


def _no_params(layer, in_shape, out_shape):
    return Count()


def _subsampling(layer, in_shape, out_shape):
    channels, size = in_shape[-1], layer.pool_size
    params = 2 * channels
    return Count(
        params, f"(1 + 1)*{channels} = {params:,}", _spatial(layer, out_shape) * channels, 0,
        ((size, size, 1), (size, size, 1)), channels,
    )  # fmt: skip


def _sparse_conv2d(layer, in_shape, out_shape):
    k, links, maps = layer.kernel_size, layer.n_connections, layer.filters
    params = links * k * k + maps
    formula = f"{links}*{k}*{k} + {maps} = {params:,} ({links} of {in_shape[-1] * maps} links)"
    macs = _spatial(layer, out_shape) * links * k * k
    return Count(params, formula, macs, 0, ((k, 1, 1), (k, 1, 1)), maps)


def _euclidean_rbf(layer, in_shape, out_shape):
    params = in_shape[-1] * layer.units
    formula = f"{in_shape[-1]}*{layer.units} = {params:,} (fixed)"
    return Count(params, formula, params, params)


L = keras.layers
RULES = {
    L.InputLayer: _no_params,
    L.Conv2D: _conv2d,
    L.DepthwiseConv2D: _depthwise_conv2d,
    L.SeparableConv2D: _separable_conv2d,
    L.Dense: _dense,
    L.BatchNormalization: _batch_norm,
    L.MaxPooling2D: _pooling,
    L.AveragePooling2D: _pooling,
    L.GlobalAveragePooling2D: _global,
    L.GlobalMaxPooling2D: _global,
    L.Flatten: _global,
    ours.Subsampling: _subsampling,
    ours.SparseConv2D: _sparse_conv2d,
    ours.EuclideanRBF: _euclidean_rbf,
}
# Layers with no weights that leave the receptive field as it is.
for _type in (
    L.Activation, L.ReLU, L.Softmax, L.LeakyReLU, L.Dropout, L.SpatialDropout2D, L.Rescaling,
    L.ZeroPadding2D, L.Cropping2D, L.Identity, L.Add, L.Concatenate, L.Multiply, L.Average,
    L.Maximum, L.Subtract, L.RandomFlip, L.RandomTranslation, L.RandomCrop, L.RandomRotation,
    L.RandomZoom, L.RandomContrast, ours.LocalResponseNormalization,
):  # fmt: skip
    RULES[_type] = _no_params


# --- ResNet ------------------------------------------------------------------------------------
def _subsample_zero_pad(layer, in_shape, out_shape):
    """Option A shortcut: no parameters; samples the input like a 1x1 window with its stride."""
    s = layer.strides
    return Count(formula="0 (identity, subsampled and zero-padded)", window=((1, s, 1), (1, s, 1)))


RULES[ours.SubsampleZeroPad] = _subsample_zero_pad

# Layers whose data_format decides where layer_table reads channels and positions: a model's
# maps are all channels-last or all channels-first. (Flatten's data_format only orders its
# output, and padding layers count nothing, so they do not decide.)
FORMATTED = (L.Conv2D, L.DepthwiseConv2D, L.SeparableConv2D, L.MaxPooling2D, L.AveragePooling2D)
FORMATTED += (L.GlobalAveragePooling2D, L.GlobalMaxPooling2D)
# Layers that always work on the last axis of a map, i.e. on channels-last maps only.
LAST_AXIS = (L.Dense, ours.Subsampling, ours.SparseConv2D, ours.SubsampleZeroPad)
LAST_AXIS += (ours.LocalResponseNormalization,)


def rule_for(layer):
    """The rule for `layer`'s exact type (a subclass may change what it computes)."""
    rule = RULES.get(type(layer))
    if rule is not None:
        return rule
    received = f"Received: '{layer.name}' of type {type(layer).__name__}"
    if isinstance(layer, keras.Model):
        raise TypeError(
            "layer_table cannot count a nested model (a model used as a layer): its layer calls "
            "are hidden inside it. Count it alone, layer_table(inner_model), or build the outer "
            f"model by calling the inner model's layers on tensors. {received}"
        )
    if not isinstance(layer, keras.layers.Layer):
        raise TypeError(
            "layer_table counts layers, and this is a keras.ops operation (what x + y or "
            "keras.ops.* on a Keras tensor makes): write it as a layer, e.g. "
            f"keras.layers.Add()([x, y]) for x + y, so that it can be counted. {received}"
        )
    raise TypeError(
        f"layer_table has no rule for the layer type {type(layer).__name__}: add one to "
        f"cnn_lessons.arithmetic.RULES rather than counting it as 0 parameters. {received}"
    )


# --- Walking the model's graph, one call at a time ---------------------------------------------
def _describe(value):
    """What a function received, in words, for its error message."""
    if isinstance(value, keras.Model):
        return f"a {type(value).__name__} model '{value.name}'"
    if isinstance(value, keras.layers.Layer):
        return f"a {type(value).__name__} layer '{value.name}'"
    if isinstance(value, pd.DataFrame):
        return f"a DataFrame with columns {list(value.columns)}"
    text = repr(value)
    return f"{type(value).__name__} {text[:80]}{'...' if len(text) > 80 else ''}"


def _graph(model):
    """The Functional graph behind `model`: the model itself, or the one a built Sequential
    keeps."""
    if isinstance(model, keras.Sequential):
        graph = getattr(model, "_functional", None)
        if graph is None:
            raise ValueError(
                f"{ACCEPTS}, and this Sequential has no input shape yet, so its layers have no "
                "sizes to count: start it with keras.Input(shape=...), or call "
                f"model.build((None, ...)) first. Received: an unbuilt Sequential '{model.name}'"
            )
        return graph
    if isinstance(model, keras.Model) and hasattr(model, "_nodes_by_depth"):
        return model
    if isinstance(model, keras.Model):
        hint = (
            "; a subclassed model has no graph of layer calls to walk: build it with the "
            "Functional API, keras.Model(inputs, outputs)"
        )
    elif isinstance(model, keras.layers.Layer):
        hint = "; wrap the layer in a model: keras.Model(inputs, layer(inputs))"
    elif isinstance(model, str):
        hint = "; build the model first, e.g. layer_table(cnn_lessons.MODELS['lenet5']())"
    elif isinstance(model, (list, tuple)):
        hint = "; pass one model at a time"
    else:
        hint = ""
    raise TypeError(f"{ACCEPTS}{hint}. Received: {_describe(model)}")


def _check_fixed_size(graph):
    for tensor in graph.inputs:
        if any(size is None for size in tensor.shape[1:]):
            raise ValueError(
                "layer_table counts shapes and MACs at one input size, and an input of this "
                "model has a free size (None): build it with a fixed one, e.g. "
                f"keras.Input(shape=(224, 224, 3)). Received: input shape {tuple(tensor.shape)}"
            )


def _calls(graph):
    """Every call of a layer in `graph`, each after the calls that compute its inputs: deepest
    first (the order in which Keras runs them), then in the order of `graph.operations`. For a
    model whose layers are each called once, this is the order of `model.layers`."""
    position = {id(op): index for index, op in enumerate(graph.operations)}

    def order(node):
        return position[id(node.operation)], node.operation._inbound_nodes.index(node)

    by_depth = graph._nodes_by_depth
    calls = []
    for depth in sorted(by_depth, reverse=True):
        calls.extend(sorted(by_depth[depth], key=order))
    return calls


def _layout(calls):
    """ "channels_last" or "channels_first": the data_format of the model's maps."""
    first_of = {}  # data_format -> the first layer that has it
    for node in calls:
        if isinstance(node.operation, FORMATTED):
            first_of.setdefault(node.operation.data_format, node.operation.name)
    if len(first_of) > 1:
        raise ValueError(
            "layer_table reads every feature map of a model in one layout, and this model mixes "
            "two: give all its layers the same data_format. Received: "
            f"'{first_of['channels_last']}' channels_last, "
            f"'{first_of['channels_first']}' channels_first"
        )
    return next(iter(first_of), "channels_last")


def _shape(tensor):
    return tuple(tensor.shape)


def _receptive_field(window, inputs, state, axes):
    """Grow (size, jump) per spatial axis: size += (k - 1) * dilation * jump; jump *= stride.
    A merge sees the largest field of its inputs."""
    known = [state[id(t)] for t in inputs if id(t) in state]
    if not known:
        return None
    size = tuple(max(s[0][axis] for s in known) for axis in range(2))
    jump = tuple(max(s[1][axis] for s in known) for axis in range(2))
    if window == "global":  # the union of the fields of every position of the input map
        extent = [_shape(inputs[0])[axis] for axis in axes]
        size = tuple(size[a] + (extent[a] - 1) * jump[a] for a in range(2))
    elif window is not None:
        size = tuple(size[a] + (window[a][0] - 1) * window[a][2] * jump[a] for a in range(2))
        jump = tuple(jump[a] * window[a][1] for a in range(2))
    return size, jump


def _weights(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


def _check_against_keras(layer, count, trainable):
    keras_params = layer.count_params()
    keras_trainable = _weights(layer.trainable_weights)
    keras_biases = _weights(w for w in layer.weights if w.name in ("bias", "beta"))
    if (count.params, trainable, count.biases) != (keras_params, keras_trainable, keras_biases):
        raise AssertionError(
            f"layer '{layer.name}' ({type(layer).__name__}): derived {count.params:,} "
            f"parameters ({trainable:,} trainable, {count.biases:,} biases), Keras counts "
            f"{keras_params:,} ({keras_trainable:,} trainable, {keras_biases:,} biases)"
        )
    return keras_params


def _rows(model):
    """One dict per call: the table's columns, plus `layer` (the layer's name) and `weights`
    (params without biases, batch-norm statistics and fixed parameters) for `block_totals`."""
    graph = _graph(model)
    _check_fixed_size(graph)
    calls = _calls(graph)
    layout = _layout(calls)
    axes = (2, 3) if layout == "channels_first" else (1, 2)
    n_calls = {}
    for node in calls:
        n_calls[id(node.operation)] = n_calls.get(id(node.operation), 0) + 1
    state = {id(t): ((1, 1), (1, 1)) for t in graph.inputs if len(t.shape) == 4}
    counted = {}  # id(layer) -> its calls counted so far
    rows = []
    for node in calls:
        layer = node.operation
        if type(layer).__name__ == "Cast" and not isinstance(layer, keras.layers.Layer):
            # A dtype cast: no weights, no arithmetic, the same positions. Keras 3.8 puts one
            # before a preprocessing layer (Rescaling) under a mixed-precision policy.
            if id(node.input_tensors[0]) in state:
                state[id(node.outputs[0])] = state[id(node.input_tensors[0])]
            continue
        rule = rule_for(layer)
        inputs = node.outputs if isinstance(layer, L.InputLayer) else node.input_tensors
        output = node.outputs[0]
        if layout == "channels_first" and isinstance(layer, LAST_AXIS) and len(inputs[0].shape) > 2:
            raise ValueError(
                f"layer '{layer.name}' ({type(layer).__name__}) works on the last axis of its "
                "input, which in this channels_first model is a spatial axis, not the channels: "
                "layer_table cannot count it as the model means it. Flatten or pool first, or "
                f"build the model channels_last. Received: input shape {_shape(inputs[0])}"
            )
        count = rule(layer, _shape(inputs[0]), _shape(output))
        trainable = count.params - count.non_trainable if layer.trainable else 0
        keras_params = _check_against_keras(layer, count, trainable)
        call = counted[id(layer)] = counted.get(id(layer), 0) + 1
        name, formula, params = layer.name, count.formula, count.params
        weights = count.params - count.biases - count.non_trainable
        if n_calls[id(layer)] > 1:
            name = f"{layer.name} (call {call})"
            if count.params and call == 1:
                formula = f"{formula} (one set of weights for {n_calls[id(layer)]} calls)"
            elif count.params:  # counted on call 1's row, so that totals count them once
                formula = "0 (the weights of call 1)"
                params = keras_params = trainable = weights = 0

        field = None
        if not isinstance(layer, L.InputLayer):
            field = _receptive_field(count.window, inputs, state, axes)
            if field is not None:
                for tensor in node.outputs:
                    state[id(tensor)] = field
        size = field[0] if field else (state[id(output)][0] if id(output) in state else None)
        rows.append(
            {
                "name": name,
                "type": type(layer).__name__,
                "output_shape": _shape(output)[1:],
                "formula": formula,
                "params": params,
                "keras_params": keras_params,
                "trainable": trainable,
                "macs": count.macs,
                "receptive_field": _format_field(size),
                "layer": layer.name,
                "weights": weights,
            }
        )
    return rows


def layer_table(model):
    """One row per layer call of `model`: name, type, output_shape, formula, params,
    keras_params, trainable, macs, receptive_field. `totals(table)` sums it.

    A layer called n > 1 times (shared weights) has n rows, "<name> (call 1)" to
    "<name> (call n)", each with its own output shape, MACs and receptive field; its parameters
    are on call 1's row and 0 on the others, so that they are counted once.

    Raises:
        TypeError: for anything but a built Functional or Sequential keras.Model, and for a
            layer type (or keras.ops operation, or nested model) with no rule.
        ValueError: for an unbuilt Sequential, an input with a free size (None), a model that
            mixes channels_first and channels_last layers, or a last-axis layer (Dense, ...)
            on a channels_first map.
        AssertionError: if a derived count disagrees with Keras (a bug in a rule).
    """
    return pd.DataFrame(_rows(model), columns=COLUMNS)


def _format_field(size):
    if size is None:
        return ""
    return str(size[0]) if size[0] == size[1] else f"{size[0]}x{size[1]}"


# --- Reading a table ---------------------------------------------------------------------------
def _check_table(table, function, columns):
    """`table` must be a layer_table DataFrame with `columns`."""
    if not isinstance(table, pd.DataFrame):
        hint = f"; for a model, call {function}(layer_table(model), ...)"
        hint = hint if isinstance(table, keras.Model) else ""
        raise TypeError(
            f"{function} needs the DataFrame that layer_table returns{hint}. "
            f"Received: {_describe(table)}"
        )
    missing = [column for column in columns if column not in table.columns]
    if missing:
        hint = "; call .reset_index() to make the index a column again"
        hint = hint if table.index.name in missing else ""
        raise ValueError(
            f"{function} needs the DataFrame that layer_table returns, with the columns "
            f"{', '.join(columns)}; this one lacks {', '.join(missing)}{hint}. "
            f"Received: {_describe(table)}"
        )


def totals(table):
    """Parameters (all, trainable, non-trainable) and MACs of a `layer_table`."""
    _check_table(table, "totals", ("params", "trainable", "macs"))
    params, trainable = int(table["params"].sum()), int(table["trainable"].sum())
    return {
        "params": params,
        "trainable": trainable,
        "non_trainable": params - trainable,
        "macs": int(table["macs"].sum()),
    }


def compare(table, expected, column="params"):
    """Set a reference's per-layer numbers (e.g. a paper's) beside ours: one row per layer
    named in `expected` ({name: number}), with both values and whether they match. A shared
    layer is named by its call, e.g. "conv (call 1)", which holds its parameters."""
    if column not in NUMBER_COLUMNS:
        raise ValueError(
            f"compare compares one of the columns {', '.join(NUMBER_COLUMNS)}. "
            f"Received: column={column!r}"
        )
    _check_table(table, "compare", ("name", column))
    if not isinstance(expected, dict):
        raise TypeError(
            "compare needs `expected` as a dict {layer name: number}. "
            f"Received: {_describe(expected)}"
        )
    ours_by_name = table.set_index("name")[column]
    missing = [name for name in expected if name not in ours_by_name.index]
    if missing:
        calls = [
            f"'{name}' is called more than once; name one call, e.g. '{name} (call 1)'"
            for name in missing
            if f"{name} (call 1)" in ours_by_name.index
        ]
        raise ValueError(
            f"compare: no layer named {', '.join(repr(n) for n in missing)} in the table"
            f"{'; ' + '; '.join(calls) if calls else ''}. Its names are: "
            f"{', '.join(ours_by_name.index)}. Received: {', '.join(repr(n) for n in missing)}"
        )
    rows = [
        {"layer": name, "ours": int(ours_by_name[name]), "reference": value,
         "match": int(ours_by_name[name]) == value}
        for name, value in expected.items()
    ]  # fmt: skip
    return pd.DataFrame(rows)


# --- Blocks of layers: a paper's table rows ----------------------------------------------------
def block_totals(model, block_of):
    """Weights, parameters and MACs of `model` summed per block of layers, e.g. per row of a
    paper's table. `block_of(layer_name)` names the block a layer belongs to, or returns None for
    a layer in no block.

    `weights` leaves out biases, batch-norm shifts and statistics and fixed parameters, as papers
    that count "weights" do (GoogLeNet's Table 1). Every count comes from `layer_table`'s rules,
    checked against Keras.

    Returns:
        A DataFrame indexed by block (in the order the model computes them): weights, params,
        macs.
    """
    if not callable(block_of):
        raise TypeError(
            "block_totals needs `block_of`, a function from a layer name to its block (or None). "
            f"Received: {_describe(block_of)}"
        )
    sums = {}
    for row in _rows(model):
        block = block_of(row["layer"])
        if block is not None:
            total = sums.setdefault(block, {"weights": 0, "params": 0, "macs": 0})
            for key in total:
                total[key] += int(row[key])
    if not sums:
        raise ValueError(
            f"block_of puts no layer of model '{model.name}' in a block (it returned None for "
            f"every layer name). Received: block_of={block_of!r}"
        )
    frame = pd.DataFrame.from_dict(sums, orient="index")
    frame.index.name = "block"
    return frame


def _check_unit(argument, unit):
    name, size = unit if isinstance(unit, tuple) and len(unit) == 2 else (None, None)
    if not isinstance(name, str) or not isinstance(size, numbers.Real) or size <= 0:
        raise ValueError(
            f"`{argument}` must be (name, size), e.g. ('K', 1024). Received: {argument}={unit!r}"
        )
    return name, size


def compare_blocks(
    model, block_of, paper_weights, paper_macs=None, weight_unit=("K", 1024), mac_unit=("M", 10**6)
):
    """A paper's per-block table beside ours: our weights (biases not counted) and MACs summed
    per block (`block_totals`), in the paper's units, beside the paper's columns. One row per
    block of `paper_weights`, in its order; a difference far beyond rounding is a row where the
    paper disagrees with the arithmetic of its own widths.

    Args:
        model: a built Functional or Sequential keras.Model.
        block_of: a function from a layer name to the paper's row it belongs to, or None.
        paper_weights: {row: the paper's weights, in `weight_unit`}.
        paper_macs: {row: the paper's multiply-adds ("ops"), in `mac_unit`}, or None.
        weight_unit, mac_unit: (name, size), e.g. ("K", 1024) for GoogLeNet's K = 1,024 weights.

    Returns:
        A DataFrame: row, weights, params_<K>, paper_params_<K>, difference_<K>, and with
        `paper_macs`, MACs_<M>, paper_ops_<M>.
    """
    w_name, w_size = _check_unit("weight_unit", weight_unit)
    m_name, m_size = _check_unit("mac_unit", mac_unit)
    for argument, value in (("paper_weights", paper_weights), ("paper_macs", paper_macs)):
        if not isinstance(value, dict) and (value is not None or argument == "paper_weights"):
            raise TypeError(
                f"compare_blocks needs `{argument}` as a dict {{row: number}}. "
                f"Received: {_describe(value)}"
            )
    if paper_macs is not None and list(paper_macs) != list(paper_weights):
        raise ValueError(
            "compare_blocks needs the same rows, in the same order, in paper_weights and "
            f"paper_macs. Received: {list(paper_weights)} and {list(paper_macs)}"
        )
    ours = block_totals(model, block_of)
    missing = [row for row in paper_weights if row not in ours.index]
    extra = [row for row in ours.index if row not in paper_weights]
    if missing or extra:
        raise ValueError(
            f"compare_blocks: the paper's rows and the blocks of model '{model.name}' differ: "
            f"the paper's {missing} have no layer in the model, the model's {extra} no row in "
            f"the paper. Received: paper rows {list(paper_weights)}, model blocks "
            f"{list(ours.index)}"
        )
    rows = []
    for row, paper in paper_weights.items():
        ours_w = ours.loc[row, "weights"] / w_size
        entry = {
            "row": row,
            "weights": int(ours.loc[row, "weights"]),
            f"params_{w_name}": round(ours_w, 1),
            f"paper_params_{w_name}": paper,
            f"difference_{w_name}": round(ours_w - paper, 1),
        }
        if paper_macs is not None:
            entry[f"MACs_{m_name}"] = round(int(ours.loc[row, "macs"]) / m_size, 1)
            entry[f"paper_ops_{m_name}"] = paper_macs[row]
        rows.append(entry)
    return pd.DataFrame(rows)
