"""VGG: Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015 (arXiv:1409.1556, 2014), Table 1.

Every configuration of Table 1 lives in one table, `TABLE_1`, written in the paper's own notation
(`conv3-64` is a 3x3 convolution with 64 filters, `conv1-256` a 1x1 one); one builder, `vgg`,
walks it. `vgg11`, `vgg13`, `vgg16` and `vgg19` are configurations A, B, D and E.

Parameters (Table 2 rounds them to 133, 133, 134, 138 and 144 million):
A 132,863,336 · A-LRN 132,863,336 · B 133,047,848 · C 133,638,952 · D 138,357,544 · E 143,667,240.

Also here:
- `vgg_cifar`: a named small-image adaptation for 32x32 CIFAR-10 (the same stacks, fewer
  channels, batch normalization, a small head).
- `copied_vgg16`: a widely copied Keras "VGG-16" that is not VGG-16 (global average pooling
  before the classifier, a hard-coded 1000-way output); kept to be counted and criticized.
"""

import re
from functools import partial

from ._keras import keras, layers
from .layers import LocalResponseNormalization
from .validation import (
    check_channels_last,
    check_choice,
    check_classifier,
    check_flag,
    check_input_shape,
    check_name,
    check_rate,
    positive_int,
)

# Table 1, one column per configuration, one tuple per block of convolutions; every block ends
# in a 2x2/2 max pool (the table's "maxpool" rows). Shapes are at the paper's 224x224x3 input.
TABLE_1 = {
    "A": (
        ("conv3-64",),  # -> 224x224x64, pool1 -> 112x112x64
        ("conv3-128",),  # -> 112x112x128, pool2 -> 56x56x128
        ("conv3-256", "conv3-256"),  # -> 56x56x256, pool3 -> 28x28x256
        ("conv3-512", "conv3-512"),  # -> 28x28x512, pool4 -> 14x14x512
        ("conv3-512", "conv3-512"),  # -> 14x14x512, pool5 -> 7x7x512
    ),
    "A-LRN": (
        ("conv3-64", "LRN"),
        ("conv3-128",),
        ("conv3-256", "conv3-256"),
        ("conv3-512", "conv3-512"),
        ("conv3-512", "conv3-512"),
    ),
    "B": (
        ("conv3-64", "conv3-64"),
        ("conv3-128", "conv3-128"),
        ("conv3-256", "conv3-256"),
        ("conv3-512", "conv3-512"),
        ("conv3-512", "conv3-512"),
    ),
    "C": (
        ("conv3-64", "conv3-64"),
        ("conv3-128", "conv3-128"),
        ("conv3-256", "conv3-256", "conv1-256"),
        ("conv3-512", "conv3-512", "conv1-512"),
        ("conv3-512", "conv3-512", "conv1-512"),
    ),
    "D": (
        ("conv3-64", "conv3-64"),
        ("conv3-128", "conv3-128"),
        ("conv3-256", "conv3-256", "conv3-256"),
        ("conv3-512", "conv3-512", "conv3-512"),
        ("conv3-512", "conv3-512", "conv3-512"),
    ),
    "E": (
        ("conv3-64", "conv3-64"),
        ("conv3-128", "conv3-128"),
        ("conv3-256", "conv3-256", "conv3-256", "conv3-256"),
        ("conv3-512", "conv3-512", "conv3-512", "conv3-512"),
        ("conv3-512", "conv3-512", "conv3-512", "conv3-512"),
    ),
}
# The bottom of Table 1, shared by every configuration: FC-4096, FC-4096, FC-1000, soft-max.
CLASSIFIER = ("FC-4096", "FC-4096", "FC-1000")
DROPOUT = 0.5  # section 3.1: dropout regularisation on the first two fully connected layers
MIN_INPUT_SIZE = 32  # five 2x2/2 pools: 32 px is the smallest input that leaves 1x1 at pool5
# `vgg_cifar`'s widest settings: twice the paper's block-1 width (config E then has 80 million
# convolution weights, already too many for a CPU run) and the paper's 4,096 units in fc6/fc7.
# A larger value is far more likely a typo than a plan, and would exhaust memory while building.
CIFAR_MAX_WIDTH = 128
CIFAR_MAX_FC_UNITS = 4096


def parse(entry):
    """A Table 1 entry as (kind, kernel_size, filters): `"conv3-256"` -> ("conv", 3, 256),
    `"LRN"` -> ("lrn", None, None)."""
    if entry == "LRN":
        return "lrn", None, None
    match = re.fullmatch(r"conv(\d+)-(\d+)", entry)
    if match is None:
        raise ValueError(f"Not a Table 1 entry (conv<k>-<filters> or LRN). Received: {entry!r}")
    return "conv", int(match[1]), int(match[2])


def depth(config):
    """Weight layers of a configuration: its convolutions plus the three fully connected layers
    (A: 11, B: 13, C and D: 16, E: 19), the number in the names VGG-11 ... VGG-19."""
    check_choice("config", config, tuple(TABLE_1))
    convs = sum(parse(entry)[0] == "conv" for block in TABLE_1[config] for entry in block)
    return convs + len(CLASSIFIER)


def conv_stacks(x, config, width=64, batch_norm=False):
    """The five blocks of `config`: named convolutions (conv<block>_<n>), `norm<block>` for
    A-LRN's LRN, then pool<block>. `width` scales every layer's filters by width/64 (64 is the
    paper); with `batch_norm`, each convolution is conv (no bias) -> batch norm -> ReLU."""
    config = check_choice("config", config, tuple(TABLE_1))
    width = positive_int("width", width)
    batch_norm = check_flag("batch_norm", batch_norm)
    for block_index, block in enumerate(TABLE_1[config], start=1):
        n_conv = 0
        for entry in block:
            kind, kernel_size, filters = parse(entry)
            if kind == "lrn":
                # Section 2.1: where LRN is used, its parameters are those of Krizhevsky et al.
                # (2012), the defaults of our layer: n = 5, k = 2, alpha = 1e-4, beta = 0.75.
                x = LocalResponseNormalization(name=f"norm{block_index}")(x)
                continue
            n_conv += 1
            name = f"conv{block_index}_{n_conv}"
            filters = filters * width // 64
            if batch_norm:
                # The batch-norm shift does the bias's job, so the convolution has none.
                x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=False, name=name)(
                    x
                )
                # Momentum 0.9 (Keras defaults to 0.99) so the moving statistics used at test
                # time catch up within the few hundred steps of a short CPU run.
                x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
                x = layers.Activation("relu", name=f"{name}_relu")(x)
            else:
                # Section 2.1: stride 1, padding 1 for 3x3 ("same"), ReLU after every convolution.
                x = layers.Conv2D(
                    filters, kernel_size, padding="same", activation="relu", name=name
                )(x)
        x = layers.MaxPooling2D(2, strides=2, name=f"pool{block_index}")(x)  # halves H and W
    return x


def vgg(
    config="D",
    input_shape=(224, 224, 3),
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """Build one configuration of Simonyan and Zisserman (2014), Table 1, exactly.

    Layers are named after the paper's blocks: conv1_1 ... conv5_4 (block, then position in the
    block), norm1 (A-LRN's LRN), pool1 ... pool5, then flatten, fc6, drop6, fc7, drop7, fc8.

    The paper's input is a 224x224 RGB crop with the training set's mean RGB value subtracted
    (section 2.1); as in keras.applications, that preprocessing is left to the caller.

    Other input sizes build too (at least 32x32): the convolutions keep the size and each pool
    halves it, rounding down, so pool5 is (H // 32) x (W // 32) x 512 and fc6 has
    (H // 32) * (W // 32) * 512 * 4096 + 4096 parameters instead of 7*7*512*4096 + 4096 =
    102,764,544. The counts in the module docstring hold at 224x224 only. (The paper itself
    evaluated "densely" at other sizes by turning the FC layers into convolutions, section 3.2.)

    Args:
        config: a column of Table 1: "A", "A-LRN", "B", "C", "D" or "E".
        input_shape: (height, width, channels), at least 32x32.
        classes: units of fc8 (1000 for ImageNet).
        classifier_activation: activation of fc8 (`None` gives logits).
        name: model name; defaults to e.g. "vgg16_D".

    Returns:
        A `keras.Model`.
    """
    check_channels_last("VGG")
    config = check_choice("config", config, tuple(TABLE_1))
    input_shape = check_input_shape(f"VGG ({config})", input_shape, MIN_INPUT_SIZE)
    classes, classifier_activation = check_classifier(classes, classifier_activation)
    check_name(name)

    inputs = keras.Input(shape=input_shape, name="input")  # 224x224x3
    x = conv_stacks(inputs, config)  # 7x7x512
    x = layers.Flatten(name="flatten")(x)  # 25,088
    for index, entry in enumerate(CLASSIFIER[:-1], start=6):  # fc6, fc7: 4096 each
        x = layers.Dense(int(entry.split("-")[1]), activation="relu", name=f"fc{index}")(x)
        x = layers.Dropout(DROPOUT, name=f"drop{index}")(x)
    outputs = layers.Dense(classes, activation=classifier_activation, name="fc8")(x)  # classes
    return keras.Model(inputs, outputs, name=name or f"vgg{depth(config)}_{config}")


vgg11 = partial(vgg, "A")
vgg13 = partial(vgg, "B")
vgg16 = partial(vgg, "D")
vgg19 = partial(vgg, "E")


def vgg_cifar(
    config="A",
    width=16,
    input_shape=(32, 32, 3),
    classes=10,
    fc_units=128,
    dropout=0.3,
    batch_norm=True,
    classifier_activation="softmax",
    name=None,
):
    """A VGG for 32x32 images (CIFAR-10): a documented adaptation, not a configuration of the paper.

    What stays: the stacks of 3x3 convolutions (stride 1, "same") of any Table 1 column, five
    blocks each ending in a 2x2/2 max pool (32 px -> 1x1 after pool5), names as in `vgg`.

    What changes, and why:
    - Fewer channels: `width` filters in block 1 instead of 64, doubling as in the paper
      (width, 2w, 4w, 8w, 8w). At width 16 a 32 px image costs config A ~10 million
      multiply-accumulates (`arithmetic.layer_table`) instead of the paper net's 7.6 billion at
      224 px, so it trains at a few hundred images/s on a 2-core CPU.
    - Batch normalization (Ioffe and Szegedy, 2015, a year after VGG) after every convolution,
      before the ReLU, with momentum 0.9 so its test-time statistics settle within a short run.
      Section 3.1: "bad initialisation can stall learning" in deep nets, so the paper trained A
      from random weights and started B-E from A's trained layers; batch normalization lets
      every configuration train from scratch, at a high learning rate, in a few epochs, so a
      shallow and a deep column can be compared on the same short budget. `batch_norm=False`
      shows what happens without it.
    - A small head: flatten (8*width values at 32 px) -> fc6 and fc7 of `fc_units`, each with
      ReLU and `dropout`, -> fc8 of `classes`: the paper's three fully connected layers, with
      34,314 parameters at the defaults instead of 123,642,856. Dropout defaults to 0.3, not
      0.5: a head this small, trained for a few epochs, needs less regularization.

    Args:
        config: the Table 1 column whose stacks to use ("A" shallowest ... "E" deepest).
        width: filters in block 1, an integer from 1 to 128 (the paper's is 64).
        input_shape: (height, width, channels), at least 32x32.
        classes: units of fc8.
        fc_units: units of fc6 and fc7, from 1 to 4096 (the paper's).
        dropout: dropout rate after fc6 and fc7, in [0, 1).
        batch_norm: conv (no bias) -> batch norm -> ReLU when True, conv -> ReLU when False.
        classifier_activation: activation of fc8 (`None` gives logits).
        name: model name; defaults to e.g. "vgg11_cifar_A".

    Returns:
        A `keras.Model`.
    """
    check_channels_last("The CIFAR VGG")
    config = check_choice("config", config, tuple(TABLE_1))
    width = positive_int("width", width, maximum=CIFAR_MAX_WIDTH)
    input_shape = check_input_shape(f"The CIFAR VGG ({config})", input_shape, MIN_INPUT_SIZE)
    classes, classifier_activation = check_classifier(classes, classifier_activation)
    fc_units = positive_int("fc_units", fc_units, maximum=CIFAR_MAX_FC_UNITS)
    dropout = check_rate("dropout", dropout)
    batch_norm = check_flag("batch_norm", batch_norm)
    check_name(name)

    inputs = keras.Input(shape=input_shape, name="input")  # 32x32x3
    x = conv_stacks(inputs, config, width=width, batch_norm=batch_norm)  # 1x1x(8*width)
    x = layers.Flatten(name="flatten")(x)  # 8*width
    for index in (6, 7):
        x = layers.Dense(fc_units, activation="relu", name=f"fc{index}")(x)
        x = layers.Dropout(dropout, name=f"drop{index}")(x)
    outputs = layers.Dense(classes, activation=classifier_activation, name="fc8")(x)
    return keras.Model(inputs, outputs, name=name or f"vgg{depth(config)}_cifar_{config}")


def copied_vgg16(input_shape=(224, 224, 3), n_classes=10):
    """A widely copied Keras "VGG-16" that is not VGG-16 (do not use it as VGG-16).

    Its 13 convolutions are D's, but it ends in global average pooling, so the classifier sees
    512 values instead of 7x7x512 = 25,088, and its last layer is a hard-coded `Dense(1000)`:
    the `n_classes` argument is accepted and never used. Its parameters, at any input size:

        convolutions (as D)                          14,714,688
        fc6  (512 + 1) * 4096                         2,101,248   (VGG-16: 102,764,544)
        fc7  (4096 + 1) * 4096                       16,781,312
        fc8  (4096 + 1) * 1000                        4,097,000
        total                                        37,694,248   (VGG-16: 138,357,544)

    Args:
        input_shape: (height, width, channels), at least 32x32.
        n_classes: ignored, as in the copied code: the output always has 1000 units.
    """
    check_channels_last("The copied VGG-16")
    input_shape = check_input_shape("The copied VGG-16", input_shape, MIN_INPUT_SIZE)
    del n_classes  # the mistake being demonstrated: the argument never reaches the model
    inputs = keras.Input(shape=input_shape, name="input")
    x = conv_stacks(inputs, "D")  # 7x7x512 at 224 px
    x = layers.GlobalAveragePooling2D(name="global_pool")(x)  # 512: the 7x7 positions averaged
    x = layers.Dense(4096, activation="relu", name="fc6")(x)
    x = layers.Dense(4096, activation="relu", name="fc7")(x)
    outputs = layers.Dense(1000, activation="softmax", name="fc8")(x)  # should be n_classes
    return keras.Model(inputs, outputs, name="copied_vgg16")
