"""MNIST and CIFAR-10: find the files, take class-balanced subsets, scale the pixels.

The archives use the `keras.datasets` layout (`x_train`, `y_train`, `x_test`, `y_test`). They are
looked for in this order:

1. the `data_dir` argument;
2. the folder named by `$CNN_LESSONS_DATA`;
3. the repository's `data/` folder (or `~/.cache/cnn-lessons` when installed outside a checkout);
4. a download through `keras.datasets`, cached into the folder of step 3.

`cnn-lessons data fetch` runs step 4 ahead of time, for a workshop before the Wi-Fi fails.
"""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENV_VAR = "CNN_LESSONS_DATA"
FETCH_COMMAND = "cnn-lessons data fetch"
CLASS_NAMES = {
    "mnist": tuple(str(digit) for digit in range(10)),
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer",
                "dog", "frog", "horse", "ship", "truck"),
}  # fmt: skip
# What each archive must hold: image shape after the count, and the full sets' sizes.
LAYOUT = {"mnist": (28, 28), "cifar10": (32, 32, 3)}
FULL_SIZE = {"mnist": (60_000, 10_000), "cifar10": (50_000, 10_000)}


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


def search_dirs(data_dir=None):
    """The folders searched for the archives, in order."""
    dirs = []
    if data_dir is not None:
        dirs.append(Path(data_dir))
    if os.environ.get(ENV_VAR):
        dirs.append(Path(os.environ[ENV_VAR]))
    dirs.append(cache_dir())
    return dirs


def _check_name(name):
    if name not in LAYOUT:
        raise ValueError(f"Unknown dataset. Use one of {sorted(LAYOUT)}. Received: {name!r}")


def find(name, data_dir=None):
    """The path of `<name>.npz` in the first folder of `search_dirs` that has it, or None."""
    _check_name(name)
    for folder in search_dirs(data_dir):
        path = folder / f"{name}.npz"
        if path.is_file():
            return path
    return None


def _download_arrays(name):
    """Download the full set through keras.datasets (network needed)."""
    import keras

    module = {"mnist": keras.datasets.mnist, "cifar10": keras.datasets.cifar10}[name]
    (x_train, y_train), (x_test, y_test) = module.load_data()
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _save_atomically(arrays, path):
    """Write the archive under a temporary name first, so a failure never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch(name, data_dir=None):
    """Return the path of `<name>.npz`, downloading the full set into `cache_dir()` if needed."""
    path = find(name, data_dir)
    if path is not None:
        return path
    target = cache_dir() / f"{name}.npz"
    try:
        arrays = _download_arrays(name)
    except Exception as error:
        looked = "\n".join(f"  - {folder / f'{name}.npz'}" for folder in search_dirs(data_dir))
        raise DatasetError(
            f"{name}.npz was not found and could not be downloaded ({type(error).__name__}: "
            f"{error}).\nLooked in:\n{looked}\n"
            f"Fix: run `{FETCH_COMMAND}` while online, or copy {name}.npz into one of these "
            f"folders, or set ${ENV_VAR} to the folder that holds it."
        ) from error
    _save_atomically(arrays, target)
    return target


def read(path, name):
    """Read and check an archive; any problem is an error that names the file."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    except Exception as error:
        raise DatasetError(
            f"Could not read {path}: {type(error).__name__}: {error}. The file is damaged or is not "
            f"a {name} archive in the keras.datasets layout; move it away and run "
            f"`{FETCH_COMMAND}`."
        ) from error
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"].reshape(-1)
        if x.shape[1:] != LAYOUT[name] or len(x) != len(y):
            raise DatasetError(
                f"{path} does not hold {name}: x_{split} has shape {x.shape} and y_{split} "
                f"{len(y)} labels, expected (N, {', '.join(map(str, LAYOUT[name]))}) and N labels."
            )
        arrays[f"y_{split}"] = y.astype("int64")
    return arrays


def balanced_indices(labels, n, seed=0):
    """Indices of `n` examples with the classes as equal as possible, reproducible from `seed`.

    Each class gets n // classes, and the n % classes largest classes one more; a class with
    fewer examples than its share gives the rest to the others. The result is shuffled.
    """
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
    source = fetch(name, data_dir)
    arrays = read(source, name)
    splits = {}
    for split, n in (("train", n_train), ("test", n_test)):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if n is None:
            n = len(y)  # all of them, shuffled like a subset: `fit` holds out the last share
        else:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"`n_{split}` must be a positive integer. Received: {n!r}")
            if n > len(y):
                raise ValueError(
                    f"Asked for {n:,} {name} {split} images, but {source} has only {len(y):,}."
                )
        keep = balanced_indices(y, n, seed)
        x, y = x[keep], y[keep]
        splits[split] = (_to_float(x, pad_to), y)
    return Dataset(name, *splits["train"], *splits["test"], source=source)


def _to_float(images, pad_to):
    images = images.astype("float32") / 255.0
    if images.ndim == 3:  # MNIST has no channel axis
        images = images[..., None]
    if pad_to is not None:
        height, width = images.shape[1:3]
        if pad_to < max(height, width):
            raise ValueError(
                f"`pad_to` must be at least the image size {height}x{width}. Received: {pad_to}"
            )
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
    _check_name(name)
    with np.load(fetch(name, data_dir), allow_pickle=False) as archive:
        return len(archive["y_train"]), len(archive["y_test"])


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
