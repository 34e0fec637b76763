import gc
import math
import re

import keras
import pandas as pd
import pytest

from cnn_lessons import MODELS
from cnn_lessons.arithmetic import (
    block_totals,
    compare,
    compare_blocks,
    layer_table,
    totals,
)
from cnn_lessons.lenet import lenet5

L = keras.layers

# ImageNet-size models take seconds and hundreds of MB each: `-m "not imagenet_size"` skips them
# (CI's second-backend run does).
SMALL = ("lenet5", "plain", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110")


def _case(name):
    small = name.startswith(SMALL) or "_cifar" in name
    return pytest.param(name, marks=() if small else pytest.mark.imagenet_size)


@pytest.mark.parametrize("name", [_case(name) for name in sorted(MODELS)])
def test_every_row_of_every_registered_model_matches_keras(name):
    model = MODELS[name]()
    table = layer_table(model)
    assert list(table["name"]) == [layer.name for layer in model.layers]
    assert list(table["params"]) == [layer.count_params() for layer in model.layers]
    assert (table["params"] == table["keras_params"]).all()
    assert table["params"].sum() == model.count_params()
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    assert totals(table)["trainable"] == trainable
    # weights without biases: every trainable variable but the biases and batch-norm shifts
    weights = sum(
        math.prod(w.shape) for w in model.trainable_weights if w.name not in ("bias", "beta")
    )
    assert block_totals(model, lambda name: "all").loc["all", "weights"] == weights
    del model  # the ImageNet-size models hold up to 0.6 GB each: free one before the next
    keras.backend.clear_session()
    gc.collect()


@pytest.mark.parametrize("name", ["lenet5", "alexnet_cifar"])  # both start with a Rescaling
def test_a_model_built_in_mixed_precision_counts_the_same(name):
    expected = layer_table(MODELS[name]())
    keras.mixed_precision.set_global_policy("mixed_bfloat16")  # the chapters' policy on many CPUs
    # Keras 3.8 inserts a dtype cast before a preprocessing layer here: no row, nothing counted
    pd.testing.assert_frame_equal(layer_table(MODELS[name]()), expected)


def test_formulas_are_the_arithmetic_a_learner_would_write():
    table = layer_table(lenet5("paper")).set_index("name")
    assert table.loc["C1", "formula"] == "(5*5*1 + 1)*6 = 156"
    assert table.loc["S2", "formula"] == "(1 + 1)*6 = 12"
    assert table.loc["C3", "formula"].startswith("60*5*5 + 16 = 1,516")
    assert table.loc["C5", "formula"] == "(5*5*16 + 1)*120 = 48,120"
    assert table.loc["F6", "formula"] == "(120 + 1)*84 = 10,164"
    assert table.loc["output", "formula"] == "84*10 = 840 (fixed)"


def test_macs_and_receptive_fields_of_lenet5():
    table = layer_table(lenet5("modern")).set_index("name")
    assert table.loc["C1", "macs"] == 28 * 28 * 6 * 5 * 5 * 1
    assert table.loc["C3", "macs"] == 10 * 10 * 16 * 5 * 5 * 6
    assert table.loc["F6", "macs"] == 120 * 84
    fields = table["receptive_field"].to_dict()
    assert [fields[n] for n in ("C1", "S2", "C3", "S4", "C5", "F6")] == [
        "5",
        "6",
        "14",
        "16",
        "32",
        "32",
    ]


def test_connections_quoted_in_the_paper_are_macs_plus_one_bias_per_output():
    table = layer_table(lenet5("paper")).set_index("name")
    outputs = {name: table.loc[name, "output_shape"] for name in ("C1", "C3", "C5")}
    connections = {n: table.loc[n, "macs"] + math.prod(s) for n, s in outputs.items()}
    assert connections == {"C1": 122_304, "C3": 151_600, "C5": 48_120}


def _tiny(*layers, shape=(8, 8, 4)):
    inputs = keras.Input(shape)
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x)


def test_grouped_conv_batch_norm_and_stacked_3x3_fields():
    model = _tiny(
        keras.layers.Conv2D(6, 3, groups=2, padding="same", name="grouped"),
        keras.layers.BatchNormalization(name="bn"),
        keras.layers.Conv2D(6, 3, use_bias=False, name="nobias"),
        keras.layers.MaxPooling2D(2, name="pool"),
    )
    table = layer_table(model).set_index("name")
    assert table.loc["grouped", "formula"] == "(3*3*4/2 + 1)*6 = 114"
    assert table.loc["grouped", "macs"] == 8 * 8 * 6 * 3 * 3 * 2
    assert table.loc["bn", "params"] == 24 and table.loc["bn", "trainable"] == 12
    assert table.loc["nobias", "formula"] == "3*3*6*6 = 324"
    assert list(table["receptive_field"]) == ["1", "3", "3", "5", "6"]
    assert totals(layer_table(model))["non_trainable"] == 12


@pytest.mark.parametrize(
    "layer, shape",
    [
        (L.Conv1D(2, 3, name="conv1d"), (16, 3)),
        (L.Conv2DTranspose(2, 3, name="up"), (8, 8, 3)),
        (L.Conv3D(2, 3, name="conv3d"), (8, 8, 8, 3)),
        (L.Reshape((64, 3), name="reshape"), (8, 8, 3)),
    ],
)
def test_an_unknown_layer_is_an_error_naming_its_type_never_zero(layer, shape):
    model = _tiny(layer, shape=shape)
    kind = type(layer).__name__
    message = (
        f"layer_table has no rule for the layer type {kind}: add one to "
        "cnn_lessons.arithmetic.RULES rather than counting it as 0 parameters. "
        f"Received: '{layer.name}' of type {kind}"
    )
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        layer_table(model)


def test_compare_sets_a_reference_beside_ours():
    table = layer_table(lenet5("paper"))
    result = compare(table, {"C1": 156, "C3": 416})
    assert list(result["match"]) == [True, False]
    assert list(result["ours"]) == [156, 1_516]


def test_compare_matches_a_shared_layer_by_its_call():
    conv = L.Conv2D(4, 3, name="conv")
    inputs = keras.Input((8, 8, 4))
    table = layer_table(keras.Model(inputs, conv(conv(inputs))))
    result = compare(table, {"conv (call 1)": 148, "conv (call 2)": 2_304}, "macs")
    assert list(result["ours"]) == [5_184, 2_304] and list(result["match"]) == [False, True]


# --- A layer called more than once: parameters once, MACs and fields per call -----------------


def test_a_layer_called_twice_in_series_counts_its_weights_once_and_its_macs_twice():
    conv = L.Conv2D(4, 3, name="conv")  # 4 -> 4 channels, so it can be applied to its output
    inputs = keras.Input((8, 8, 4), name="image")
    model = keras.Model(inputs, conv(conv(inputs)))
    table = layer_table(model)
    assert list(table["name"]) == ["image", "conv (call 1)", "conv (call 2)"]
    assert list(table["output_shape"]) == [(8, 8, 4), (6, 6, 4), (4, 4, 4)]
    assert list(table["formula"]) == [
        "",
        "(3*3*4 + 1)*4 = 148 (one set of weights for 2 calls)",
        "0 (the weights of call 1)",
    ]
    assert list(table["params"]) == [0, 148, 0]
    assert list(table["keras_params"]) == [0, 148, 0]
    # each call: its own output positions * 4 filters * 3*3*4 weights
    assert list(table["macs"]) == [0, 6 * 6 * 4 * 36, 4 * 4 * 4 * 36]
    assert list(table["receptive_field"]) == ["1", "3", "5"]
    assert totals(table) == {
        "params": 148,
        "trainable": 148,
        "non_trainable": 0,
        "macs": 5_184 + 2_304,
    }
    assert model.count_params() == 148


def test_a_layer_shared_by_two_inputs_counts_each_call_and_follows_each_path():
    conv = L.Conv2D(8, 3, name="conv")
    big, small = keras.Input((16, 16, 4), name="big"), keras.Input((8, 8, 4), name="small")
    pooled = [L.GlobalAveragePooling2D(name="pool_big")(conv(big))]
    pooled.append(L.GlobalAveragePooling2D(name="pool_small")(conv(small)))
    outputs = L.Dense(3, name="out")(L.Concatenate(name="both")(pooled))
    model = keras.Model([big, small], outputs)
    table = layer_table(model).set_index("name")
    assert list(table.index) == [
        "big", "small", "conv (call 1)", "conv (call 2)", "pool_big", "pool_small", "both", "out",
    ]  # fmt: skip
    assert table.loc["conv (call 1)", "output_shape"] == (14, 14, 8)
    assert table.loc["conv (call 2)", "output_shape"] == (6, 6, 8)
    assert table.loc["conv (call 1)", "macs"] == 14 * 14 * 8 * 3 * 3 * 4 == 56_448
    assert table.loc["conv (call 2)", "macs"] == 6 * 6 * 8 * 3 * 3 * 4 == 10_368
    assert table.loc["out", "macs"] == 16 * 3
    # the global pools see their whole input; the merge sees the larger of the two
    assert table.loc["pool_big", "receptive_field"] == "16"
    assert table.loc["pool_small", "receptive_field"] == "8"
    assert table.loc["both", "receptive_field"] == "16"
    assert totals(layer_table(model)) == {
        "params": (3 * 3 * 4 + 1) * 8 + (16 + 1) * 3,
        "trainable": 347,
        "non_trainable": 0,
        "macs": 56_448 + 10_368 + 48,
    }
    assert model.count_params() == 347


def test_a_shared_layer_without_weights_has_a_row_per_call():
    relu = L.ReLU(name="relu")
    inputs = keras.Input((8, 8, 3))
    x = relu(L.Conv2D(3, 3, name="c1")(inputs))
    model = keras.Model(inputs, relu(L.Conv2D(3, 3, name="c2")(x)))
    table = layer_table(model)
    assert list(table["name"])[1:] == ["c1", "relu (call 1)", "c2", "relu (call 2)"]
    assert list(table["formula"])[1:] == ["(3*3*3 + 1)*3 = 84", "", "(3*3*3 + 1)*3 = 84", ""]
    assert list(table["receptive_field"])[1:] == ["3", "3", "5", "5"]
    assert totals(table)["params"] == 168 == model.count_params()


def test_compare_names_the_calls_of_a_shared_layer():
    conv = L.Conv2D(4, 3, name="conv")
    inputs = keras.Input((8, 8, 4), name="image")
    table = layer_table(keras.Model(inputs, conv(conv(inputs))))
    message = (
        "compare: no layer named 'conv' in the table; 'conv' is called more than once; name one "
        "call, e.g. 'conv (call 1)'. Its names are: image, conv (call 1), conv (call 2). "
        "Received: 'conv'"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        compare(table, {"conv": 148})


def test_a_nested_model_is_an_error():
    inner_input = keras.Input((8, 8, 3))
    inner = keras.Model(inner_input, L.Conv2D(3, 1)(inner_input), name="backbone")
    inputs = keras.Input((8, 8, 3))
    message = (
        "layer_table cannot count a nested model (a model used as a layer): its layer calls are "
        "hidden inside it. Count it alone, layer_table(inner_model), or build the outer model by "
        "calling the inner model's layers on tensors. Received: 'backbone' of type Functional"
    )
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        layer_table(keras.Model(inputs, inner(inputs)))


def test_a_keras_ops_operation_is_an_error_not_a_silent_zero():
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, L.Conv2D(3, 1, name="conv")(inputs) + inputs)
    with pytest.raises(TypeError, match=r"this is a keras\.ops operation .* Received: '\w+' of"):
        layer_table(model)


# --- channels_first: channels and positions read from the layer's own data_format ------------


def _channels_first_net(height=10, width=8):
    inputs = keras.Input((4, height, width), name="image")  # (channels, height, width)
    x = L.Conv2D(5, 3, data_format="channels_first", name="conv")(inputs)
    x = L.BatchNormalization(axis=1, name="bn")(x)
    x = L.MaxPooling2D(2, data_format="channels_first", name="pool")(x)
    x = L.GlobalAveragePooling2D(data_format="channels_first", name="gap")(x)
    return keras.Model(inputs, L.Dense(5, name="fc")(x))


def test_channels_first_is_counted_on_its_channel_axis():
    model = _channels_first_net()
    table = layer_table(model).set_index("name")
    assert table.loc["conv", "output_shape"] == (5, 8, 6)
    assert table.loc["conv", "formula"] == "(3*3*4 + 1)*5 = 185"
    # 8x6 positions * 5 filters * 3*3*4 weights (not 5*8 "positions" of 6 "channels")
    assert table.loc["conv", "macs"] == 8 * 6 * 5 * 3 * 3 * 4 == 8_640
    assert table.loc["bn", "formula"] == "2*5 + 2*5 = 20 (10 trainable)"
    assert table.loc["fc", "formula"] == "(5 + 1)*5 = 30"
    assert table.loc["fc", "macs"] == 5 * 5
    # conv 3, pool 2/2 -> 4 with jump 2; the global pool adds (extent - 1) * 2 on the 4x3 map
    assert list(table["receptive_field"]) == ["1", "3", "3", "4", "10x8", "10x8"]
    assert totals(layer_table(model)) == {
        "params": 185 + 20 + 30,
        "trainable": 225,
        "non_trainable": 10,
        "macs": 8_665,
    }
    assert model.count_params() == 235


def test_channels_first_flatten_sees_the_whole_map():
    inputs = keras.Input((4, 10, 8))
    x = L.Conv2D(6, 3, data_format="channels_first", name="conv")(inputs)
    model = keras.Model(inputs, L.Dense(5, name="fc")(L.Flatten(name="flat")(x)))
    table = layer_table(model).set_index("name")
    assert table.loc["fc", "formula"] == "(288 + 1)*5 = 1,445"  # 6 * 8 * 6 = 288 inputs
    assert list(table["receptive_field"]) == ["1", "3", "10x8", "10x8"]


def test_a_model_mixing_channels_first_and_last_is_an_error():
    inputs = keras.Input((4, 10, 8))
    x = L.Conv2D(6, 3, data_format="channels_first", name="conv")(inputs)
    model = keras.Model(inputs, L.MaxPooling2D(2, name="pool")(x))
    message = (
        "layer_table reads every feature map of a model in one layout, and this model mixes two: "
        "give all its layers the same data_format. Received: 'pool' channels_last, 'conv' "
        "channels_first"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        layer_table(model)


def test_a_dense_on_a_channels_first_map_is_an_error():
    inputs = keras.Input((4, 10, 8))
    x = L.Conv2D(6, 3, data_format="channels_first", name="conv")(inputs)
    message = (
        "layer 'fc' (Dense) works on the last axis of its input, which in this channels_first "
        "model is a spatial axis, not the channels: layer_table cannot count it as the model "
        "means it. Flatten or pool first, or build the model channels_last. Received: input "
        "shape (None, 6, 8, 6)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        layer_table(keras.Model(inputs, L.Dense(5, name="fc")(x)))


# --- What layer_table accepts ------------------------------------------------------------------
ACCEPTS = "layer_table accepts a built Functional or Sequential keras.Model"


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__(name="subclassed")
        self.dense = L.Dense(2)

    def call(self, x):
        return self.dense(x)


@pytest.mark.parametrize(
    "received, message",
    [
        (
            lambda: L.Dense(3, name="fc"),
            "; wrap the layer in a model: keras.Model(inputs, layer(inputs)). "
            "Received: a Dense layer 'fc'",
        ),
        (
            lambda: "lenet5",
            "; build the model first, e.g. layer_table(cnn_lessons.MODELS['lenet5']()). "
            "Received: str 'lenet5'",
        ),
        (lambda: None, ". Received: NoneType None"),
        (lambda: [lenet5()], "; pass one model at a time. Received: list [<Functional name=lenet5"),
        (
            Subclassed,
            "; a subclassed model has no graph of layer calls to walk: build it with the "
            "Functional API, keras.Model(inputs, outputs). Received: a Subclassed model "
            "'subclassed'",
        ),
    ],
    ids=["layer", "string", "None", "list", "subclassed"],
)
def test_what_is_not_a_built_model_is_a_type_error_saying_what_is(received, message):
    with pytest.raises(TypeError, match=f"^{re.escape(ACCEPTS + message)}"):
        layer_table(received())


def test_an_unbuilt_sequential_is_a_value_error_saying_how_to_build_it():
    model = keras.Sequential([L.Dense(3)], name="unbuilt")
    message = (
        f"{ACCEPTS}, and this Sequential has no input shape yet, so its layers have no sizes to "
        "count: start it with keras.Input(shape=...), or call model.build((None, ...)) first. "
        "Received: an unbuilt Sequential 'unbuilt'"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        layer_table(model)


def test_a_built_sequential_is_counted_with_its_input_row():
    with_input = keras.Sequential([keras.Input((5,), name="x"), L.Dense(3, name="fc")])
    built_later = keras.Sequential([L.Dense(3, name="fc2")])
    built_later.build((None, 5))
    for model, name in ((with_input, "fc"), (built_later, "fc2")):
        table = layer_table(model)
        assert list(table["type"]) == ["InputLayer", "Dense"]
        assert list(table["name"])[1:] == [name]
        assert table["formula"].iloc[1] == "(5 + 1)*3 = 18"
        assert table["macs"].iloc[1] == 15
        assert totals(table)["params"] == 18 == model.count_params()


def test_an_input_of_free_size_is_an_error():
    inputs = keras.Input((None, None, 3))
    message = (
        "layer_table counts shapes and MACs at one input size, and an input of this model has a "
        "free size (None): build it with a fixed one, e.g. keras.Input(shape=(224, 224, 3)). "
        "Received: input shape (None, None, None, 3)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        layer_table(keras.Model(inputs, L.Conv2D(2, 3)(inputs)))


# --- Reading a table: compare and totals refuse what is not one ------------------------------


def test_compare_lists_the_valid_names_of_a_missing_layer():
    table = layer_table(lenet5("paper"))
    names = ", ".join(table["name"])
    message = f"compare: no layer named 'C7' in the table. Its names are: {names}. Received: 'C7'"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        compare(table, {"C1": 156, "C7": 1})


def test_compare_lists_the_valid_columns():
    table = layer_table(lenet5("paper"))
    message = (
        "compare compares one of the columns params, keras_params, trainable, macs. "
        "Received: column='weights'"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        compare(table, {"C1": 156}, "weights")


def test_compare_of_an_indexed_table_says_how_to_mend_it():
    table = layer_table(lenet5("paper")).set_index("name")
    with pytest.raises(ValueError, match=r"lacks name; call \.reset_index\(\) to make the index"):
        compare(table, {"C1": 156})


@pytest.mark.parametrize(
    "received, error, message",
    [
        (lambda: {"params": 1}, TypeError, "Received: dict {'params': 1}"),
        (lenet5, TypeError, "; for a model, call totals(layer_table(model), ...). Received: a "),
        (
            lambda: pd.DataFrame({"params": [1]}),
            ValueError,
            ", with the columns params, trainable, macs; this one lacks trainable, macs. "
            "Received: a DataFrame with columns ['params']",
        ),
    ],
    ids=["dict", "model", "frame"],
)
def test_totals_of_what_is_not_a_layer_table_says_so(received, error, message):
    start = "totals needs the DataFrame that layer_table returns"
    with pytest.raises(error, match=f"^{re.escape(start)}.*{re.escape(message)}"):
        totals(received())


# --- More layers a learner would try, each counted by hand -----------------------------------


def test_depthwise_and_separable_convolutions():
    model = _tiny(
        L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="depthwise"),
        L.SeparableConv2D(6, 3, name="separable"),
    )
    table = layer_table(model).set_index("name")
    assert table.loc["depthwise", "formula"] == "(3*3 + 1)*4*2 = 80"
    assert table.loc["depthwise", "macs"] == 8 * 8 * (4 * 2) * 3 * 3
    # depthwise 3*3 per map of 8, then 1x1 from 8 maps to 6, plus 6 biases
    assert table.loc["separable", "formula"] == "3*3*8 + 8*6 + 6 = 126"
    assert table.loc["separable", "macs"] == 6 * 6 * (3 * 3 * 8 + 8 * 6) == 4_320
    assert list(table["receptive_field"]) == ["1", "3", "5"]
    assert totals(layer_table(model))["params"] == 206 == model.count_params()


def test_dilation_and_same_padding_with_stride_2():
    model = _tiny(
        L.Conv2D(4, 3, dilation_rate=2, padding="same", name="dilated"),
        L.Conv2D(4, 3, strides=2, padding="same", name="strided"),
        L.Conv2D(4, 3, name="after"),
        shape=(9, 9, 4),
    )
    table = layer_table(model).set_index("name")
    assert [table.loc[n, "output_shape"] for n in ("dilated", "strided", "after")] == [
        (9, 9, 4), (5, 5, 4), (3, 3, 4),
    ]  # fmt: skip  # "same" with stride 2: ceil(9 / 2) = 5
    assert [table.loc[n, "macs"] for n in ("dilated", "strided", "after")] == [
        9 * 9 * 4 * 36, 5 * 5 * 4 * 36, 3 * 3 * 4 * 36,
    ]  # fmt: skip
    # a dilated 3x3 spans 5; stride 2 doubles the step of the next 3x3: 7 + 2 * 2
    assert list(table["receptive_field"]) == ["1", "5", "7", "11"]


def test_dense_on_a_feature_map_is_a_1x1_convolution():
    model = _tiny(L.Dense(7, name="fc"), shape=(5, 5, 3))
    row = layer_table(model).set_index("name").loc["fc"]
    assert (row["formula"], row["macs"], row["receptive_field"]) == ("(3 + 1)*7 = 28", 525, "1")


def test_a_vector_input_has_no_receptive_field():
    table = layer_table(_tiny(L.Dense(10, name="fc"), shape=(784,)))
    assert list(table["receptive_field"]) == ["", ""]
    assert table["macs"].iloc[1] == 7_840


# --- Blocks: a paper's table rows beside ours --------------------------------------------------


def _two_blocks():
    inputs = keras.Input((8, 8, 3), name="image")
    x = L.Conv2D(4, 3, padding="same", name="a_conv")(inputs)
    x = L.BatchNormalization(name="a_bn")(x)
    x = L.MaxPooling2D(2, name="pool")(x)
    x = L.Conv2D(6, 1, name="b_conv")(x)
    return keras.Model(inputs, x, name="two_blocks")


def _block(name):
    return name.split("_")[0] if "_" in name else None


def test_block_totals_sum_weights_without_biases_params_and_macs():
    blocks = block_totals(_two_blocks(), _block)
    assert list(blocks.index) == ["a", "b"]
    # a: 3*3*3*4 kernel + 4 BN scales (biases, BN shifts and statistics left out)
    assert blocks.to_dict("index") == {
        "a": {"weights": 108 + 4, "params": 112 + 16, "macs": 8 * 8 * 4 * 27},
        "b": {"weights": 4 * 6, "params": 30, "macs": 4 * 4 * 6 * 4},
    }


def test_compare_blocks_sets_the_papers_rows_beside_ours():
    result = compare_blocks(
        _two_blocks(), _block, {"a": 0.1, "b": 0.1}, {"a": 0.007, "b": 1}, ("K", 1000), ("k", 1e3)
    )
    assert result.to_dict("list") == {
        "row": ["a", "b"],
        "weights": [112, 24],
        "params_K": [0.1, 0.0],
        "paper_params_K": [0.1, 0.1],
        "difference_K": [0.0, -0.1],
        "MACs_k": [6.9, 0.4],
        "paper_ops_k": [0.007, 1],
    }
    assert list(compare_blocks(_two_blocks(), _block, {"a": 1, "b": 1}).columns) == [
        "row", "weights", "params_K", "paper_params_K", "difference_K",
    ]  # fmt: skip


def test_compare_blocks_refuses_rows_that_do_not_match():
    message = (
        "compare_blocks: the paper's rows and the blocks of model 'two_blocks' differ: the "
        "paper's ['c'] have no layer in the model, the model's ['b'] no row in the paper. "
        "Received: paper rows ['a', 'c'], model blocks ['a', 'b']"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        compare_blocks(_two_blocks(), _block, {"a": 1, "c": 1})
    with pytest.raises(ValueError, match=r"same rows, in the same order.*\['a', 'b'\] and \['a'\]"):
        compare_blocks(_two_blocks(), _block, {"a": 1, "b": 1}, {"a": 1})
    with pytest.raises(ValueError, match=r"^`weight_unit` must be \(name, size\), e\.g\."):
        compare_blocks(_two_blocks(), _block, {"a": 1, "b": 1}, weight_unit=1024)


def test_block_totals_refuses_a_block_of_that_is_not_a_function_or_finds_nothing():
    with pytest.raises(TypeError, match=r"a function from a layer name .* Received: dict \{"):
        block_totals(_two_blocks(), {"a_conv": "a"})
    with pytest.raises(ValueError, match="block_of puts no layer of model 'two_blocks' in a"):
        block_totals(_two_blocks(), lambda name: None)
