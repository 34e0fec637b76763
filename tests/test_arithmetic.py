import gc
import math

import keras
import pytest

from cnn_lessons import MODELS
from cnn_lessons.arithmetic import compare, layer_table, totals
from cnn_lessons.lenet import lenet5

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
    del model  # the ImageNet-size models hold up to 0.6 GB each: free one before the next
    keras.backend.clear_session()
    gc.collect()


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


def test_an_unknown_layer_is_an_error_naming_its_type_never_zero():
    model = _tiny(keras.layers.DepthwiseConv2D(3, name="depthwise"))
    with pytest.raises(TypeError, match="DepthwiseConv2D"):
        layer_table(model)


def test_compare_sets_a_reference_beside_ours():
    table = layer_table(lenet5("paper"))
    result = compare(table, {"C1": 156, "C3": 416})
    assert list(result["match"]) == [True, False]
    assert list(result["ours"]) == [156, 1_516]
