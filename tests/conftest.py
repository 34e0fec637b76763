import pytest

from cnn_lessons import data


def _folder_with(name, complete):
    """Where the course itself finds `<name>.npz`: `data.fetch`'s search order ($CNN_LESSONS_DATA,
    then the repository's data/), downloading the set into data/ only if none is cached."""
    path = data.fetch(name)
    info = data.status(name, path.parent)
    assert info["complete"] or not complete, (
        f"the tests need the full {name} set, but {path} has {info['train']:,} training and "
        f"{info['test']:,} test images: replace it with the output of `cnn-lessons data fetch`"
    )
    return path.parent


@pytest.fixture(scope="session")
def mnist_dir():
    """The folder with the real, full mnist.npz."""
    return _folder_with("mnist", complete=True)


@pytest.fixture(scope="session")
def cifar10_dir():
    """The folder with cifar10.npz (the full set or a class-balanced subset of it)."""
    return _folder_with("cifar10", complete=False)


@pytest.fixture(autouse=True)
def _float32_after_each_test():
    """`training.configure` (the CLI's `train`, a notebook's settings cells) sets Keras's global
    precision policy, and on a CPU where bfloat16 measured faster it chooses that: put float32
    back after every test, so one test's choice never leaks into the next."""
    yield
    import sys

    if "keras" in sys.modules:
        sys.modules["keras"].mixed_precision.set_global_policy("float32")
