"""Writing files so that a failure or an interrupt never leaves half a file where a good one was:
write under a unique hidden temporary name in the same folder, then rename over the target
(`os.replace` is atomic on one file system). The datasets, the saved runs and the executed
notebooks all go through here.
"""

import contextlib
import os
import tempfile
from pathlib import Path


def temporary_file(folder, prefix, suffix):
    """A new, empty, hidden file in `folder` with a unique name, readable as the user's other
    files are (`tempfile.mkstemp` makes it private to its owner)."""
    fd, path = tempfile.mkstemp(dir=folder, prefix=f".{prefix}.", suffix=suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)
    return Path(path)


@contextlib.contextmanager
def replacing(path, suffix=None):
    """Yield a temporary path beside `path` to write to; when the block ends without an error it
    replaces `path`, and in every case the temporary file is gone afterwards."""
    path = Path(path)
    tmp = temporary_file(path.parent, path.stem, suffix or path.suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
