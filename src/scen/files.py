"""Files that users rely on are written all-or-nothing: a new file renamed over the old.

A reader (TensorBoard, a script, the next scen command) sees the old file or the new one,
never half of one, whatever interrupts the write: Ctrl-C, kill -9, a full disk.
"""

from __future__ import annotations

import os
from typing import Callable, IO


def write_atomically(path: str, content: str | bytes | Callable[[IO[bytes]], None]) -> None:
    """Write `content` (text, bytes, or a function that writes into the open binary file:
    np.savez, Figure.savefig) to `path.tmp`, flush it to disk, then rename it over `path`
    (os.replace is atomic on POSIX and Windows). On any error the temporary file is removed
    and `path` is as it was."""
    tmp = f"{path}.tmp"
    try:
        with open(tmp, "wb") as f:
            if callable(content):
                content(f)
            else:
                f.write(content.encode() if isinstance(content, str) else content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
