"""The exercise checkers: each accepts the reference and a correct answer written another way,
and rejects the course's copied mistakes and other wrong answers, naming the mistake."""

import inspect
import re
from functools import partial

import keras
import numpy as np
import pytest
from keras import layers

from cnn_lessons import alexnet, exercises, googlenet, lenet, resnet, vgg
from cnn_lessons.layers import LocalResponseNormalization, SparseConv2D, lecun_tanh


def rejected(verdict, *patterns):
    """The verdict fails, prints as "✗ ...", and its message says each of `patterns`."""
    assert not verdict, verdict
    assert repr(verdict).startswith("✗ "), verdict
    for pattern in patterns:
        assert re.search(pattern, verdict.message), f"{pattern!r} not in:\n{verdict.message}"
    return verdict


def accepted(verdict, *patterns):
    assert verdict, verdict
    assert repr(verdict).startswith("✓ "), verdict
    for pattern in patterns:
        assert re.search(pattern, verdict.message), f"{pattern!r} not in:\n{verdict.message}"
    return verdict


# --- The verdict and the arguments ---------------------------------------------------------------
def test_raise_on_failure_raises_the_verdicts_message():
    wrong = [(0, 1)] * 16
    verdict = exercises.check_c3(wrong)
    with pytest.raises(exercises.ExerciseFailed, match="Map 0 reads S2 maps 0, 1; Table I"):
        exercises.check_c3(wrong, raise_on_failure=True)
    assert str(verdict) == repr(verdict) == "✗ " + verdict.message
    assert exercises.check_c3(lenet.C3_CONNECTIONS, raise_on_failure=True)


def test_checks_run_in_float32_and_leave_the_precision_policy_as_it_was():
    seen = []

    def spy(x, filters, strides):
        seen.append(keras.mixed_precision.global_policy().name)
        return resnet.basic_block(x, filters, strides, name="b")

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        accepted(exercises.check_basic_block(spy))
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert seen == ["float32", "float32"]


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: exercises.check_basic_block(42),
            r"basic_block\(x, filters, strides\)\. Received: basic_block=42",
        ),
        (
            lambda: exercises.check_alexnet(alexnet.alexnet_cifar, variant="two"),
            "`variant` must be one of 'one_tower', 'cifar'. Received: variant='two'",
        ),
        (lambda: exercises.check_alexnet(alexnet.alexnet_cifar, classes=0), "Received: classes=0"),
        (
            lambda: exercises.check_alexnet(alexnet.alexnet_cifar, "one_tower", (64, 64, 3)),
            "at least 67x67",
        ),
        (lambda: exercises.check_vgg_stacks(vgg.conv_stacks, configs="F"), "Received: configs='F'"),
        (
            lambda: exercises.solution("lenet"),
            "`exercise` must be one of 'c3', .* Received: exercise='lenet'",
        ),
    ],
)
def test_bad_arguments_are_errors_not_verdicts(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("exercise", list(exercises.SOLUTIONS))
def test_solutions_are_the_packages_own_source(exercise):
    source = exercises.solution(exercise)
    module, names = exercises.SOLUTIONS[exercise]
    assert source.startswith(f"# from {module.__name__}")
    for name in names:
        assert re.search(rf"^(def {name}\(|{name}(, \w+)* = )", source, re.M), name
    compile(source, exercise, "exec")  # whole definitions, not fragments


def test_answers_that_cannot_be_built_get_a_verdict():
    def no_return(x, filters, strides):
        layers.Conv2D(filters, 3, padding="same")(x)

    rejected(
        exercises.check_basic_block(no_return), r"returned NoneType \(did you forget `return`\?\)"
    )

    def keras_ops(x, filters, strides):  # x + y on Keras tensors is an operation, not a layer
        y = layers.Conv2D(filters, 3, strides=strides, padding="same")(x)
        return keras.ops.relu(y)

    rejected(
        exercises.check_basic_block(keras_ops),
        "layer_table cannot count your model",
        "write it as a layer",
    )
    rejected(
        exercises.check_alexnet(lambda input_shape: None),
        r"Your builder raised TypeError when called with input_shape=\(32, 32, 3\), classes=10",
    )
    rejected(
        exercises.check_alexnet(lambda input_shape, classes: 3),
        "returned int; it must return a keras.Model",
    )
    rejected(
        exercises.check_basic_block(lambda x, filters, strides: [x, x]),
        "returned list; it must return the output tensor",
    )
    hard_coded = partial(my_alexnet_cifar, (64, 64, 3))  # the input_shape it is given is ignored
    rejected(
        exercises.check_alexnet(lambda input_shape, classes: hard_coded(classes)),
        r"Input shape: your model takes \(None, 64, 64, 3\), the checker asked for \(None, 32, 32, 3\)",
    )

    def shared(x, filters, strides):  # one Conv2D object called twice shares its weights
        conv = layers.Conv2D(filters, 3, padding="same")
        return conv(layers.ReLU()(conv(x)))

    rejected(
        exercises.check_basic_block(shared),
        "calls its layer '.*' more than once, so the calls share one set of weights",
    )

    def no_projection(x, filters, strides):  # right where the shape stays, wrong where it changes
        y = layers.ReLU()(conv_bn(x, filters, 3, strides, "explicit", True))
        return layers.ReLU()(layers.Add()([x, conv_bn(y, filters, 3, 1, "explicit", True)]))

    rejected(
        exercises.check_basic_block(no_projection),
        r"Your basic block raised ValueError on a \(None, 8, 8, 16\) input: Inputs have incompatible",
        "The branches must have the same shape where they meet",
        r"\[filters=32, strides=2, input 8x8x16\]",
    )


# --- Chapter 1: C3 -----------------------------------------------------------------------------
def sorted_c3(x):
    """C3 written another way: each map's inputs in increasing order, the activation apart."""
    y = SparseConv2D([sorted(m) for m in lenet.C3_CONNECTIONS], kernel_size=5, name="my_c3")(x)
    return layers.Activation(lecun_tanh)(y)


def test_c3_accepts_table_one_however_it_is_written():
    accepted(exercises.check_c3(lenet.C3_CONNECTIONS), "1,516 parameters")
    accepted(exercises.check_c3([list(reversed(m)) for m in lenet.C3_CONNECTIONS]))
    accepted(exercises.check_c3(sorted_c3))


def test_c3_keeps_a_learners_layer_and_its_weights():
    layer = SparseConv2D(lenet.C3_CONNECTIONS, 5, lecun_tanh)
    layer(keras.Input(exercises.S2_SHAPE))
    before = [w.copy() for w in layer.get_weights()]
    accepted(exercises.check_c3(layer))
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_c3_rejects_wrong_tables():
    table = list(lenet.C3_CONNECTIONS)
    rejected(
        exercises.check_c3(table[:15]), "Table I has 16 columns, one per C3 map; your table has 15"
    )
    rejected(
        exercises.check_c3(table[:6] + [(0, 1, 3)] + table[7:]),
        "Map 6 reads S2 maps 0, 1, 3; Table I's column 6 reads 0, 1, 2, 3",
    )
    rejected(
        exercises.check_c3(table[:15] + [range(7)]),
        r"Map 15 reads \(0, 1, 2, 3, 4, 5, 6\).*numbered 0 to 5",
    )
    rejected(exercises.check_c3(42), "Your answer must be the 16 connections of Table I")


def test_c3_names_the_mistake_in_a_function():
    def full(x):  # the modern variant's C3: every map reads all six S2 maps
        return layers.Conv2D(16, 5, activation=lecun_tanh)(x)

    rejected(
        exercises.check_c3(full),
        "Parameters: yours has 2,416, the reference 1,516",
        "A full connection table: every C3 map reads all six S2 maps",
        r"\(5\*5\*6 \+ 1\)\*16 = 2,416",
    )
    swapped = list(lenet.C3_CONNECTIONS)
    swapped[0], swapped[6] = swapped[6], swapped[0]  # the same links, in other columns
    rejected(
        exercises.check_c3(lambda x: SparseConv2D(swapped, 5, lecun_tanh)(x)),
        "Parameters: the same 1,516 in all, but not layer by layer",
        "Not Table I's connection table",
        "Map 0 of your '.*' reads input maps 0, 1, 2, 3; map 0 of the reference's C3 reads 0, 1, 2",
    )
    rejected(
        exercises.check_c3(lambda x: SparseConv2D(lenet.C3_CONNECTIONS, 5, "relu")(x)),
        "Function: ",
        "Likely mistake: ReLU instead of lecun_tanh",
        "After C3, the reference applies lecun_tanh; yours applies ReLU",
    )


# --- Chapter 2: AlexNet ------------------------------------------------------------------------
def my_alexnet_cifar(input_shape, classes, conv2=64, lrn=True, pool=(3, 2), dropout=0.5):
    """alexnet_cifar written as a learner might: Sequential, separate ReLUs, its own names."""
    model = keras.Sequential([keras.Input(input_shape), layers.Rescaling(255.0, offset=-128.0)])
    for index, (filters, kernel) in enumerate(((24, 5), (conv2, 3), (96, 3), (96, 3), (64, 3))):
        model.add(layers.Conv2D(filters, kernel, padding="same"))
        model.add(layers.ReLU())
        if lrn and index < 2:
            model.add(LocalResponseNormalization())
        if index in (0, 1, 4):
            model.add(layers.MaxPooling2D(*pool))
    model.add(layers.Flatten())
    for units in (1024, 1024):
        model.add(layers.Dense(units, activation="relu"))
        if dropout:
            model.add(layers.Dropout(dropout))
    model.add(layers.Dense(classes, activation="softmax"))
    return model


def test_alexnet_accepts_the_reference_and_another_way():
    accepted(exercises.check_alexnet(alexnet.alexnet_cifar), r"alexnet\.alexnet_cifar\(\)")
    accepted(exercises.check_alexnet(my_alexnet_cifar))
    one_tower = partial(alexnet.alexnet, groups=1)
    accepted(exercises.check_alexnet(one_tower, "one_tower", (67, 67, 3), 10), r"groups=1")


def test_alexnet_rejects_the_copied_four_convolution_model():
    rejected(
        exercises.check_alexnet(alexnet.copied_alexnet, "one_tower", (67, 67, 3), 10),
        "Parameters: yours has 20,294,666, the reference 21,622,154",
        "Likely mistake: The layer conv4 is missing",
        r"The reference has conv4 \(Conv2D 3x3, 384 filters: \(3\*3\*384 \+ 1\)\*384 = 1,327,488\) after conv3",
    )


def test_alexnet_names_other_mistakes():
    check = exercises.check_alexnet
    rejected(
        check(partial(my_alexnet_cifar, conv2=32)),
        "Likely mistake: Wrong width",
        "has 32 filters, the reference's conv2 64",
    )
    rejected(
        check(partial(my_alexnet_cifar, lrn=False)),
        r"Likely mistake: Missing LRN \(size 5, k 2, alpha 0.0001, beta 0.75\)",
        "After conv1",
    )
    rejected(
        check(partial(my_alexnet_cifar, pool=(2, 2))),
        "Parameters",
        "Max pool 2x2/2 instead of max pool 3x3/2",
        "After conv1,",
    )
    rejected(
        check(partial(my_alexnet_cifar, dropout=0)),
        "Training-time layers: yours computes the reference's function, but its dropout differs",
        "Missing dropout 0.5",
        "After fc6",
    )
    rejected(
        check(lambda input_shape, classes: my_alexnet_cifar(input_shape, 10), classes=5),
        "The output layer has 10 units, not classes=5",
    )
    two_towers = partial(alexnet.alexnet, groups=2)
    rejected(
        check(two_towers, "one_tower", (67, 67, 3), 10),
        r"Wrong groups: groups=2 where the reference has groups=1 \(groups=2 is the paper's two-GPU split\)",
    )


# --- Chapter 3: VGG ------------------------------------------------------------------------------
def my_conv_stacks(
    x, config, kernel=True, lrn=True, pool_every_block=True, width=None, padding="same"
):
    """A learner's walker of vgg.TABLE_1: its own parsing, ReLUs apart from the convolutions."""
    blocks = vgg.TABLE_1[config]
    for index, block in enumerate(blocks):
        for entry in block:
            if entry == "LRN":
                if lrn:
                    x = LocalResponseNormalization()(x)
                continue
            size, filters = entry.removeprefix("conv").split("-")
            size = int(size) if kernel else 3
            x = layers.Conv2D(width or int(filters), size, padding=padding)(x)
            x = layers.Activation("relu")(x)
        if pool_every_block or index == len(blocks) - 1:
            x = layers.MaxPooling2D(pool_size=(2, 2))(x)
    return x


def test_vgg_stacks_accept_the_reference_and_another_way_for_every_column():
    accepted(exercises.check_vgg_stacks(vgg.conv_stacks), "A, A-LRN, B, C, D, E")
    accepted(exercises.check_vgg_stacks(my_conv_stacks, ("A-LRN", "C", "E")))  # LRN, 1x1, deepest


def test_vgg_stacks_name_the_mistakes():
    check = exercises.check_vgg_stacks
    rejected(
        check(partial(my_conv_stacks, kernel=False), "C"),
        r"\[config C\]",
        "Likely mistake: Wrong kernel size: conv<k>-<filters> is a k x k convolution",
        "is 3x3, the reference's conv3_3 1x1",
    )
    rejected(
        check(partial(my_conv_stacks, lrn=False), "A-LRN"),
        r"Missing LRN \(size 5",
        "After conv1_1, the reference applies ReLU, LRN",
    )
    rejected(
        check(partial(my_conv_stacks, pool_every_block=False), "A"),
        r"Output shape: yours is \(None, 16, 16, 512\), the reference's \(None, 1, 1, 512\)",
        "Likely mistake: Missing max pool 2x2/2",
        "After conv1_1",
    )
    rejected(
        check(partial(my_conv_stacks, width=64), "B"),
        "Wrong width",
        "has 64 filters, the reference's conv2_1 128",
    )
    rejected(  # at 32x32, 'valid' 3x3s run out of pixels before block 4
        check(partial(my_conv_stacks, padding="valid"), "A"),
        r"Your conv_stacks function raised ValueError on a \(None, 32, 32, 3\) input: .*negative",
    )


def my_vgg16(input_shape, classes):
    x = inputs = keras.Input(input_shape)
    x = my_conv_stacks(x, "D")
    x = layers.Flatten()(x)
    for _ in range(2):
        x = layers.Dropout(0.5)(layers.Dense(4096, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(classes, activation="softmax")(x))


def test_vgg_accepts_vgg16_and_rejects_the_copied_one():
    small = {"input_shape": (32, 32, 3)}  # pool5 1x1: the smallest VGG-16, quick to run
    accepted(exercises.check_vgg(partial(vgg.vgg, "D"), **small))
    accepted(exercises.check_vgg(my_vgg16, **small), r"vgg\.vgg\('D'\) at \(32, 32, 3\)")
    copied = vgg.copied_vgg16  # it names its argument n_classes, and ignores it
    rejected(
        exercises.check_vgg(lambda input_shape, classes: copied(input_shape, n_classes=classes)),
        r"Output shape: yours is \(None, 1000\), the reference's \(None, 10\)",
        "Likely mistake: The output layer has 1000 units, not classes=10",
    )
    rejected(
        exercises.check_vgg(lambda input_shape, classes: copied(input_shape), classes=1000),
        "Parameters: yours has 37,694,248, the reference 43,985,704",
        "Likely mistake: Global average pooling instead of Flatten before the classifier",
        "After conv5_3, the reference applies ReLU, max pool 2x2/2, flatten; yours applies ReLU, "
        "max pool 2x2/2, global average pool",
    )


# --- Chapter 4: the inception module -------------------------------------------------------------
def my_inception(
    x,
    n1x1,
    n3x3_reduce,
    n3x3,
    n5x5_reduce,
    n5x5,
    pool_proj,
    name,
    relu_1x1=True,
    pool=layers.MaxPooling2D,
    order=(0, 1, 2, 3),
    size5=5,
):
    """Another way to write it: the pool branch first, ReLUs as layers, names of its own."""

    def conv(filters, size, y):
        return layers.ReLU()(layers.Conv2D(filters, size, padding="same")(y))

    pooled = conv(pool_proj, 1, pool(3, strides=1, padding="same")(x))
    five = conv(n5x5, size5, conv(n5x5_reduce, 1, x))
    three = conv(n3x3, 3, conv(n3x3_reduce, 1, x))
    one = conv(n1x1, 1, x) if relu_1x1 else layers.Conv2D(n1x1, 1)(x)
    branches = (one, three, five, pooled)
    return layers.Concatenate(name=f"{name}_joined")([branches[i] for i in order])


def test_inception_accepts_the_reference_and_another_way():
    accepted(exercises.check_inception_module(googlenet.inception_module), "rows 3a and 4a")
    accepted(exercises.check_inception_module(my_inception))


def test_inception_rejects_the_copied_module():
    rejected(
        exercises.check_inception_module(googlenet.copied_inception_module),
        "Function: .*first at the input of inception_3a_pool_proj",
        "Likely mistake: The pool branch projects before pooling",
        "After inception_3a_5x5, the reference applies ReLU, max pool 3x3/1 'same'; yours applies ReLU",
    )


def test_inception_names_other_mistakes():
    check = exercises.check_inception_module
    rejected(
        check(partial(my_inception, relu_1x1=False)),
        "Likely mistake: Missing ReLU",
        "After inception_3a_1x1",
    )
    rejected(
        check(partial(my_inception, order=(0, 2, 1, 3))),
        "Parameters: the same 10,300 in all, but not layer by layer",
        "Likely mistake: The branches in another order: concatenate them as Table 1 lists them",
    )
    rejected(
        check(partial(my_inception, pool=layers.AveragePooling2D)),
        "Likely mistake: Average pool 3x3/1 'same' instead of max pool 3x3/1 'same'",
    )
    rejected(
        check(partial(my_inception, size5=3)),
        "Likely mistake: Wrong kernel size",
        "is 3x3, the reference's inception_3a_5x5 5x5",
    )

    def swapped(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj, name):
        return my_inception(x, n1x1, n5x5_reduce, n3x3, n3x3_reduce, n5x5, pool_proj, name)

    rejected(
        check(swapped),
        "Likely mistake: Wrong width",
        "has 4 filters, the reference's inception_3a_3x3_reduce 24",
    )


# --- Chapter 5: residual blocks ------------------------------------------------------------------
def conv_bn(x, filters, size, strides, padding, bn):
    if padding == "explicit" and strides > 1 and size > 1:
        x = layers.ZeroPadding2D(size // 2)(x)
    same = padding == "same" or padding == "explicit" and strides == 1
    x = layers.Conv2D(
        filters, size, strides=strides, padding="same" if same else "valid", use_bias=False
    )(x)
    return layers.BatchNormalization()(x) if bn else x


def my_basic_block(x, filters, strides, padding="explicit", bn_2=True, relu_before_add=False):
    """Another way to write it: ReLU layers, the shortcut last, its own padding code and Keras's
    default batch-norm epsilon."""
    y = layers.ReLU()(conv_bn(x, filters, 3, strides, padding, True))
    y = conv_bn(y, filters, 3, 1, padding, bn_2)
    shortcut = (
        x
        if strides == 1 and x.shape[-1] == filters
        else conv_bn(x, filters, 1, strides, padding, True)
    )
    if relu_before_add:
        return layers.Add()([layers.ReLU()(y), shortcut])
    return layers.ReLU()(layers.Add()([y, shortcut]))


def test_basic_block_accepts_the_reference_and_another_way():
    accepted(exercises.check_basic_block(lambda x, f, s: resnet.basic_block(x, f, s, name="b")))
    accepted(
        exercises.check_basic_block(my_basic_block),
        "Note: your BatchNormalization epsilon is 0.001, the reference's 1.001e-05: compared with the reference's",
    )


@pytest.mark.parametrize(
    "mistake, message",
    [
        (
            "no_relu_after_add",
            "No ReLU after the add.*\n  After block_2_bn, the reference applies add, ReLU; yours applies add",
        ),
        (
            "relu_on_projection",
            "ReLU on the projection shortcut.*\n  After block_0_bn, the reference applies nothing; yours applies ReLU",
        ),
    ],
)
def test_residual_blocks_reject_the_copied_mistakes(mistake, message):
    assert mistake in resnet.MISTAKES
    basic = exercises.check_basic_block(partial(resnet.basic_block, name="b", mistake=mistake))
    rejected(basic, "Function: ", "Likely mistake: " + message)
    bottleneck = partial(resnet.bottleneck_block, name="b", mistake=mistake)
    with pytest.raises(exercises.ExerciseFailed, match=message.replace("block_2_bn", "block_3_bn")):
        exercises.check_bottleneck_block(bottleneck, raise_on_failure=True)


def test_basic_block_names_other_mistakes():
    check = exercises.check_basic_block
    rejected(
        check(partial(my_basic_block, bn_2=False)),
        "Parameters: yours has 4,672, the reference 4,736",
        "Likely mistake: Missing batch normalization",
        "The reference normalizes after block_2_conv",
    )
    rejected(
        check(partial(my_basic_block, padding="same")),
        r"\[filters=32, strides=2, input 8x8x16\]",
        "Likely mistake: Wrong padding",
        r"pads 'same' at stride 2 \(Keras pads only the bottom and right\); the reference's block_1_conv pads 1 px on every side \(ZeroPadding2D\(1\), then padding='valid'\)",
    )
    rejected(
        check(partial(my_basic_block, relu_before_add=True)), "Likely mistake: ReLU before the add"
    )
    rejected(
        check(partial(my_basic_block, padding="valid")),
        "Likely mistake: Wrong padding",  # the identity case raised (the add's shapes differ)
        r"pads nothing \(padding='valid'\); the reference's block_1_conv pads 1 px on every side",
    )

    def biased(x, filters, strides):
        y = layers.Conv2D(filters, 3, padding="same")(x)
        return my_basic_block(y, filters, strides)

    rejected(check(biased), "Likely mistake: An extra layer|Likely mistake: A bias")


def my_bottleneck(x, filters, strides, stride_on=1, middle=1, bn_0=True):
    y = layers.ReLU()(conv_bn(x, filters, 1, strides if stride_on == 1 else 1, "explicit", True))
    y = layers.ReLU()(
        conv_bn(y, middle * filters, 3, strides if stride_on == 3 else 1, "explicit", True)
    )
    y = conv_bn(y, 4 * filters, 1, 1, "explicit", True)
    if strides > 1 or x.shape[-1] != 4 * filters:
        x = conv_bn(x, 4 * filters, 1, strides, "explicit", bn_0)
    return layers.ReLU()(layers.Add()([x, y]))


def test_bottleneck_block_accepts_the_reference_and_another_way():
    accepted(exercises.check_bottleneck_block(partial(resnet.bottleneck_block, name="b")))
    accepted(
        exercises.check_bottleneck_block(my_bottleneck), "Note: your BatchNormalization epsilon"
    )


def test_bottleneck_block_names_other_mistakes():
    check = exercises.check_bottleneck_block
    rejected(
        check(partial(my_bottleneck, stride_on=3)),  # torchvision's "v1.5"
        "Likely mistake: Wrong stride: the reference strides the block's first convolution",
        "has stride 1, the reference's block_1_conv 2",
    )
    rejected(
        check(partial(my_bottleneck, middle=4)),
        "Likely mistake: Wrong width",
        "has 64 filters, the reference's block_2_conv 16",
    )
    rejected(
        check(partial(my_bottleneck, bn_0=False)),
        r"\[filters=16, strides=1, input 8x8x16\]",
        "Likely mistake: Missing batch normalization",
        "The reference normalizes after block_0_conv",
    )


def test_the_c3_solution_shows_the_block_lenet5_calls():
    """lenet5 builds C3 with `lenet.c3`: a solution without it would not be whole."""
    assert "c3(" in inspect.getsource(lenet.lenet5)
    assert re.search(r"^def c3\(", exercises.solution("c3"), re.M)
