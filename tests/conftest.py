import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def mnist_dir():
    """The folder with the real mnist.npz: $CNN_LESSONS_DATA, else ../shared/data."""
    folder = Path(os.environ.get("CNN_LESSONS_DATA", SHARED_DATA))
    assert (folder / "mnist.npz").is_file(), (
        f"the tests need the real MNIST in {folder}: set CNN_LESSONS_DATA or run "
        "`cnn-lessons data fetch`"
    )
    return folder
