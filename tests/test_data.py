import zipfile

import numpy as np
import pytest

from cnn_lessons import data


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No $CNN_LESSONS_DATA, an empty cache folder, and a download that fails as offline."""
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(data, "cache_dir", lambda: tmp_path / "cache")

    def offline(name):
        raise OSError("URL fetch failure: [Errno -2] Name or service not known")

    monkeypatch.setattr(data, "_download_arrays", offline)
    return tmp_path


def _fake_arrays(n_train=30, n_test=10, shape=(28, 28), value=0):
    rng = np.random.default_rng(value)
    return {
        "x_train": np.full((n_train, *shape), value, np.uint8),
        "y_train": rng.permutation(np.arange(n_train) % 10).astype(np.uint8),
        "x_test": np.full((n_test, *shape), value, np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }


def _write(folder, name="mnist", **kwargs):
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / f"{name}.npz", **_fake_arrays(**kwargs))
    return folder


def test_subsets_are_class_balanced_scaled_and_padded(mnist_dir):
    mnist = data.load_mnist(1_000, 500, seed=0, data_dir=mnist_dir)
    assert mnist.x_train.shape == (1_000, 32, 32, 1) and mnist.x_test.shape == (500, 32, 32, 1)
    assert mnist.x_train.dtype == np.float32
    assert mnist.x_train.min() == 0.0 and mnist.x_train.max() == 1.0
    assert np.bincount(mnist.y_train).tolist() == [100] * 10
    assert np.bincount(mnist.y_test).tolist() == [50] * 10
    # the 2-pixel border that pads 28 to 32 is blank
    assert mnist.x_train[:, :2].max() == 0.0 and mnist.x_train[:, :, -2:].max() == 0.0
    raw = data.load_mnist(10, 10, data_dir=mnist_dir, pad_to=None)
    assert raw.x_train.shape == (10, 28, 28, 1)


def test_subsets_are_reproducible_from_the_seed(mnist_dir):
    first = data.load_mnist(200, 100, seed=7, data_dir=mnist_dir)
    again = data.load_mnist(200, 100, seed=7, data_dir=mnist_dir)
    other = data.load_mnist(200, 100, seed=8, data_dir=mnist_dir)
    np.testing.assert_array_equal(first.x_train, again.x_train)
    np.testing.assert_array_equal(first.y_test, again.y_test)
    assert not np.array_equal(first.x_train, other.x_train)


def test_all_images_come_shuffled_and_reproducible(mnist_dir):
    # n=None (the GPU mode) takes every image, shuffled: `fit` holds out the *last* share, which
    # in file order would be the same digits every time and no random sample.
    first = data.load_mnist(None, None, seed=0, data_dir=mnist_dir, pad_to=None)
    again = data.load_mnist(None, None, seed=0, data_dir=mnist_dir, pad_to=None)
    assert first.x_train.shape == (60_000, 28, 28, 1) and first.x_test.shape == (10_000, 28, 28, 1)
    np.testing.assert_array_equal(first.y_train, again.y_train)
    with np.load(mnist_dir / "mnist.npz") as raw:
        file_order = raw["y_train"]
    assert not np.array_equal(first.y_train, file_order)
    np.testing.assert_array_equal(np.sort(first.y_train), np.sort(file_order))
    assert data.available("mnist", mnist_dir) == (60_000, 10_000)
    assert data.available("cifar10", mnist_dir) == (10_000, 5_000)


def test_cifar10_subset_has_rgb_images_and_flat_labels(mnist_dir):
    cifar = data.load_cifar10(50, 20, data_dir=mnist_dir)
    assert cifar.x_train.shape == (50, 32, 32, 3) and cifar.y_train.shape == (50,)
    assert np.bincount(cifar.y_train).tolist() == [5] * 10
    assert cifar.class_names[3] == "cat"


def test_balanced_indices_spread_the_remainder_and_fill_from_larger_classes():
    labels = np.array([0] * 2 + [1] * 10 + [2] * 10)
    picked = data.balanced_indices(labels, 14, seed=0)
    assert len(set(picked)) == 14
    assert np.bincount(labels[picked]).tolist() == [2, 6, 6]
    assert sorted(np.bincount(labels[data.balanced_indices(labels, 5)]).tolist()) == [1, 2, 2]


def test_asking_for_more_images_than_exist_states_both_counts(mnist_dir):
    with pytest.raises(ValueError, match="70,000 mnist train images, but .* has only 60,000"):
        data.load_mnist(70_000, data_dir=mnist_dir)
    with pytest.raises(ValueError, match="n_test"):
        data.load_mnist(10, 0, data_dir=mnist_dir)


def test_search_order_is_argument_then_environment_then_repository(isolated, monkeypatch):
    explicit = _write(isolated / "explicit")
    from_env = _write(isolated / "env")
    repo = _write(isolated / "cache")
    monkeypatch.setenv(data.ENV_VAR, str(from_env))
    assert data.find("mnist", explicit) == explicit / "mnist.npz"
    assert data.find("mnist") == from_env / "mnist.npz"
    monkeypatch.delenv(data.ENV_VAR)
    assert data.find("mnist") == repo / "mnist.npz"
    assert data.find("mnist", isolated / "empty") == repo / "mnist.npz"


def test_offline_with_nothing_cached_names_every_place_and_the_fetch_command(isolated, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(isolated / "env"))
    with pytest.raises(data.DatasetError) as error:
        data.load_mnist(data_dir=isolated / "mine")
    message = str(error.value)
    for folder in ("mine", "env", "cache"):
        assert str(isolated / folder / "mnist.npz") in message
    assert "cnn-lessons data fetch" in message and "Name or service not known" in message
    assert not (isolated / "cache").exists()


def test_a_download_is_cached_atomically(isolated, monkeypatch):
    monkeypatch.setattr(data, "_download_arrays", lambda name: _fake_arrays(value=9))
    path = data.fetch("mnist")
    assert path == isolated / "cache" / "mnist.npz"
    assert [p.name for p in path.parent.iterdir()] == ["mnist.npz"]
    assert data.load_mnist().x_train.max() == pytest.approx(9 / 255)


def test_a_failed_save_leaves_no_partial_file_and_keeps_what_was_there(isolated, monkeypatch):
    target = isolated / "cache" / "cifar10.npz"

    def broken_savez(handle, **arrays):
        handle.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(data, "_download_arrays", lambda name: _fake_arrays(shape=(32, 32, 3)))
    monkeypatch.setattr(np, "savez_compressed", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        data.fetch("cifar10")
    assert not target.parent.exists() or list(target.parent.iterdir()) == []


def test_an_unreadable_file_is_an_error_naming_it(isolated):
    folder = isolated / "bad"
    folder.mkdir()
    (folder / "mnist.npz").write_bytes(b"this is not a zip archive")
    with pytest.raises(data.DatasetError, match=str(folder / "mnist.npz")):
        data.load_mnist(data_dir=folder)
    assert (folder / "mnist.npz").read_bytes() == b"this is not a zip archive"  # never deleted


def test_an_archive_with_the_wrong_layout_is_named(isolated):
    folder = _write(isolated / "wrong", name="cifar10", shape=(28, 28))
    with pytest.raises(data.DatasetError, match="does not hold cifar10"):
        data.load_cifar10(data_dir=folder)
    with zipfile.ZipFile(folder / "mnist.npz", "w") as archive:
        archive.writestr("x_train.npy", b"")
    with pytest.raises(data.DatasetError, match="mnist.npz"):
        data.load_mnist(data_dir=folder)


def test_status_reports_location_and_completeness(mnist_dir, isolated):
    full = data.status("mnist", mnist_dir)
    assert full["complete"] and (full["train"], full["test"]) == (60_000, 10_000)
    subset = data.status("cifar10", mnist_dir)
    assert not subset["complete"] and (subset["train"], subset["test"]) == (10_000, 5_000)
    assert data.status("mnist", isolated / "nothing")["path"] is None


def test_unknown_dataset_is_a_value_error():
    with pytest.raises(ValueError, match="'imagenet'"):
        data.load("imagenet")
