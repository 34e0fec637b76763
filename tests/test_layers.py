import re

import keras
import numpy as np
import pytest

from cnn_lessons.layers import (
    LocalResponseNormalization,
    SparseConv2D,
    SubsampleZeroPad,
    Subsampling,
)
from cnn_lessons.lenet import C3_CONNECTIONS


def lrn_reference(a, size=5, k=2.0, alpha=1e-4, beta=0.75):
    """The paper's formula, written as plainly as possible (section 3.3)."""
    b = np.empty_like(a)
    n_channels = a.shape[-1]
    for i in range(n_channels):
        lo, hi = max(0, i - size // 2), min(n_channels - 1, i + size // 2)
        total = (a[..., lo : hi + 1] ** 2).sum(axis=-1)
        b[..., i] = a[..., i] / (k + alpha * total) ** beta
    return b


@pytest.mark.parametrize("kwargs", [{}, {"size": 3, "k": 1.0, "alpha": 0.5, "beta": 0.5}])
def test_lrn_matches_the_papers_formula_on_random_input(kwargs):
    a = np.random.default_rng(0).normal(scale=20.0, size=(2, 5, 5, 12)).astype("float32")
    got = np.asarray(LocalResponseNormalization(**kwargs)(a))
    np.testing.assert_allclose(got, lrn_reference(a, **kwargs), rtol=1e-5)


def test_lrn_round_trips_through_saving(tmp_path):
    inputs = keras.Input((4, 4, 8))
    model = keras.Model(inputs, LocalResponseNormalization(alpha=0.01, name="norm")(inputs))
    model.save(tmp_path / "lrn.keras")
    loaded = keras.models.load_model(tmp_path / "lrn.keras")
    assert loaded.get_layer("norm").get_config()["alpha"] == 0.01
    x = np.random.default_rng(1).normal(size=(1, 4, 4, 8)).astype("float32")
    np.testing.assert_array_equal(np.asarray(model(x)), np.asarray(loaded(x)))


def test_lrn_rejects_an_even_window():
    with pytest.raises(ValueError, match="size=4"):
        LocalResponseNormalization(size=4)


# --- Arguments of the custom layers -------------------------------------------------------------


def test_numpy_integers_are_accepted_and_saved_as_plain_ints():
    lrn = LocalResponseNormalization(size=np.int64(3), k=np.float32(1.0))
    assert lrn.get_config()["size"] == 3 and type(lrn.get_config()["size"]) is int
    pad = SubsampleZeroPad(np.int64(2), np.int64(32))
    assert (pad.strides, pad.channels) == (2, 32) and type(pad.strides) is int
    sparse = SparseConv2D([[np.int64(0), 1], [1, 2]], kernel_size=np.int64(3))
    assert sparse.connections == ((0, 1), (1, 2)) and type(sparse.kernel_size) is int
    assert Subsampling(np.int64(2)).pool_size == 2


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: LocalResponseNormalization(size=5.0),
            "`size` must be a positive odd number of channels. Received: size=5.0",
        ),
        (
            lambda: LocalResponseNormalization(size=0),
            "`size` must be a positive odd number of channels. Received: size=0",
        ),
        (
            lambda: LocalResponseNormalization(k="2"),
            "`k` must be a number in (0, inf). Received: k='2'",
        ),
        (
            lambda: LocalResponseNormalization(k=0),
            "`k` must be a number in (0, inf). Received: k=0",
        ),
        (
            lambda: LocalResponseNormalization(alpha=-1e-4),
            "`alpha` must be a number in [0, inf). Received: alpha=-0.0001",
        ),
        (
            lambda: LocalResponseNormalization(beta=None),
            "`beta` must be a number in [0, inf). Received: beta=None",
        ),
        (lambda: SubsampleZeroPad(0), "`strides` must be an integer >= 1. Received: strides=0"),
        (lambda: SubsampleZeroPad(2.0), "`strides` must be an integer >= 1. Received: strides=2.0"),
        (
            lambda: SubsampleZeroPad(2, 32.5),
            "`channels` must be an integer >= 1. Received: channels=32.5",
        ),
        (lambda: Subsampling(2.5), "`pool_size` must be an integer >= 1. Received: pool_size=2.5"),
        (lambda: Subsampling(2, "tanhh"), "Did you mean 'tanh'"),
        (
            lambda: SparseConv2D(C3_CONNECTIONS, kernel_size="5"),
            "`kernel_size` must be an integer >= 1. Received: kernel_size='5'",
        ),
        (lambda: SparseConv2D(C3_CONNECTIONS, activation=7), "Received: activation=7"),
    ],
)
def test_bad_layer_arguments_get_the_packages_error(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


@pytest.mark.parametrize(
    "connections",
    [[], [[0, 1], []], [[0, 1.5]], [[0, 0, 1]], [[-1, 2]], 5, [[0, "1"]]],
)
def test_a_bad_connection_table_is_refused(connections):
    message = (
        "SparseConv2D needs, for every output map, a non-empty sequence of distinct input map "
        f"indices (integers >= 0). Received: connections={connections!r}"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        SparseConv2D(connections)
