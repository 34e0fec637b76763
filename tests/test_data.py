import functools
import hashlib
import http.server
import io
import pickle
import socket
import tarfile
import threading
import zipfile

import numpy as np
import pytest

from cnn_lessons import data

# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def online(tmp_path, monkeypatch):
    """No $CNN_LESSONS_DATA or download settings, an empty cache folder, the real downloader (the
    tests only ever give it servers on 127.0.0.1)."""
    for variable in (data.ENV_VAR, data.MIRROR_VAR, data.TIMEOUT_VAR):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("no_proxy", "*")  # a proxy set for the machine must not relay 127.0.0.1
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setattr(data, "cache_dir", lambda: tmp_path / "cache")
    return tmp_path


@pytest.fixture
def isolated(online, monkeypatch):
    """`online`, but every download fails as it does offline."""

    def offline(name):
        raise OSError("URL fetch failure: [Errno -2] Name or service not known")

    monkeypatch.setattr(data, "_download_arrays", offline)
    return online


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """`serve(folder)` starts an HTTP server on 127.0.0.1, in a thread, and returns its URL."""
    servers = []

    def start(folder):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent_url():
    """A server that accepts connections and never answers, like a stalled proxy: the kernel
    completes the handshake for a listening socket, and nothing ever reads or writes."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


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


def _files(folder):
    """Every file in `folder`, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cifar_tarball(path, per_batch=3):
    """A tiny cifar-10-python.tar.gz laid out like the real one; returns its batches."""
    rng = np.random.default_rng(1)
    batches = {}
    with tarfile.open(path, "w:gz") as archive:
        members = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
        for number, member in enumerate(members):
            images = rng.integers(0, 256, (per_batch, 3 * 32 * 32), dtype=np.uint8)
            labels = [(number * per_batch + k) % 10 for k in range(per_batch)]
            content = {b"batch_label": member.encode(), b"labels": labels, b"data": images}
            # name NumPy's reconstructor as the original (NumPy 1) files do
            raw = pickle.dumps(content, protocol=3)
            raw = raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
            info = tarfile.TarInfo(f"cifar-10-batches-py/{member}")
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))
            batches[member] = (images, labels)
    return batches


# --- loading the real data -----------------------------------------------------------------------


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


def test_cifar10_has_rgb_images_and_flat_labels(cifar10_dir):
    cifar = data.load_cifar10(50, 20, data_dir=cifar10_dir)
    assert cifar.x_train.shape == (50, 32, 32, 3) and cifar.y_train.shape == (50,)
    assert np.bincount(cifar.y_train).tolist() == [5] * 10
    assert cifar.class_names[3] == "cat"
    with np.load(cifar10_dir / "cifar10.npz") as raw:
        counts = (len(raw["y_train"]), len(raw["y_test"]))
    assert counts in ((10_000, 5_000), (50_000, 10_000))  # the shared subset, or the full set
    assert data.available("cifar10", cifar10_dir) == counts


def test_balanced_indices_spread_the_remainder_and_fill_from_larger_classes():
    labels = np.array([0] * 2 + [1] * 10 + [2] * 10)
    picked = data.balanced_indices(labels, 14, seed=0)
    assert len(set(picked)) == 14
    assert np.bincount(labels[picked]).tolist() == [2, 6, 6]
    assert sorted(np.bincount(labels[data.balanced_indices(labels, 5)]).tolist()) == [1, 2, 2]


def test_asking_for_more_images_than_exist_states_both_counts(mnist_dir):
    with pytest.raises(ValueError, match="70,000 mnist train images, but .* has only 60,000"):
        data.load_mnist(70_000, data_dir=mnist_dir)


# --- where the files are looked for --------------------------------------------------------------


def test_search_order_is_argument_then_environment_then_repository(isolated, monkeypatch):
    explicit = _write(isolated / "explicit")
    from_env = _write(isolated / "env")
    repo = _write(isolated / "cache")
    monkeypatch.setenv(data.ENV_VAR, str(from_env))
    assert data.find("mnist", explicit) == explicit / "mnist.npz"
    assert data.find("mnist") == from_env / "mnist.npz"
    monkeypatch.delenv(data.ENV_VAR)
    assert data.find("mnist") == repo / "mnist.npz"  # the offline route: files copied into data/
    (isolated / "empty").mkdir()
    assert data.find("mnist", isolated / "empty") == repo / "mnist.npz"
    assert data.fetch("mnist") == repo / "mnist.npz"  # found: nothing downloaded


def test_a_folder_the_user_names_must_exist_and_be_a_folder(isolated, monkeypatch):
    folder = _write(isolated / "mine")
    with pytest.raises(ValueError) as error:
        data.load_mnist(data_dir=folder / "mnist.npz")
    assert str(error.value) == (
        f"`data_dir` must be the folder that holds the archives, not a file: use {str(folder)!r}. "
        f"Received: data_dir={str(folder / 'mnist.npz')!r}"
    )
    missing = r"`data_dir` names a folder that does not exist\. .* Received: data_dir='.*/mnie'"
    with pytest.raises(ValueError, match=missing):
        data.load_mnist(data_dir=isolated / "mnie")
    with pytest.raises(
        ValueError, match=r"`data_dir` must be a folder path\. Received: data_dir=5"
    ):
        data.find("mnist", 5)
    monkeypatch.setenv(data.ENV_VAR, str(folder / "mnist.npz"))
    with pytest.raises(
        ValueError, match=r"not a file: use .* Received: CNN_LESSONS_DATA=\'.*/mine/mnist\.npz\'$"
    ):
        data.status("mnist")
    monkeypatch.setenv(data.ENV_VAR, str(isolated / "nowhere"))
    with pytest.raises(ValueError, match=r"`\$CNN_LESSONS_DATA` names a folder that does not"):
        data.fetch("mnist")
    monkeypatch.setenv("HOME", str(isolated))
    monkeypatch.delenv(data.ENV_VAR)
    assert data.find("mnist", "~/mine") == folder / "mnist.npz"


def test_offline_with_nothing_cached_names_every_place_and_the_fetch_command(isolated, monkeypatch):
    (isolated / "env").mkdir()
    (isolated / "mine").mkdir()
    monkeypatch.setenv(data.ENV_VAR, str(isolated / "env"))
    with pytest.raises(data.DatasetError) as error:
        data.load_mnist(data_dir=isolated / "mine")
    message = str(error.value)
    for folder in ("mine", "env", "cache"):
        assert str(isolated / folder / "mnist.npz") in message
    assert "cnn-lessons data fetch" in message and "Name or service not known" in message
    assert not (isolated / "cache").exists()


def test_status_reports_location_and_completeness(mnist_dir, isolated):
    full = data.status("mnist", mnist_dir)
    path = str(mnist_dir / "mnist.npz")
    expected = {"dataset": "mnist", "path": path, "train": 60_000, "test": 10_000}
    assert full == {**expected, "complete": True}
    subset = data.status("cifar10", _write(isolated / "small", "cifar10", shape=(32, 32, 3)))
    assert not subset["complete"] and (subset["train"], subset["test"]) == (30, 10)
    (isolated / "nothing").mkdir()
    assert data.status("mnist", isolated / "nothing")["path"] is None


def test_a_dataset_name_a_learner_might_type_is_explained():
    with pytest.raises(ValueError, match="'imagenet'"):
        data.load("imagenet")
    with pytest.raises(ValueError) as error:
        data.load("MNIST")
    assert str(error.value) == (
        "Unknown dataset: the course has 'mnist' and 'cifar10'. Names are lower case without a "
        "dash: use 'mnist'. Received: 'MNIST'"
    )
    with pytest.raises(ValueError, match=r"use 'cifar10'\. Received: 'CIFAR-10'"):
        data.load("CIFAR-10")
    with pytest.raises(ValueError, match=r"'cifar10'\. Received: 'cifar100'$"):
        data.fetch("cifar100")
    with pytest.raises(ValueError, match=r"Received: \['mnist'\]$"):
        data.find(["mnist"])


# --- downloading ---------------------------------------------------------------------------------


def test_a_download_is_cached_atomically(isolated, monkeypatch):
    monkeypatch.setattr(data, "_download_arrays", lambda name: _fake_arrays(value=9))
    path = data.fetch("mnist")
    assert path == isolated / "cache" / "mnist.npz"
    assert _files(path.parent) == ["mnist.npz"]
    assert path.stat().st_mode & 0o777 == 0o644  # readable by the folder's other users
    assert data.load_mnist().x_train.max() == pytest.approx(9 / 255)


def test_the_mirror_serves_our_own_layout(online, serve, monkeypatch):
    room = _write(online / "teacher", value=7)  # a prefetched data/ folder, served on the LAN
    _write(room, "cifar10", shape=(32, 32, 3), value=5)
    monkeypatch.setenv(data.MIRROR_VAR, serve(room) + "/")
    assert data.fetch("mnist") == online / "cache" / "mnist.npz"
    assert data.load_cifar10().x_train.max() == pytest.approx(5 / 255)
    assert _files(online / "cache") == ["cifar10.npz", "mnist.npz"]
    with np.load(online / "cache" / "mnist.npz") as cached:
        for key, array in _fake_arrays(value=7).items():
            np.testing.assert_array_equal(cached[key], array)
            assert cached[key].dtype == np.uint8


def test_the_keras_origins_are_checked_and_converted(online, serve, monkeypatch):
    origin = online / "origin"
    origin.mkdir()
    np.savez(origin / "mnist.npz", **_fake_arrays(value=3))
    batches = _cifar_tarball(origin / "cifar-10-python.tar.gz")
    base = serve(origin)
    monkeypatch.setitem(data.ORIGINS, "mnist", (f"{base}/mnist.npz", _sha256(origin / "mnist.npz")))
    tarball = origin / "cifar-10-python.tar.gz"
    monkeypatch.setitem(data.ORIGINS, "cifar10", (f"{base}/{tarball.name}", _sha256(tarball)))

    assert data.available("mnist") == (30, 10)
    cifar = data.read(data.fetch("cifar10"), "cifar10")
    assert _files(online / "cache") == ["cifar10.npz", "mnist.npz"]  # no tarball, no temporary

    # as keras.datasets.cifar10: batches 1-5 in order, each row (3, 32, 32) made channels-last
    def keras_layout(members):
        images = np.concatenate([batches[m][0] for m in members]).reshape(-1, 3, 32, 32)
        labels = np.concatenate([batches[m][1] for m in members])
        return images.transpose(0, 2, 3, 1), labels

    x_train, y_train = keras_layout([f"data_batch_{i}" for i in range(1, 6)])
    x_test, y_test = keras_layout(["test_batch"])
    np.testing.assert_array_equal(cifar["x_train"], x_train)
    np.testing.assert_array_equal(cifar["y_train"], y_train)
    np.testing.assert_array_equal(cifar["x_test"], x_test)
    np.testing.assert_array_equal(cifar["y_test"], y_test)
    assert cifar["x_train"].shape == (15, 32, 32, 3) and cifar["y_test"].tolist() == [5, 6, 7]
    with np.load(online / "cache" / "cifar10.npz") as cached:  # keras.datasets' own dtypes
        assert cached["y_train"].shape == (15, 1) and cached["y_train"].dtype == np.uint8


def test_a_server_that_never_answers_fails_within_the_timeout(online, silent_url, monkeypatch):
    monkeypatch.setitem(data.ORIGINS, "mnist", (f"{silent_url}/mnist.npz", "0" * 64))
    monkeypatch.setenv(data.TIMEOUT_VAR, "0.2")
    with pytest.raises(data.DatasetError) as error:
        data.load("mnist")
    message = str(error.value)
    assert message.startswith(
        f"mnist.npz was not found and could not be downloaded (OSError: {silent_url}/mnist.npz: "
        "no answer within 0.2 s (a stalled network, proxy or captive portal; "
        "$CNN_LESSONS_DOWNLOAD_TIMEOUT sets how long to wait)).\nLooked in:\n"
    )
    assert str(online / "cache" / "mnist.npz") in message and "cnn-lessons data fetch" in message
    assert _files(online / "cache") == []


def test_a_missing_or_wrong_file_on_the_server_leaves_nothing_behind(online, serve, monkeypatch):
    served = online / "served"
    served.mkdir()
    base = serve(served)
    monkeypatch.setenv(data.MIRROR_VAR, base)
    not_found = rf"{base}/mnist\.npz: the server answered HTTP 404 File not found\)\.\nLooked in:"
    with pytest.raises(data.DatasetError, match=not_found):
        data.fetch("mnist")
    # a captive portal's page, served in place of the archive
    (served / "cifar10.npz").write_text("<html>Please log in to the school Wi-Fi</html>")
    with pytest.raises(data.DatasetError, match=rf"{base}/cifar10\.npz is not a cifar10 archive"):
        data.fetch("cifar10")
    # the mirror's archive, but not our layout
    _write(served, "mnist", shape=(32, 32, 3))
    with pytest.raises(data.DatasetError, match=rf"{base}/mnist\.npz does not hold mnist: x_train"):
        data.fetch("mnist")
    monkeypatch.delenv(data.MIRROR_VAR)
    monkeypatch.setitem(data.ORIGINS, "mnist", (f"{base}/mnist.npz", "0" * 64))
    wrong = rf"{base}/mnist\.npz: the file's sha256 is {_sha256(served / 'mnist.npz')}, not the "
    with pytest.raises(data.DatasetError, match=wrong + r"expected 0{64} \(a damaged download"):
        data.fetch("mnist")
    assert _files(online / "cache") == []


def test_a_cifar_batch_that_would_run_code_is_refused(online, serve, monkeypatch):
    origin = online / "origin"
    origin.mkdir()
    tarball = origin / "cifar-10-python.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        raw = b"cos\nsystem\n(S'echo owned'\ntR."  # pickle for os.system("echo owned")
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = len(raw)
        archive.addfile(info, io.BytesIO(raw))
    monkeypatch.setitem(
        data.ORIGINS, "cifar10", (f"{serve(origin)}/{tarball.name}", _sha256(tarball))
    )
    with pytest.raises(data.DatasetError, match=r"UnpicklingError: refusing to load os\.system"):
        data.fetch("cifar10")
    assert _files(online / "cache") == []


def test_bad_download_settings_are_named_before_any_download(online, monkeypatch):
    monkeypatch.setenv(data.TIMEOUT_VAR, "soon")
    with pytest.raises(ValueError, match=r"Received: CNN_LESSONS_DOWNLOAD_TIMEOUT='soon'$"):
        data.fetch("mnist")
    monkeypatch.setenv(data.TIMEOUT_VAR, "0")
    with pytest.raises(ValueError, match=r"> 0, such as 30\. Received: .*='0'$"):
        data.fetch("mnist")
    monkeypatch.delenv(data.TIMEOUT_VAR)
    monkeypatch.setenv(data.MIRROR_VAR, "192.168.1.10:8000")
    with pytest.raises(ValueError, match=r"such as http://.* Received: CNN_LESSONS_DATA_URL="):
        data.load_mnist()
    assert not (online / "cache").exists()


# --- nothing a user downloaded is lost or corrupted ----------------------------------------------


class _InterruptedStream:
    """A response that gives one chunk, then the learner presses Ctrl-C."""

    def __init__(self, *args, **kwargs):
        self.chunks = [b"PK\x03\x04 the first megabyte"]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def read(self, size):
        if self.chunks:
            return self.chunks.pop()
        raise KeyboardInterrupt


def test_an_interrupted_download_leaves_no_file(online, monkeypatch):
    monkeypatch.setattr(data.urllib.request, "urlopen", _InterruptedStream)
    with pytest.raises(KeyboardInterrupt):
        data.fetch("mnist")
    assert (online / "cache").is_dir() and _files(online / "cache") == []


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_save_leaves_no_partial_file(isolated, monkeypatch, failure):
    def broken_savez(handle, **arrays):
        handle.write(b"half a file")
        raise failure

    monkeypatch.setattr(data, "_download_arrays", lambda name: _fake_arrays(shape=(32, 32, 3)))
    monkeypatch.setattr(np, "savez_compressed", broken_savez)
    with pytest.raises(type(failure)):
        data.fetch("cifar10")
    assert _files(isolated / "cache") == []


# --- what the archives must hold -----------------------------------------------------------------


def test_an_unreadable_file_is_an_error_naming_it(isolated):
    folder = isolated / "bad"
    folder.mkdir()
    (folder / "mnist.npz").write_bytes(b"this is not a zip archive")
    with pytest.raises(data.DatasetError, match=str(folder / "mnist.npz")):
        data.load_mnist(data_dir=folder)
    assert (folder / "mnist.npz").read_bytes() == b"this is not a zip archive"  # never deleted


def test_a_damaged_archive_gives_the_same_error_everywhere(isolated):
    folder = _write(isolated / "cut")
    whole = (folder / "mnist.npz").read_bytes()
    (folder / "mnist.npz").write_bytes(whole[: len(whole) // 2])  # a copy cut short
    errors = []
    for call in (
        lambda: data.load_mnist(data_dir=folder),
        lambda: data.available("mnist", folder),
        lambda: data.status("mnist", folder),
    ):
        with pytest.raises(data.DatasetError) as error:
            call()
        errors.append(str(error.value))
    assert errors[0] == errors[1] == errors[2]
    assert errors[0].startswith(f"Could not read {folder / 'mnist.npz'}: ")
    assert errors[0].endswith(
        "The file is damaged or is not a mnist archive in the keras.datasets layout; move it away "
        "and run `cnn-lessons data fetch`."
    )


def test_an_archive_with_the_wrong_layout_is_named(isolated):
    folder = _write(isolated / "wrong", name="cifar10", shape=(28, 28))
    with pytest.raises(data.DatasetError, match="does not hold cifar10"):
        data.load_cifar10(data_dir=folder)
    with zipfile.ZipFile(folder / "mnist.npz", "w") as archive:
        archive.writestr("x_train.npy", b"")
    with pytest.raises(data.DatasetError, match="mnist.npz: it has no y_train, x_test, y_test"):
        data.load_mnist(data_dir=folder)
    np.save(folder / "one.npy", np.zeros((3, 28, 28), np.uint8))
    (folder / "one.npy").rename(folder / "mnist.npz")  # one array saved under the archive's name
    with pytest.raises(data.DatasetError, match="it holds a single array, not an .npz archive"):
        data.load_mnist(data_dir=folder)


def _bad(key, change):
    arrays = _fake_arrays()
    arrays[key] = change(arrays[key])
    return arrays


FIX_FETCH = r", or move the file away and run `cnn-lessons data fetch`\.$"
BAD_ARCHIVES = {
    "scaled twice": (
        _bad("x_train", lambda x: x.astype("float32") / 255),
        r"x_train holds float32 pixels in \[0, 1\], already scaled: the loader divides by 255 "
        r"itself, which would leave them near 0\. Fix: save np\.round\(x_train \* 255\)"
        r"\.astype\('uint8'\)" + FIX_FETCH,
    ),
    "16-bit": (
        _bad("x_test", lambda x: (x.astype("uint16") + 1) * 1000),
        r"x_test holds uint16 pixels from 1000 to 1000, not uint8 0-255\. Fix: save the images "
        r"as uint8 0-255",
    ),
    "signed": (
        _bad("x_train", lambda x: x.astype("int8") - 1),
        r"x_train holds int8 pixels from -1 to -1, not uint8 0-255",
    ),
    "label 10": (
        _bad("y_train", lambda y: y + 1),
        r"y_train has labels that are not the class numbers 0 to 9 \(such as 10; 3 in all\)\. "
        r"Fix: save y_train as integers 0 to 9" + FIX_FETCH,
    ),
    "negative": (
        _bad("y_test", lambda y: y.astype("int64") - 1),
        r"y_test has labels that are not the class numbers 0 to 9 \(such as -1; 1 in all\)",
    ),
    "fractional": (
        _bad("y_test", lambda y: y + 0.5),
        r"y_test has labels that are not the class numbers 0 to 9 \(such as 0\.5; 10 in all\)",
    ),
    "text labels": (
        _bad("y_test", lambda y: y.astype(str)),
        r"y_test holds <U3, not class numbers",
    ),
    "one-hot": (
        _bad("y_train", lambda y: np.eye(10, dtype="uint8")[y]),
        r"x_train has shape \(30, 28, 28\) and y_train \(30, 10\), expected \(N, 28, 28\) and "
        r"\(N,\) or \(N, 1\)\. Fix: "
        r"y_train looks one-hot; save the class numbers, y_train\.argmax\(axis=1\)",
    ),
    "count": (
        _bad("y_test", lambda y: y[:-1]),
        r"mnist: x_test has shape \(10, 28, 28\) and y_test \(9,\), expected \(N, 28, 28\) and "
        r"\(N,\) or \(N, 1\)\. Fix: save x_test as \(N, 28, 28\) and y_test as N labels, or use "
        r"the right file \(`cnn-lessons data fetch` downloads it\)\.$",
    ),
    "empty": (
        _fake_arrays(n_test=0),
        r"the test split is empty \(x_test has shape \(0, 28, 28\)\)\. Fix: save at least one "
        r"test image" + FIX_FETCH,
    ),
}


@pytest.mark.parametrize("case", BAD_ARCHIVES)
def test_what_an_archive_holds_is_checked_on_load(isolated, case):
    arrays, expected = BAD_ARCHIVES[case]
    folder = isolated / "bad"
    folder.mkdir()
    np.savez(folder / "mnist.npz", **arrays)
    with pytest.raises(
        data.DatasetError, match=rf"^{folder / 'mnist.npz'} does not hold .*{expected}"
    ):
        data.load_mnist(data_dir=folder)


def test_labels_stored_as_whole_floats_or_a_column_load(isolated):
    arrays = _fake_arrays()
    arrays["y_train"] = arrays["y_train"].astype("float32").reshape(-1, 1)
    folder = isolated / "float-labels"
    folder.mkdir()
    np.savez(folder / "mnist.npz", **arrays)
    mnist = data.load_mnist(30, 10, data_dir=folder)
    assert mnist.y_train.dtype == np.int64 and np.bincount(mnist.y_train).tolist() == [3] * 10


# --- arguments -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"seed": -1}, "`seed` must be an integer >= 0. Received: seed=-1"),
        ({"seed": 1.5}, "`seed` must be an integer >= 0. Received: seed=1.5"),
        ({"seed": "0"}, "`seed` must be an integer >= 0. Received: seed='0'"),
        ({"pad_to": 0}, "`pad_to` must be an integer >= 1. Received: pad_to=0"),
        ({"pad_to": 2.5}, "`pad_to` must be an integer >= 1. Received: pad_to=2.5"),
        ({"pad_to": "32"}, "`pad_to` must be an integer >= 1. Received: pad_to='32'"),
        ({"name": "cifar10", "pad_to": 30},
         "`pad_to` must be at least the cifar10 image size, 32. Received: pad_to=30"),
        ({"pad_to": 27}, "`pad_to` must be at least the mnist image size, 28. Received: pad_to=27"),
        ({"n_train": 0}, "`n_train` must be an integer >= 1. Received: n_train=0"),
        ({"n_train": 2.5}, "`n_train` must be an integer >= 1. Received: n_train=2.5"),
        ({"n_test": "10"}, "`n_test` must be an integer >= 1. Received: n_test='10'"),
        ({"n_test": True}, "`n_test` must be an integer >= 1. Received: n_test=True"),
    ],
)  # fmt: skip
def test_bad_arguments_are_named_before_any_file_is_read(isolated, arguments, message):
    arguments = {"name": "mnist", **arguments}
    with pytest.raises(ValueError) as error:
        data.load(**arguments)  # nothing is cached: the check comes before any search
    assert str(error.value) == message


def test_numpy_integers_are_accepted_and_the_seed_is_checked_where_it_is_used(isolated):
    folder = _write(isolated / "fake")
    mnist = data.load_mnist(np.int64(20), np.uint8(10), seed=np.int32(3), data_dir=folder)
    assert mnist.x_train.shape == (20, 32, 32, 1) and mnist.x_test.shape == (10, 32, 32, 1)
    with pytest.raises(ValueError, match=r"^`seed` must be an integer >= 0\. Received: seed=-2$"):
        data.balanced_indices(np.arange(10), 5, seed=-2)
