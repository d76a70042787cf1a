"""Replace one file in a single step: readers see the old bytes or the new, never a mix."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_file(path: Path, data: bytes, prefix: str | None = None) -> None:
    """Write `data` to a temporary file beside `path` (named from `prefix`, by default
    from `path`'s name), then rename it over `path`."""
    handle, temp = tempfile.mkstemp(prefix=prefix or f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temp, 0o666 & ~umask())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def umask() -> int:
    """The process's umask (reading it means setting it: it is set back at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
