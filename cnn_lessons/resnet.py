"""ResNet: He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition", CVPR 2016
(arXiv:1512.03385, 2015).

A block learns a residual F(x) and outputs relu(F(x) + shortcut(x)); the shortcut is the identity
wherever the shapes allow it, so a very deep network can still fall back on copying its input.

Two families, each written once as data and walked by one builder:
- ImageNet (section 3.4, Table 1): `resnet(depth)` for 18, 34, 50, 101, 152, and the one-line
  variants `resnet18` ... `resnet152`. Option B shortcuts (a projection only where the shape
  changes), no convolution biases: trainable counts equal torchvision's.
- CIFAR-10 (section 4.2): `resnet_cifar(depth)` for depth = 6n + 2 (20, 32, 44, 56, 110), with
  option A shortcuts (parameter-free) by default, and the paper's plain twins (`plain=True`).

Layer names follow keras.applications (`conv1_conv`, `conv2_block1_1_conv`, `conv2_block1_0_conv`
for a projection shortcut, `conv2_block1_add`, `conv2_block1_out`, `avg_pool`, `predictions`), so
`resnet50(conv_bias=True)` has exactly keras.applications.ResNet50's layers.

`copied_resnet` reproduces two mistakes of widely copied Keras code; it is wrong on purpose.
"""

from functools import partial

from ._keras import keras, layers
from .layers import SubsampleZeroPad
from .validation import (
    check_channels_last,
    check_choice,
    check_classifier,
    check_flag,
    check_input_shape,
    check_name,
    is_integer,
)

# Table 1: the block each depth uses and how many blocks each stage stacks.
TABLE_1 = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
# The stages, as Table 1 names them, with their width (the 3x3 convolutions' filters; a
# bottleneck block outputs 4x as many) and output size at 224x224 input.
STAGES = (("conv2", 64, 56), ("conv3", 128, 28), ("conv4", 256, 14), ("conv5", 512, 7))
MIN_INPUT_SIZE = 32  # five stride-2 steps (conv1, pool1, conv3..conv5) leave at least 1x1

# Section 4.2: three stages of 2n layers, 16/32/64 filters on 32x32/16x16/8x8 maps.
CIFAR_STAGES = (("conv2", 16, 32), ("conv3", 32, 16), ("conv4", 64, 8))
CIFAR_STEM_FILTERS = 16
# Two stride-2 steps: at 8x8 the last stage still works on 2x2 maps, so its 3x3 kernels see real
# neighbours instead of one pixel in a ring of padding.
CIFAR_MIN_INPUT_SIZE = 8
CIFAR_MAX_DEPTH = 1202  # section 4.2's deepest network (n = 200), the paper's own "overly deep" one

SHORTCUTS = ("A", "B")  # A: identity, zero-padded; B: projection where the shape changes
STRIDE_ON = ("1x1", "3x3")
MISTAKES = ("no_relu_after_add", "relu_on_projection")


def Conv(filters, kernel_size, **kwargs):
    """A `Conv2D` initialized as section 3.4 says, "as in [13]" (He et al. 2015, "Delving Deep
    into Rectifiers"): zero-mean Gaussian with variance 2 / (kh * kw * C_in). Keras's "he_normal"
    truncates that Gaussian at two standard deviations, and is slower to draw. A fresh
    initializer per layer: one unseeded instance shared by layers would give them equal kernels."""
    initializer = keras.initializers.VarianceScaling(2.0, "fan_in", "untruncated_normal")
    return layers.Conv2D(filters, kernel_size, kernel_initializer=initializer, **kwargs)


# keras.applications' batch-norm settings: epsilon 1.001e-5 (Keras's default is 1e-3) and Keras's
# default momentum 0.99 for the moving statistics (torchvision: eps 1e-5, momentum 0.9 in Keras's
# terms). The paper does not state them.
BatchNorm = partial(layers.BatchNormalization, epsilon=1.001e-5)


def conv_bn(x, filters, kernel_size, strides, conv_bias, name):
    """Convolution + batch norm (`{name}_conv`, `{name}_bn`); the caller adds the ReLU.

    A strided 3x3 gets an explicit 1-pixel `{name}_pad`: Keras's `padding="same"` would pad only
    the bottom and right, which shifts the sampled positions by one pixel from the paper's
    (Caffe/Torch, padding 1 on every side) and from option A's subsampling.
    """
    if kernel_size > 1 and strides > 1:
        x = layers.ZeroPadding2D(kernel_size // 2, name=f"{name}_pad")(x)
        padding = "valid"
    else:  # a 1x1 needs no padding; "valid" says so, as keras.applications does
        padding = "same" if kernel_size > 1 else "valid"
    x = Conv(filters, kernel_size, strides=strides, padding=padding, use_bias=conv_bias,
             name=f"{name}_conv")(x)  # fmt: skip
    return BatchNorm(name=f"{name}_bn")(x)


def shortcut(x, channels, strides, option, conv_bias, name, mistake=None):
    """The block's shortcut: the identity when the shape is unchanged; otherwise option A
    (`{name}_0_shortcut`, subsample + zero channels, no parameters) or option B (a projection,
    1x1 conv `{name}_0_conv` + BN `{name}_0_bn`, no ReLU: it is added as it is)."""
    option = check_choice("option", option, SHORTCUTS)  # anything but "A" would be B, silently
    if strides == 1 and x.shape[-1] == channels:
        return x
    if option == "A":
        return SubsampleZeroPad(strides, channels, name=f"{name}_0_shortcut")(x)
    x = conv_bn(x, channels, 1, strides, conv_bias, f"{name}_0")
    if mistake == "relu_on_projection":  # WRONG, copied code: clips the shortcut's negatives
        x = layers.Activation("relu", name=f"{name}_0_relu")(x)
    return x


def merge(residual, identity, name, mistake=None):
    """relu(F(x) + x): `{name}_add`, then the ReLU `{name}_out`, after the addition (Figure 2).
    A plain block (`identity=None`) has no addition: `{name}_out` follows its last BN."""
    if identity is None:
        return layers.Activation("relu", name=f"{name}_out")(residual)
    x = layers.Add(name=f"{name}_add")([identity, residual])
    # WRONG, copied code: without this ReLU the block's output is no longer non-negative.
    activation = "linear" if mistake == "no_relu_after_add" else "relu"
    return layers.Activation(activation, name=f"{name}_out")(x)


def _copied(mistake):
    """None (the paper's block) or one of `MISTAKES`: a misspelt mistake must not quietly build
    the right block."""
    return None if mistake is None else check_choice("mistake", mistake, MISTAKES)


def basic_block(
    x, filters, strides=1, option="B", plain=False, conv_bias=False, name=None, mistake=None
):
    """Figure 5 left (ResNet-18/34, CIFAR): 3x3 `filters`, 3x3 `filters`, both followed by BN;
    `strides` on the first 3x3 (the only place a basic block has for it)."""
    mistake = _copied(mistake)
    identity = None if plain else shortcut(x, filters, strides, option, conv_bias, name, mistake)
    y = conv_bn(x, filters, 3, strides, conv_bias, f"{name}_1")
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = conv_bn(y, filters, 3, 1, conv_bias, f"{name}_2")
    return merge(y, identity, name, mistake)


def bottleneck_block(
    x, filters, strides=1, stride_on="1x1", conv_bias=False, name=None, mistake=None
):
    """Figure 5 right (ResNet-50/101/152): 1x1 `filters` reduces, 3x3 `filters`, 1x1
    `4 * filters` restores, each followed by BN. `stride_on` says which of the first two convs
    carries the stage's downsampling stride."""
    stride_on = check_choice("stride_on", stride_on, STRIDE_ON)
    mistake = _copied(mistake)
    identity = shortcut(x, 4 * filters, strides, "B", conv_bias, name, mistake)
    y = conv_bn(x, filters, 1, strides if stride_on == "1x1" else 1, conv_bias, f"{name}_1")
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = conv_bn(y, filters, 3, strides if stride_on == "3x3" else 1, conv_bias, f"{name}_2")
    y = layers.Activation("relu", name=f"{name}_2_relu")(y)
    y = conv_bn(y, 4 * filters, 1, 1, conv_bias, f"{name}_3")
    return merge(y, identity, name, mistake)


def resnet(depth, stride_on="1x1", conv_bias=False, input_shape=(224, 224, 3), classes=1000,
           classifier_activation="softmax", name=None):  # fmt: skip
    """Build an ImageNet ResNet of Table 1 (He et al. 2015), with option B shortcuts.

    Args:
        depth: 18, 34 (basic blocks), 50, 101 or 152 (bottleneck blocks).
        stride_on: where a bottleneck stage puts its stride 2: `"1x1"` on the first 1x1
            convolution (the paper, Caffe, keras.applications) or `"3x3"` (torchvision's "v1.5",
            ~0.5% better top-1 and ~6% more multiply-adds). Changes no parameter count. Basic
            blocks (depth 18, 34) have a 3x3 first either way: for them `"3x3"` is an error.
        conv_bias: add a bias to every convolution. The paper has none (each is followed by BN,
            whose shift makes a bias redundant); keras.applications' ResNet50 keeps them.
        input_shape: (height, width, channels), at least 32x32.
        classes: number of output units.
        classifier_activation: activation of `predictions` (`None` gives logits).
        name: model name; defaults to `resnet<depth>`.

    Returns:
        A `keras.Model`.
    """
    args = _check_imagenet(
        depth, stride_on, conv_bias, input_shape, classes, classifier_activation, name
    )
    return _imagenet(*args, name or f"resnet{args[0]}", mistake=None)


def _check_imagenet(depth, stride_on, conv_bias, input_shape, classes, classifier_activation, name):
    """The checked arguments of `resnet`, in `_imagenet`'s order (less the name)."""
    check_channels_last("ResNet")
    depth = check_choice("depth", depth, tuple(TABLE_1))
    stride_on = check_choice("stride_on", stride_on, STRIDE_ON)
    if TABLE_1[depth][0] == "basic" and stride_on != "1x1":
        raise ValueError(
            f"`stride_on` chooses between a bottleneck block's 1x1 and 3x3 convolutions "
            f"(ResNet-50, 101, 152); ResNet-{depth}'s basic blocks start with a 3x3 either way, "
            f"so leave it at its default. Received: depth={depth}, stride_on={stride_on!r}"
        )
    conv_bias = check_flag("conv_bias", conv_bias)
    input_shape = check_input_shape(f"ResNet-{depth}", input_shape, MIN_INPUT_SIZE)
    classes, classifier_activation = check_classifier(classes, classifier_activation)
    check_name(name)
    return depth, stride_on, conv_bias, input_shape, classes, classifier_activation


def _imagenet(
    depth, stride_on, conv_bias, input_shape, classes, classifier_activation, name, mistake
):
    kind, blocks_per_stage = TABLE_1[depth]
    inputs = keras.Input(shape=input_shape, name="input")
    # Stem: 7x7/2 conv padded by 3 on every side, as in the authors' released Caffe models.
    # 224x224x3 -> 112x112x64
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = Conv(64, 7, strides=2, use_bias=conv_bias, name="conv1_conv")(x)
    x = BatchNorm(name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    # 3x3/2 max pool; zero padding is as good as -inf here, its input is a ReLU's. -> 56x56x64
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for (stage, filters, _), blocks in zip(STAGES, blocks_per_stage):
        # The max pool has just halved the maps, so conv2 keeps them; each later stage halves
        # them in its first block. Output (basic/bottleneck): conv2 56x56x64/256,
        # conv3 28x28x128/512, conv4 14x14x256/1024, conv5 7x7x512/2048.
        for block in range(1, blocks + 1):
            strides = 2 if block == 1 and stage != "conv2" else 1
            block_name = f"{stage}_block{block}"
            if kind == "basic":
                x = basic_block(x, filters, strides, "B", False, conv_bias, block_name, mistake)
            else:
                x = bottleneck_block(x, filters, strides, stride_on, conv_bias, block_name, mistake)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)  # -> 512 or 2048
    outputs = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


resnet18 = partial(resnet, 18)
resnet34 = partial(resnet, 34)
resnet50 = partial(resnet, 50)
resnet101 = partial(resnet, 101)
resnet152 = partial(resnet, 152)


def check_cifar_depth(depth):
    """`depth` as a Python int, if it is 6n + 2 with n from 1 to 200: a stem, three stages of n
    two-layer blocks, the FC; at most the paper's ResNet-1202."""
    if not is_integer(depth) or not 8 <= depth <= CIFAR_MAX_DEPTH or (depth - 2) % 6:
        raise ValueError(
            "`depth` must be 6n + 2 for an integer n from 1 to 200 (8, 14, 20, 32, 44, 56, 110, "
            f"..., 1202). Received: depth={depth!r}"
        )
    return int(depth)


def resnet_cifar(depth, shortcut="A", plain=False, input_shape=(32, 32, 3), classes=10,
                 classifier_activation="softmax", name=None):  # fmt: skip
    """Build the CIFAR-10 network of section 4.2 (He et al. 2015): 6n + 2 weighted layers.

    A 3x3 convolution with 16 filters, three stages of n basic blocks with 16, 32 and 64 filters
    on 32x32, 16x16 and 8x8 maps (each later stage halves the maps in its first 3x3 convolution),
    global average pooling and a `classes`-way dense layer. BN after every convolution, no
    convolution biases.

    Args:
        depth: 6n + 2: 20, 32, 44, 56, 110 in the paper's Table 6 (any n >= 1 builds).
        shortcut: `"A"` (the paper's choice here: where a stage widens, the identity subsampled
            and padded with zero channels, no parameters) or `"B"` (a 1x1 projection + BN there).
        plain: no shortcuts at all: the paper's plain networks (Figure 6 left). Their parameter
            count equals the option A residual twin's. With `plain=True`, leave `shortcut` at its
            default: `"B"` would be ignored, so it is an error.
        input_shape: (height, width, channels), at least 8x8.
        classes: number of output units.
        classifier_activation: activation of `predictions` (`None` gives logits).
        name: model name; defaults to `resnet<depth>` or `plain<depth>`.

    Returns:
        A `keras.Model`.
    """
    check_channels_last("The CIFAR ResNet")
    depth = check_cifar_depth(depth)
    shortcut = check_choice("shortcut", shortcut, SHORTCUTS)
    plain = check_flag("plain", plain)
    if plain and shortcut != "A":
        raise ValueError(
            "A plain network has no shortcuts, so `shortcut` cannot apply: leave it at its "
            f"default with plain=True. Received: plain=True, shortcut={shortcut!r}"
        )
    input_shape = check_input_shape(f"The CIFAR ResNet-{depth}", input_shape, CIFAR_MIN_INPUT_SIZE)
    classes, classifier_activation = check_classifier(classes, classifier_activation)
    check_name(name)
    n = (depth - 2) // 6
    inputs = keras.Input(shape=input_shape, name="input")
    x = conv_bn(inputs, CIFAR_STEM_FILTERS, 3, 1, False, "conv1")  # 32x32x3 -> 32x32x16
    x = layers.Activation("relu", name="conv1_relu")(x)
    for stage, filters, _ in CIFAR_STAGES:  # -> 32x32x16 -> 16x16x32 -> 8x8x64
        for block in range(1, n + 1):
            strides = 2 if block == 1 and stage != "conv2" else 1
            x = basic_block(x, filters, strides, shortcut, plain, False, f"{stage}_block{block}")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)  # -> 64
    outputs = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return keras.Model(inputs, outputs, name=name or f"{'plain' if plain else 'resnet'}{depth}")


def copied_resnet(depth=50, mistake="no_relu_after_add", stride_on="1x1", conv_bias=False,
                  input_shape=(224, 224, 3), classes=1000, classifier_activation="softmax",
                  name=None):  # fmt: skip
    """WRONG ON PURPOSE: an ImageNet ResNet with a mistake of widely copied Keras code, for the
    chapter's demonstration. It has the same weighted layers, with the same names, as
    `resnet(depth, ...)`: copy the weights layer by layer (by name) to show that the functions
    differ.

    Args:
        depth, stride_on, conv_bias, input_shape, classes, classifier_activation: as `resnet`.
        mistake: `"no_relu_after_add"`: each block's `{name}_out` is linear, so blocks pass
            negative values on; `"relu_on_projection"`: a ReLU `{name}_0_relu` after each
            projection shortcut's BN, so the shortcut can only add to the residual, never subtract.
        name: model name; defaults to `copied_resnet<depth>_<mistake>`.
    """
    mistake = check_choice("mistake", mistake, MISTAKES)
    args = _check_imagenet(
        depth, stride_on, conv_bias, input_shape, classes, classifier_activation, name
    )
    return _imagenet(*args, name or f"copied_resnet{args[0]}_{mistake}", mistake)
