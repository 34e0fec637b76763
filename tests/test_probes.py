import warnings

import numpy as np
import pytest

from cnn_lessons import probes, training
from cnn_lessons.googlenet import googlenet_cifar
from cnn_lessons.lenet import lenet5


def test_copied_weights_make_the_same_network_compute_the_same_function():
    training.set_seed(0)
    with_aux, plain = googlenet_cifar(aux_heads=True), googlenet_cifar()
    copied = probes.copy_weights(with_aux, plain)
    assert "conv1" in copied and "linear" in copied and not any("aux" in n for n in copied)
    images = np.random.default_rng(0).uniform(size=(2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(
        np.asarray(plain(images)), np.asarray(with_aux(images)[0]), atol=1e-6
    )


def test_copying_between_different_networks_names_the_layer():
    with pytest.raises(ValueError, match=r"Layer 'S2' holds weights of shapes"):
        probes.copy_weights(lenet5("modern"), lenet5("paper"))


def test_layer_outputs_reads_named_layers_in_inference_mode():
    model = lenet5("modern")
    images = np.zeros((3, 32, 32, 1), "float32")
    outputs = probes.layer_outputs(model, ["C1", "F6"], images)
    assert outputs["C1"].shape == (3, 28, 28, 6) and outputs["F6"].shape == (3, 84)
    assert probes.layer_outputs(model, "C1", images)["C1"].shape == (3, 28, 28, 6)
    with pytest.raises(ValueError, match=r"has no layer named 'C7'"):
        probes.layer_outputs(model, ["C7"], images)


def test_layer_outputs_of_a_one_input_model_warn_nothing():
    model = lenet5("modern")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras's "structure of `inputs` doesn't match" warning
        probes.layer_outputs(model, "C1", np.zeros((2, 32, 32, 1), "float32"))
