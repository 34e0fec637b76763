import keras
import numpy as np
import pytest

from cnn_lessons import residual, resnet


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_a_zeroed_residual_block_is_the_identity_on_what_a_block_receives(policy):
    keras.mixed_precision.set_global_policy(policy)  # quick mode may choose bfloat16
    rng = np.random.default_rng(0)
    signed = rng.normal(size=(2, 8, 8, 16)).astype("float32")
    relu_output = np.maximum(signed, 0)  # what the previous block's ReLU hands on
    ours = residual.zero_residual_block()
    assert keras.mixed_precision.global_policy().name == policy  # put back
    np.testing.assert_array_equal(ours.predict(relu_output, verbose=0), relu_output)
    # On signed inputs the paper's block is not the identity: its final ReLU clips them.
    np.testing.assert_array_equal(ours.predict(signed, verbose=0), relu_output)
    copied = residual.zero_residual_block(mistake="no_relu_after_add")
    np.testing.assert_array_equal(copied.predict(signed, verbose=0), signed)


def test_the_zeroed_block_has_the_blocks_layers_and_a_zero_scale():
    model = residual.zero_residual_block(filters=8, input_shape=(4, 4, 8))
    gamma, beta, _, _ = model.get_layer("block_2_bn").get_weights()
    assert not gamma.any() and not beta.any()
    assert model.get_layer("block_1_conv").get_weights()[0].any()  # the rest is untouched
    assert model.count_params() == 2 * 3 * 3 * 8 * 8 + 2 * 4 * 8
    with pytest.raises(ValueError, match="Received: mistake='relu_before_add'"):
        residual.zero_residual_block(mistake="relu_before_add")


def tiny_data(n=24):
    rng = np.random.default_rng(1)
    return rng.uniform(size=(n, 8, 8, 3)).astype("float32"), rng.integers(0, 10, n)


def test_training_errors_gives_one_error_per_batch_and_repeats():
    x, y = tiny_data()
    runs = []
    for _ in range(2):
        model = resnet.resnet_cifar(8, input_shape=(8, 8, 3))
        model.set_weights([np.full_like(w, 0.01) for w in model.get_weights()])
        runs.append(residual.training_errors(model, x, y, batch_size=8, passes=2, warmup=3))
    assert len(runs[0]) == 2 * 3  # 24 images: 3 batches of 8, twice
    assert all(error in {k / 8 for k in range(9)} for error in runs[0])  # a fraction of 8
    assert runs[0] == runs[1]
    rate = model.optimizer.learning_rate  # after 6 steps, past the warm-up: the peak
    assert float(rate) == pytest.approx(0.025)


def test_training_errors_warms_up_linearly():
    x, y = tiny_data(8)
    model = resnet.resnet_cifar(8, input_shape=(8, 8, 3))
    residual.training_errors(model, x, y, batch_size=8, learning_rate=0.1, warmup=4)
    schedule = model.optimizer._learning_rate
    assert [float(schedule(step)) for step in range(6)] == pytest.approx(
        [0.025, 0.05, 0.075, 0.1, 0.1, 0.1]
    )


def test_training_errors_divides_the_rate_by_ten_at_each_milestone():
    x, y = tiny_data(8)
    model = resnet.resnet_cifar(8, input_shape=(8, 8, 3))
    residual.training_errors(model, x, y, batch_size=8, learning_rate=0.1, passes=4,
                             milestones=(0.5, 0.75))  # fmt: skip
    schedule = model.optimizer._learning_rate  # 4 iterations: drops at iterations 2 and 3
    assert [float(schedule(step)) for step in range(4)] == pytest.approx([0.1, 0.1, 0.01, 0.001])
    with pytest.raises(ValueError, match=r"each in \(0, 1\)\. Received: milestones=\(0\.5, 2\)"):
        residual.training_errors(model, x, y, batch_size=8, milestones=(0.5, 2))


def recording(model, batches):
    """`model.train_on_batch`, which also keeps each batch of images it is given in `batches`."""
    train = model.train_on_batch

    def train_and_keep(images, labels, **kwargs):
        batches.append(images.copy())
        return train(images, labels, **kwargs)

    return train_and_keep


def test_training_errors_flips_the_batches_it_trains_on_when_asked(monkeypatch):
    x, y = tiny_data()
    seen = {False: [], True: []}
    for flip, batches in seen.items():
        model = resnet.resnet_cifar(8, input_shape=(8, 8, 3))
        monkeypatch.setattr(model, "train_on_batch", recording(model, batches))
        residual.training_errors(model, x, y, batch_size=8, flip=flip)
    assert len(seen[True]) == len(seen[False]) == 3  # the same batches, in the same order
    mirrored = 0
    for plain, flipped in zip(np.concatenate(seen[False]), np.concatenate(seen[True])):
        assert np.array_equal(flipped, plain) or np.array_equal(flipped, plain[:, ::-1])
        mirrored += not np.array_equal(flipped, plain)
    assert 0 < mirrored < len(x)
    with pytest.raises(ValueError, match=r"`shift` must be an integer >= 0. Received: shift=-2"):
        residual.training_errors(model, x, y, batch_size=8, shift=-2)


def test_training_errors_rejects_what_cannot_train():
    x, y = tiny_data(8)
    model = resnet.resnet_cifar(8, input_shape=(8, 8, 3))
    with pytest.raises(ValueError, match=r"8 images for batches of 32\. Received: len\(x\)=8"):
        residual.training_errors(model, x, y)
    with pytest.raises(ValueError, match="passes"):
        residual.training_errors(model, x, y, batch_size=8, passes=0)
    with pytest.raises(ValueError, match=r"`warmup` must be an integer >= 0. Received: warmup=-1"):
        residual.training_errors(model, x, y, batch_size=8, warmup=-1)


def test_window_band_is_the_trailing_mean_and_its_standard_error():
    mean, error = residual.window_band([0.0, 1.0, 0.0, 1.0], window=2)
    np.testing.assert_allclose(mean, [0.0, 0.5, 0.5, 0.5])
    np.testing.assert_allclose(error, [0.0, 0.5, 0.5, 0.5])  # std 0.7071 / sqrt(2)
    with pytest.raises(ValueError, match="Received: window=0"):
        residual.window_band([0.5], window=0)


def test_training_error_figure_draws_a_band_per_curve():
    figure = residual.training_error_figure(
        {"plain": {"a": [0.9, 0.8, 0.7], "b": [0.9, 0.9, 0.8]}, "residual": {"c": [0.5] * 3}}, 2
    )
    assert [ax.get_title() for ax in figure.axes] == ["plain", "residual"]
    assert [len(ax.collections) for ax in figure.axes] == [2, 1]  # one band per curve
    assert figure.axes[0].get_ylabel() == "training error (2-iteration mean ± 1 s.e.)"
