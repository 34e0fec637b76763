"""MNIST and CIFAR-10: find the files, take class-balanced subsets, scale the pixels.

The archives use the `keras.datasets` layout (`x_train`, `y_train`, `x_test`, `y_test`; images as
uint8 pixels 0-255, labels as class numbers). They are looked for in this order:

1. the `data_dir` argument;
2. the folder named by `$CNN_LESSONS_DATA`;
3. the repository's `data/` folder (or `~/.cache/cnn-lessons` when installed outside a checkout);
4. a download of the full set, cached into the folder of step 3: from the `keras.datasets`
   origins, or from `$CNN_LESSONS_DATA_URL/<name>.npz` when that mirror is set (a teacher can
   serve a prefetched `data/` folder on the room's network with `python -m http.server`).

`cnn-lessons data fetch` runs step 4 ahead of time, for a workshop before the Wi-Fi fails. A
download waits at most `$CNN_LESSONS_DOWNLOAD_TIMEOUT` seconds (30) for each answer from the
server, so a network that connects but never answers fails instead of hanging.
"""

import contextlib
import hashlib
import http.client
import io
import math
import os
import pickle
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .files import replacing, temporary_file
from .validation import positive_int

ENV_VAR = "CNN_LESSONS_DATA"
MIRROR_VAR = "CNN_LESSONS_DATA_URL"
TIMEOUT_VAR = "CNN_LESSONS_DOWNLOAD_TIMEOUT"
DOWNLOAD_TIMEOUT = 30.0  # seconds to wait for each answer (connect, each read), not in all
FETCH_COMMAND = "cnn-lessons data fetch"
CLASS_NAMES = {
    "mnist": tuple(str(digit) for digit in range(10)),
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer",
                "dog", "frog", "horse", "ship", "truck"),
}  # fmt: skip
# What each archive must hold: image shape after the count, and the full sets' sizes.
LAYOUT = {"mnist": (28, 28), "cifar10": (32, 32, 3)}
FULL_SIZE = {"mnist": (60_000, 10_000), "cifar10": (50_000, 10_000)}
KEYS = ("x_train", "y_train", "x_test", "y_test")
# The keras.datasets origins and the sha256 that keras.datasets checks them against.
ORIGINS = {
    "mnist": (
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    ),
    "cifar10": (
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    ),
}
CHUNK_BYTES = 1 << 20


class DatasetError(RuntimeError):
    """A dataset could not be found, downloaded or read; the message says what to do."""


def _repository_root():
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() else None


def cache_dir():
    """Where downloads are cached: the checkout's `data/`, else `~/.cache/cnn-lessons`."""
    root = _repository_root()
    if root is not None:
        return root / "data"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cnn-lessons"


def _folder(argument, value):
    """A folder the user named: it must exist and be a folder (a typo would otherwise fall
    through to a download, and a file's path would be searched as if it were a folder)."""
    received = f"Received: {argument.lstrip('$')}={value!r}"
    if not isinstance(value, (str, os.PathLike)):
        raise ValueError(f"`{argument}` must be a folder path. {received}")
    folder = Path(value).expanduser()
    received = f"Received: {argument.lstrip('$')}={str(value)!r}"
    if folder.is_file():
        raise ValueError(
            f"`{argument}` must be the folder that holds the archives, not a file: use "
            f"{str(folder.parent)!r}. {received}"
        )
    if not folder.is_dir():
        raise ValueError(
            f"`{argument}` names a folder that does not exist. Fix the path, create the folder, "
            f"or leave it out. {received}"
        )
    return folder


def search_dirs(data_dir=None):
    """The folders searched for the archives, in order."""
    dirs = []
    if data_dir is not None:
        dirs.append(_folder("data_dir", data_dir))
    if os.environ.get(ENV_VAR):
        dirs.append(_folder(f"${ENV_VAR}", os.environ[ENV_VAR]))
    dirs.append(cache_dir())
    return dirs


def _check_name(name):
    if isinstance(name, str) and name in LAYOUT:
        return
    hint = ""
    if isinstance(name, str):
        spelled = name.lower().replace("-", "").replace("_", "")
        if spelled in LAYOUT:
            hint = f" Names are lower case without a dash: use {spelled!r}."
    raise ValueError(
        f"Unknown dataset: the course has 'mnist' and 'cifar10'.{hint} Received: {name!r}"
    )


def find(name, data_dir=None):
    """The path of `<name>.npz` in the first folder of `search_dirs` that has it, or None."""
    _check_name(name)
    for folder in search_dirs(data_dir):
        path = folder / f"{name}.npz"
        if path.is_file():
            return path
    return None


# --- downloading ---------------------------------------------------------------------------------


def download_timeout():
    """Seconds a download waits for each answer: `$CNN_LESSONS_DOWNLOAD_TIMEOUT`, else 30."""
    text = os.environ.get(TIMEOUT_VAR)
    if not text:
        return DOWNLOAD_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(
            f"`${TIMEOUT_VAR}` must be a number of seconds > 0, such as 30. "
            f"Received: {TIMEOUT_VAR}={text!r}"
        )
    return seconds


def mirror_url():
    """The base URL of `$CNN_LESSONS_DATA_URL`, without its trailing slash, or None."""
    base = os.environ.get(MIRROR_VAR)
    if not base:
        return None
    if not base.startswith(("http://", "https://")):
        raise ValueError(
            f"`${MIRROR_VAR}` must be a base URL such as http://192.168.1.10:8000 (the folder "
            f"that serves mnist.npz and cifar10.npz). Received: {MIRROR_VAR}={base!r}"
        )
    return base.rstrip("/")


def _why(error, timeout):
    """What went wrong with a request, in words a learner can act on."""
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(error, urllib.error.HTTPError):
        return f"the server answered HTTP {error.code} {error.reason}"
    if isinstance(reason, TimeoutError):
        return (
            f"no answer within {timeout:g} s (a stalled network, proxy or captive portal; "
            f"${TIMEOUT_VAR} sets how long to wait)"
        )
    return f"{type(reason).__name__}: {reason}"


@contextlib.contextmanager
def _downloaded(url, sha256, folder, name):
    """Stream `url` into a hidden temporary file in `folder`, check its sha256 (when known) and
    yield its path. The file is removed afterwards whatever happens, an interrupt included: this
    is the only function that touches the network."""
    timeout = download_timeout()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = temporary_file(folder, f"{name}-download", ".part")
    try:
        digest = hashlib.sha256()
        with open(tmp, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    while chunk := response.read(CHUNK_BYTES):
                        digest.update(chunk)
                        out.write(chunk)
            except (OSError, http.client.HTTPException) as error:
                raise OSError(f"{url}: {_why(error, timeout)}") from error
        if sha256 is not None and digest.hexdigest() != sha256:
            raise DatasetError(
                f"{url}: the file's sha256 is {digest.hexdigest()}, not the expected {sha256} "
                "(a damaged download, or a proxy's page instead of the file)"
            )
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _npz_arrays(path):
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in KEYS}


class _ArrayUnpickler(pickle.Unpickler):
    """Reads CIFAR-10's pickled batches, allowing NumPy arrays and nothing that could run code."""

    ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),  # how the original (NumPy 1) files name it
        ("numpy._core.multiarray", "_reconstruct"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch")
        return super().find_class(module, name)


def _cifar_tar_arrays(path):
    """CIFAR-10's python tarball as the keras.datasets arrays: data_batch_1..5 joined for
    training, test_batch for testing, images (N, 3, 32, 32) turned channels-last, labels (N, 1)."""

    def batch(archive, member):
        with archive.extractfile(f"cifar-10-batches-py/{member}") as handle:
            content = _ArrayUnpickler(io.BytesIO(handle.read()), encoding="bytes").load()
        images = np.asarray(content[b"data"], np.uint8).reshape(-1, 3, 32, 32)
        labels = np.asarray(content[b"labels"], np.uint8).reshape(-1, 1)
        return images.transpose(0, 2, 3, 1), labels

    with tarfile.open(path, "r:gz") as archive:
        train = [batch(archive, f"data_batch_{i}") for i in range(1, 6)]
        x_test, y_test = batch(archive, "test_batch")
    return {
        "x_train": np.concatenate([x for x, _ in train]),
        "y_train": np.concatenate([y for _, y in train]),
        "x_test": x_test,
        "y_test": y_test,
    }


def _download_arrays(name):
    """Download the full set: from the mirror when `$CNN_LESSONS_DATA_URL` is set (our own layout,
    no checksum known), else from the keras.datasets origin, checked against its sha256."""
    base = mirror_url()
    if base is not None:
        url, sha256, unpack = f"{base}/{name}.npz", None, _npz_arrays
    else:
        (url, sha256), unpack = ORIGINS[name], _UNPACK[name]
    with _downloaded(url, sha256, cache_dir(), name) as path:
        try:
            arrays = unpack(path)
        except Exception as error:  # not the archive it should be: cut short, or a web page
            raise DatasetError(
                f"{url} is not a {name} archive ({type(error).__name__}: {error})"
            ) from error
    _check_arrays(arrays, url, name)  # cached as served (keras.datasets' dtypes), once checked
    return arrays


_UNPACK = {"mnist": _npz_arrays, "cifar10": _cifar_tar_arrays}


def _save_atomically(arrays, path):
    """Write the archive under a temporary name first, so a failure never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def fetch(name, data_dir=None):
    """Return the path of `<name>.npz`, downloading the full set into `cache_dir()` if needed."""
    path = find(name, data_dir)
    if path is not None:
        return path
    download_timeout()  # a bad setting is the user's to fix, not a failed download
    mirror_url()
    target = cache_dir() / f"{name}.npz"
    try:
        arrays = _download_arrays(name)
    except Exception as error:
        looked = "\n".join(f"  - {folder / f'{name}.npz'}" for folder in search_dirs(data_dir))
        raise DatasetError(
            f"{name}.npz was not found and could not be downloaded ({type(error).__name__}: "
            f"{error}).\nLooked in:\n{looked}\n"
            f"Fix: run `{FETCH_COMMAND}` while online, or copy {name}.npz into one of these "
            f"folders, or set ${ENV_VAR} to the folder that holds it, or ${MIRROR_VAR} to a "
            "server that has it."
        ) from error
    _save_atomically(arrays, target)
    return target


# --- reading and checking ------------------------------------------------------------------------


def _unusable(where, name, problem, fix):
    return DatasetError(
        f"{where} does not hold usable {name} data: {problem}. Fix: {fix}, or move the file away "
        f"and run `{FETCH_COMMAND}`."
    )


def _check_arrays(arrays, where, name):
    """Check the four arrays of the keras.datasets layout; return them with flat int64 labels.

    Images must be uint8 pixels 0-255 (the loader scales them to [0, 1] itself) of the dataset's
    shape; labels must be whole class numbers in [0, classes). `where` names the file in errors.
    """
    classes = len(CLASS_NAMES[name])
    checked = dict(arrays)
    for split in ("train", "test"):
        xk, yk = f"x_{split}", f"y_{split}"
        x, y = np.asarray(arrays[xk]), np.asarray(arrays[yk])
        flat_labels = y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)
        if x.shape[1:] != LAYOUT[name] or not flat_labels or len(x) != len(y):
            shape = f"(N, {', '.join(map(str, LAYOUT[name]))})"
            fix = f"save {xk} as {shape} and {yk} as N labels"
            if y.ndim == 2 and y.shape[1] == classes:
                fix = f"{yk} looks one-hot; save the class numbers, {yk}.argmax(axis=1)"
            raise DatasetError(
                f"{where} does not hold {name}: {xk} has shape {x.shape} and {yk} {y.shape}, "
                f"expected {shape} and (N,) or (N, 1). Fix: {fix}, or use the right file "
                f"(`{FETCH_COMMAND}` downloads it)."
            )
        if len(x) == 0:
            problem = f"the {split} split is empty ({xk} has shape {x.shape})"
            raise _unusable(where, name, problem, f"save at least one {split} image")
        if x.dtype != np.uint8:
            low, high = (x.min(), x.max()) if x.dtype.kind in "biuf" else ("?", "?")
            if x.dtype.kind == "f" and 0 <= low and high <= 1:
                problem = (
                    f"{xk} holds {x.dtype} pixels in [0, 1], already scaled: the loader divides "
                    "by 255 itself, which would leave them near 0"
                )
                fix = f"save np.round({xk} * 255).astype('uint8')"
            else:
                problem = f"{xk} holds {x.dtype} pixels from {low} to {high}, not uint8 0-255"
                fix = f"save the images as uint8 0-255 ({xk}.astype('uint8') only if in range)"
            raise _unusable(where, name, problem, fix)
        y = y.reshape(-1)
        if y.dtype.kind not in "iuf":
            problem = f"{yk} holds {y.dtype}, not class numbers"
            raise _unusable(where, name, problem, f"save {yk} as integers 0 to {classes - 1}")
        whole = np.isfinite(y) & (y == np.round(y)) if y.dtype.kind == "f" else True
        if not np.all(whole) or y.min() < 0 or y.max() >= classes:
            bad = y[~(whole & (y >= 0) & (y < classes))]
            problem = (
                f"{yk} has labels that are not the class numbers 0 to {classes - 1} (such as "
                f"{bad[0]}; {len(bad):,} in all)"
            )
            raise _unusable(where, name, problem, f"save {yk} as integers 0 to {classes - 1}")
        checked[yk] = y.astype("int64")
    return checked


def read(path, name):
    """Read and check an archive; any problem is an error that names the file."""
    path = Path(path)
    try:
        loaded = np.load(path, allow_pickle=False)
    except Exception as error:
        raise _damaged(path, name, f"{type(error).__name__}: {error}") from error
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise _damaged(path, name, "it holds a single array, not an .npz archive of four")
    with loaded as archive:
        missing = [key for key in KEYS if key not in archive.files]
        if missing:
            raise _damaged(path, name, f"it has no {', '.join(missing)} (it holds {archive.files})")
        try:
            arrays = {key: archive[key] for key in KEYS}
        except Exception as error:  # a member cut short, a bad CRC, an object array
            raise _damaged(path, name, f"{type(error).__name__}: {error}") from error
    return _check_arrays(arrays, path, name)


def _damaged(path, name, why):
    return DatasetError(
        f"Could not read {path}: {why}. The file is damaged or is not a {name} archive in the "
        f"keras.datasets layout; move it away and run `{FETCH_COMMAND}`."
    )


def balanced_indices(labels, n, seed=0):
    """Indices of `n` examples with the classes as equal as possible, reproducible from `seed`.

    Each class gets n // classes, and the n % classes largest classes one more; a class with
    fewer examples than its share gives the rest to the others. The result is shuffled.
    """
    seed = positive_int("seed", seed, minimum=0)
    labels = np.asarray(labels).reshape(-1)
    if n > len(labels):
        raise ValueError(f"Asked for {n:,} images, but only {len(labels):,} exist.")
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    pools = {c: rng.permutation(np.flatnonzero(labels == c)) for c in classes}
    quota = dict.fromkeys(classes, 0)
    remaining, open_classes = n, sorted(classes, key=lambda c: len(pools[c]))
    while remaining and open_classes:
        share, extra = divmod(remaining, len(open_classes))
        for rank, c in enumerate(open_classes):
            want = share + (1 if rank >= len(open_classes) - extra else 0)
            take = min(want, len(pools[c]) - quota[c])
            quota[c] += take
            remaining -= take
        open_classes = [c for c in open_classes if quota[c] < len(pools[c])]
    chosen = np.concatenate([pools[c][: quota[c]] for c in classes])
    return rng.permutation(chosen)


@dataclass
class Dataset:
    """A train/test split ready for `model.fit`: float32 pixels in [0, 1], int64 labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: Path

    @property
    def class_names(self):
        return CLASS_NAMES[self.name]

    def __repr__(self):
        return (
            f"Dataset({self.name}: train {self.x_train.shape}, test {self.x_test.shape}, "
            f"from {self.source.name})"
        )


def load(name, n_train=None, n_test=None, seed=0, data_dir=None, pad_to=None):
    """Load a class-balanced subset of MNIST or CIFAR-10.

    Args:
        name: `"mnist"` or `"cifar10"`.
        n_train, n_test: how many images to take from each split (all of them when None).
        seed: picks the subset and its order (all images are shuffled too); the same seed gives
            the same images in the same order.
        data_dir: a folder to look in before the others (see the module docstring).
        pad_to: zero-pad the images to this size (MNIST's 28x28 to LeNet-5's 32x32).

    Returns:
        A `Dataset` with images as float32 in [0, 1] of shape (N, H, W, C).
    """
    _check_name(name)
    counts = {
        split: None if n is None else positive_int(f"n_{split}", n)
        for split, n in (("train", n_train), ("test", n_test))
    }
    seed = positive_int("seed", seed, minimum=0)
    if pad_to is not None:
        size = max(LAYOUT[name][:2])
        pad_to = positive_int("pad_to", pad_to)
        if pad_to < size:
            raise ValueError(
                f"`pad_to` must be at least the {name} image size, {size}. Received: pad_to={pad_to}"
            )
    source = fetch(name, data_dir)
    arrays = read(source, name)
    splits = {}
    for split, n in counts.items():
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if n is None:
            n = len(y)  # all of them, shuffled like a subset: `fit` holds out the last share
        elif n > len(y):
            raise ValueError(
                f"Asked for {n:,} {name} {split} images, but {source} has only {len(y):,}. "
                f"Received: n_{split}={n}"
            )
        keep = balanced_indices(y, n, seed)
        splits[split] = (_to_float(x[keep], pad_to), y[keep])
    return Dataset(name, *splits["train"], *splits["test"], source=source)


def _to_float(images, pad_to):
    images = images.astype("float32") / 255.0
    if images.ndim == 3:  # MNIST has no channel axis
        images = images[..., None]
    if pad_to is not None:
        height, width = images.shape[1:3]
        top, left = (pad_to - height) // 2, (pad_to - width) // 2
        images = np.pad(
            images,
            ((0, 0), (top, pad_to - height - top), (left, pad_to - width - left), (0, 0)),
        )
    return images


def load_mnist(n_train=None, n_test=None, seed=0, data_dir=None, pad_to=32):
    """MNIST padded to LeNet-5's 32x32 by default (`pad_to=None` keeps 28x28)."""
    return load("mnist", n_train, n_test, seed, data_dir, pad_to)


def load_cifar10(n_train=None, n_test=None, seed=0, data_dir=None):
    """CIFAR-10, 32x32 RGB."""
    return load("cifar10", n_train, n_test, seed, data_dir)


def available(name, data_dir=None):
    """How many (training, test) images `name` has where `load` finds it, fetching it first.
    The GPU mode trains on all of them: 60,000 / 10,000 for full MNIST."""
    arrays = read(fetch(name, data_dir), name)  # checked as `load` checks it
    return len(arrays["y_train"]), len(arrays["y_test"])


def status(name, data_dir=None):
    """Where `<name>.npz` is and how complete it is, without downloading anything."""
    path = find(name, data_dir)
    if path is None:
        return {"dataset": name, "path": None, "train": 0, "test": 0, "complete": False}
    arrays = read(path, name)
    counts = (len(arrays["y_train"]), len(arrays["y_test"]))
    return {
        "dataset": name,
        "path": str(path),
        "train": counts[0],
        "test": counts[1],
        "complete": counts == FULL_SIZE[name],
    }
