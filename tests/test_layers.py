import keras
import numpy as np
import pytest

from cnn_lessons.layers import LocalResponseNormalization


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
