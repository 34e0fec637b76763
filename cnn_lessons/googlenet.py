"""GoogLeNet (Inception v1): Szegedy, Liu, Jia, Sermanet, Reed, Anguelov, Erhan, Vanhoucke and
Rabinovich, "Going Deeper with Convolutions", CVPR 2015 (arXiv:1409.4842).

Table 1 of the paper is held below as data, and `googlenet` walks it:
- `googlenet()` is the paper's network: 6,998,552 parameters (with biases) and 1.58 billion
  multiply-adds at 224x224 (the paper's budget is about 1.5 billion; its Table 1 gives conv1 34M
  where 112*112*64 outputs of 7*7*3 weights make 118M). `table1_row` names the row of Table 1
  each layer belongs to, so `arithmetic.compare_blocks(model, table1_row, ...)` sets our counts
  beside Table 1's params and ops columns (`references.GOOGLENET`).
- `googlenet(aux_heads=True)` adds the two auxiliary classifiers of section 5 on 4a and 4d
  (13,378,280 parameters) and returns a training model with three outputs; train it with a
  recipe whose `output_weights` are (1, 0.3, 0.3) (`training.train` does the rest), and predict
  with `inference_model(model)`, which shares its weights and drops the heads.
- `googlenet_cifar()` is a named adaptation for 32x32 CIFAR-10 images: a one-conv stem and five
  modules of the same table (3a, 3b, 4a, 4b, 4c) at a quarter of its widths, with an optional
  auxiliary head on 4a.
- `copied_inception_module` is a widely copied mistake (projection before pooling), kept only to
  demonstrate that it computes another function.
"""

from functools import partial

from ._keras import keras, layers
from .layers import LocalResponseNormalization
from .validation import (
    check_channels_last,
    check_classifier,
    check_flag,
    check_input_shape,
    check_name,
    is_integer,
    positive_int,
)

# Table 1, the inception rows: the paper's six columns, in the paper's order.
COLUMNS = ("#1x1", "#3x3 reduce", "#3x3", "#5x5 reduce", "#5x5", "pool proj")
TABLE_1 = {
    #      #1x1 #3x3r #3x3 #5x5r #5x5 pool proj       input          -> output (at 224 px)
    "3a": (64, 96, 128, 16, 32, 32),  #         28x28x192 -> 28x28x256
    "3b": (128, 128, 192, 32, 96, 64),  #       28x28x256 -> 28x28x480
    "4a": (192, 96, 208, 16, 48, 64),  #        14x14x480 -> 14x14x512
    "4b": (160, 112, 224, 24, 64, 64),  #       14x14x512 -> 14x14x512
    "4c": (128, 128, 256, 24, 64, 64),  #       14x14x512 -> 14x14x512
    "4d": (112, 144, 288, 32, 64, 64),  #       14x14x512 -> 14x14x528
    "4e": (256, 160, 320, 32, 128, 128),  #     14x14x528 -> 14x14x832
    "5a": (256, 160, 320, 32, 128, 128),  #       7x7x832 -> 7x7x832
    "5b": (384, 192, 384, 48, 128, 128),  #       7x7x832 -> 7x7x1024
}
# Table 1's stem rows: conv1 7x7/2 with 64 maps; conv2 3x3 with 192 maps after a 1x1 "#3x3
# reduce" of 64.
STEM = {"conv1": 64, "conv2_reduce": 64, "conv2": 192}
# The modules in order; a 3x3/2 max pool separates the stages (28x28 -> 14x14 -> 7x7).
STAGES = (("3a", "3b"), ("4a", "4b", "4c", "4d", "4e"), ("5a", "5b"))
# Section 5: auxiliary classifiers on top of the outputs of 4a and 4d.
AUX_HEADS = {"4a": "aux1", "4d": "aux2"}
AUX_LOSS_WEIGHT = 0.3  # section 5: the auxiliary losses are added to the total with weight 0.3
# Table 1's rows that have parameters, in its order; `table1_row` names each layer's row.
TABLE_1_ROWS = ("conv1", "conv2", *TABLE_1, "linear")

# The stem and the three stage pools halve the map five times ('same' padding rounds up), and the
# 7x7 average pool needs a 7x7 map: ceil(n / 32) >= 7, so n >= 6 * 32 + 1 = 193. Inputs of 193 to
# 224 pixels all give the paper's 7x7 map and its parameter counts; larger ones widen `linear`.
MIN_INPUT_SIZE = 193

# The paper gives no LRN constants. These are those of the BVLC Caffe replication of GoogLeNet
# (local_size 5, alpha 1e-4, beta 0.75, k 1), with Caffe's alpha divided by n = 5 because our
# layer uses alpha as written (see LocalResponseNormalization).
LRN = partial(LocalResponseNormalization, size=5, k=1.0, alpha=1e-4 / 5, beta=0.75)

# Every convolution in GoogLeNet is followed by a ReLU ("All the convolutions, including those
# inside the Inception modules, use rectified linear activation"); 'same' padding keeps the maps
# at the sizes of Table 1. The paper names no initialization. He et al.'s (2015), scaled for
# ReLUs (variance 2 / fan-in), keeps the signal's size through this network without batch norm:
# it beat Keras's Glorot default on chapter 4's validation share with seeds 0, 1 and 2 (paired
# gain 2.0 points, standard error 0.5: benchmarks/RESULTS.md). The name gives each layer its
# own initializer, so no two layers share a kernel.
Conv = partial(layers.Conv2D, padding="same", activation="relu", kernel_initializer="he_normal")


def _check_row(name, widths):
    """The six widths as Python ints, if each is a positive integer (NumPy's too)."""
    if len(widths) != len(COLUMNS) or not all(is_integer(w) and w >= 1 for w in widths):
        received = ", ".join(f"{column}={width!r}" for column, width in zip(COLUMNS, widths))
        raise ValueError(
            f"{name}: an inception row needs six positive integer widths "
            f"({', '.join(COLUMNS)}). Received: ({received})"
        )
    return tuple(int(w) for w in widths)


def _inception(x, widths, name, project_first):
    check_channels_last(f"The inception module {name}")
    n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj = _check_row(name, widths)
    branch1 = Conv(n1x1, 1, name=f"{name}_1x1")(x)
    branch2 = Conv(n3x3_reduce, 1, name=f"{name}_3x3_reduce")(x)
    branch2 = Conv(n3x3, 3, name=f"{name}_3x3")(branch2)
    branch3 = Conv(n5x5_reduce, 1, name=f"{name}_5x5_reduce")(x)
    branch3 = Conv(n5x5, 5, name=f"{name}_5x5")(branch3)
    pool = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")
    project = Conv(pool_proj, 1, name=f"{name}_pool_proj")
    branch4 = pool(project(x)) if project_first else project(pool(x))
    return layers.Concatenate(name=f"{name}_concat")([branch1, branch2, branch3, branch4])


def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj, name):
    """The inception module with dimension reductions (Figure 2b), its arguments in Table 1's
    column order.

    Four branches see the same input and are concatenated along the channels:
    1x1 conv; 1x1 reduce then 3x3 conv; 1x1 reduce then 5x5 conv; 3x3 max pool with stride 1 then
    a 1x1 "pool proj" conv. Every conv has a ReLU. The output has
    n1x1 + n3x3 + n5x5 + pool_proj channels at the input's resolution.

    Args:
        x: a (batch, height, width, channels) tensor.
        n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj: the widths of Table 1's columns.
        name: prefix of the layer names, e.g. "inception_3a" gives inception_3a_1x1, ...,
            inception_3a_pool, inception_3a_pool_proj, inception_3a_concat.

    Raises:
        ValueError: if a width is not a positive integer.
    """
    widths = (n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj)
    return _inception(x, widths, name, project_first=False)


def copied_inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj, name):
    """A widely copied WRONG inception module, for demonstration only: its pool branch applies
    the 1x1 projection first and max-pools the projection.

    It has the same layers, names and weights as `inception_module`, so weights transfer between
    the two, but it computes another function: max pooling does not commute with a convolution
    whose weights have mixed signs, so max(W x) != W max(x). Everything else is identical.
    """
    widths = (n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj)
    return _inception(x, widths, name, project_first=True)


def auxiliary_head(x, name, classes, classifier_activation="softmax", filters=128, units=1024):
    """An auxiliary classifier of section 5: average pool 5x5/3, 1x1 conv (128) + ReLU, FC (1024)
    + ReLU, dropout 0.7, FC `classes`. On a 14x14 map the pool leaves 4x4, so the first FC sees
    4*4*128 = 2,048 inputs. Layers are named `<name>_pool`, `_conv`, `_flatten`, `_fc`,
    `_dropout`, `_linear`."""
    classes, classifier_activation = check_classifier(classes, classifier_activation)
    filters = positive_int("filters", filters)
    units = positive_int("units", units)
    x = layers.AveragePooling2D(5, strides=3, name=f"{name}_pool")(x)  # 14x14 -> 4x4
    x = Conv(filters, 1, name=f"{name}_conv")(x)
    x = layers.Flatten(name=f"{name}_flatten")(x)
    x = layers.Dense(units, activation="relu", name=f"{name}_fc")(x)
    x = layers.Dropout(0.7, name=f"{name}_dropout")(x)
    return layers.Dense(classes, activation=classifier_activation, name=f"{name}_linear")(x)


def _modules(x, stages, rows, aux_heads, aux_head):
    """Walk the stages of inception modules; return the last output and the auxiliary outputs."""
    aux_outputs = []
    for index, stage in enumerate(stages):
        if index:  # between stages: max pool 3x3/2 halves the map
            x = layers.MaxPooling2D(3, 2, padding="same", name=f"pool{stages[index - 1][-1][0]}")(x)
        for label in stage:
            x = inception_module(x, *rows[label], name=f"inception_{label}")
            if aux_heads and label in AUX_HEADS:
                aux_outputs.append(aux_head(x, AUX_HEADS[label]))
    return x, aux_outputs


def googlenet(
    aux_heads=False,
    lrn=True,
    input_shape=(224, 224, 3),
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """Build GoogLeNet as in Table 1 of Szegedy et al. (2014).

    Stem: conv1 7x7/2 (64), max pool 3x3/2, LRN, conv2_reduce 1x1 (64), conv2 3x3 (192), LRN, max
    pool 3x3/2. Then inception 3a, 3b, max pool, 4a..4e, max pool, 5a, 5b. Head: average pool
    7x7/1, dropout 0.4, `linear` (Table 1's "linear" row, carrying the classifier activation that
    Table 1 lists as "softmax"). ReLU after every conv.

    Args:
        aux_heads: add the auxiliary classifiers on 4a (`aux1_*`) and 4d (`aux2_*`); the model
            then has three outputs, [main, aux1, aux2]. See `inference_model`.
        lrn: keep the two local response normalizations of the stem (Figure 3); they have no
            parameters.
        input_shape: (height, width, channels), at least 193x193 (224 in the paper).
        classes: number of output units of every classifier.
        classifier_activation: activation of the classifiers (`None` gives logits).
        name: model name; defaults to "googlenet".

    Returns:
        A `keras.Model`: 6,998,552 parameters at 224x224 with 1000 classes, 13,378,280 with the
        auxiliary heads.
    """
    check_channels_last("GoogLeNet")
    aux_heads = check_flag("aux_heads", aux_heads)
    lrn = check_flag("lrn", lrn)
    input_shape = check_input_shape("GoogLeNet", input_shape, MIN_INPUT_SIZE)
    classes, classifier_activation = check_classifier(classes, classifier_activation)
    check_name(name)

    inputs = keras.Input(shape=input_shape, name="input")  # 224x224x3
    x = Conv(STEM["conv1"], 7, strides=2, name="conv1")(inputs)  # 112x112x64
    x = layers.MaxPooling2D(3, 2, padding="same", name="pool1")(x)  # 56x56x64
    if lrn:
        x = LRN(name="lrn1")(x)
    x = Conv(STEM["conv2_reduce"], 1, name="conv2_reduce")(x)  # 56x56x64
    x = Conv(STEM["conv2"], 3, name="conv2")(x)  # 56x56x192
    if lrn:
        x = LRN(name="lrn2")(x)
    x = layers.MaxPooling2D(3, 2, padding="same", name="pool2")(x)  # 28x28x192

    aux_head = partial(auxiliary_head, classes=classes, classifier_activation=classifier_activation)
    # 28x28x256 (3a) ... 28x28x480 (3b) -> 14x14 (4a..4e) -> 7x7x1024 (5b)
    x, aux_outputs = _modules(x, STAGES, TABLE_1, aux_heads, aux_head)

    x = layers.AveragePooling2D(7, strides=1, name="avg_pool")(x)  # 1x1x1024
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.4, name="dropout")(x)
    outputs = layers.Dense(classes, activation=classifier_activation, name="linear")(x)
    return keras.Model(
        inputs, [outputs, *aux_outputs] if aux_heads else outputs, name=name or "googlenet"
    )


# The CIFAR-10 adaptation: Table 1's rows at a quarter of their widths (every paper width is a
# multiple of 4), modules 3a to 4c only, and a one-conv stem.
CIFAR_WIDTH_DIVISOR = 4
CIFAR_TABLE = {
    label: tuple(w // CIFAR_WIDTH_DIVISOR for w in row) for label, row in TABLE_1.items()
}
CIFAR_STAGES = (("3a", "3b"), ("4a", "4b", "4c"))
CIFAR_STEM = STEM["conv2"] // CIFAR_WIDTH_DIVISOR  # 48 maps, what 3a sees in the paper, quartered
# Two halvings (stem pool, pool3) leave 8x8 at 32 px; the auxiliary head's 5x5 pool needs a 5x5
# map after them: ceil(n / 4) >= 5, so n >= 17.
CIFAR_MIN_INPUT_SIZE = 17


def googlenet_cifar(
    aux_heads=False,
    input_shape=(32, 32, 3),
    classes=10,
    classifier_activation="softmax",
    name=None,
):
    """A small-image adaptation of GoogLeNet for 32x32 CIFAR-10 (not the paper's network).

    What changes, and why:
    - stem: one 3x3 conv (48 maps) and one max pool 3x3/2 (32x32 -> 16x16) instead of the
      paper's 7x7/2 conv, two pools and two LRNs, which would shrink a 32 px image to 8x8 before
      the first module;
    - modules: 3a, 3b at 16x16, max pool, 4a, 4b, 4c at 8x8; 4d, 4e, 5a and 5b are dropped, and
      with them the paper's second auxiliary head (on 4d);
    - widths: every column of Table 1 divided by 4, built with the same `inception_module`;
    - auxiliary head (optional): on 4a as in the paper, at a quarter width (32 filters, 256
      units), its 5x5/3 pool leaving 2x2;
    - head: global average pooling (8x8), dropout 0.4, `linear`.
    The point of the sizing is time: about 15.5 million multiply-adds per image, so that a
    training step runs at a few hundred images per second on a 2-core CPU.

    Args:
        aux_heads: add the auxiliary classifier `aux1_*` on 4a; the model then has two outputs,
            [main, aux1]. See `inference_model`.
        input_shape: (height, width, channels), at least 17x17 (32 for CIFAR-10).
        classes: number of output units of every classifier.
        classifier_activation: activation of the classifiers (`None` gives logits).
        name: model name; defaults to "googlenet_cifar".

    Returns:
        A `keras.Model`.
    """
    check_channels_last("The CIFAR GoogLeNet")
    aux_heads = check_flag("aux_heads", aux_heads)
    input_shape = check_input_shape("The CIFAR GoogLeNet", input_shape, CIFAR_MIN_INPUT_SIZE)
    classes, classifier_activation = check_classifier(classes, classifier_activation)
    check_name(name)

    inputs = keras.Input(shape=input_shape, name="input")  # 32x32x3
    x = Conv(CIFAR_STEM, 3, name="conv1")(inputs)  # 32x32x48
    x = layers.MaxPooling2D(3, 2, padding="same", name="pool1")(x)  # 16x16x48
    aux_head = partial(
        auxiliary_head, classes=classes, classifier_activation=classifier_activation,
        filters=128 // CIFAR_WIDTH_DIVISOR, units=1024 // CIFAR_WIDTH_DIVISOR,
    )  # fmt: skip
    # 16x16x64 (3a), 16x16x120 (3b) -> 8x8x128 (4a, 4b, 4c)
    x, aux_outputs = _modules(x, CIFAR_STAGES, CIFAR_TABLE, aux_heads, aux_head)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)  # 128
    x = layers.Dropout(0.4, name="dropout")(x)
    outputs = layers.Dense(classes, activation=classifier_activation, name="linear")(x)
    return keras.Model(
        inputs, [outputs, *aux_outputs] if aux_heads else outputs, name=name or "googlenet_cifar"
    )


# The network without its heads ---------------------------------------------------------------


def inference_model(training_model, name=None):
    """The network without its auxiliary heads, sharing the training model's layers (and so its
    weights: training one trains the other). The paper discards the heads at inference."""
    return keras.Model(
        training_model.input,
        training_model.get_layer("linear").output,
        name=name or f"{training_model.name}_inference",
    )


# Table 1's rows, as the layers name them -------------------------------------------------------


def table1_row(layer_name):
    """The row of Table 1 that a layer belongs to (conv1, conv2, 3a..5b, linear), or None for the
    layers that Table 1's params column leaves out (pools, normalizations, auxiliary heads).
    conv2 is conv2_reduce + conv2; a module is its six convolutions (and its pool)."""
    if layer_name in ("conv1", "linear"):
        return layer_name
    if layer_name in ("conv2_reduce", "conv2"):
        return "conv2"
    if layer_name.startswith("inception_"):
        return layer_name.split("_")[1]
    return None
