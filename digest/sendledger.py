"""The send ledger: who has received each edition by email, so that no one gets it twice.

`digest send` records each address as soon as the mail server has accepted the message for
it, by replacing the whole file atomically (a new file written, flushed to the disk, then
renamed over the old one): a send killed at any moment leaves the ledger as it was before
or after one address, never half written, and the next run sends to the others only.

It is a YAML file beside the dates ledger, in the content folder, to commit with it:

    0:
    - ada@example.org
    - grace@example.org

It holds the subscribers' addresses: the content folder is never published (only the site
built from it is), but keep the repository that holds it private.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .config import check_address
from .problems import Problem, error
from .yamlfile import load_mapping, shorten

SENT_NAME = "sent.yaml"
HEADER = """\
# Who has received each edition of this digest by email: `digest send` adds each address
# as soon as the mail server has accepted the message for it, and never sends an edition
# to an address listed under it (unless told --again). Commit this file with the content.
# It holds subscribers' addresses: keep it out of anything published.
"""


def parse_sent(text: str, file: str) -> tuple[dict[int, list[str]], list[Problem]]:
    """edition number -> the addresses that received it, in the order they did."""
    entries, problems = load_mapping(text, file)
    sent: dict[int, list[str]] = {}
    for key, entry in entries.items():
        if not key.isascii() or not key.isdigit():
            problems.append(error(file, entry.line, f"{shorten(key)} is not an edition number"))
            continue
        value = entry.value if entry.value is not None else []
        if not isinstance(value, list):
            problems.append(
                error(file, entry.line, f"edition {key}: expected a list of addresses ('- a@b')")
            )
            continue
        addresses = []
        for address in value:
            try:
                addresses.append(check_address(str(address)))
            except ValueError as exc:
                problems.append(error(file, entry.line, f"edition {key}: {exc}"))
        sent[int(key)] = addresses
    return sent, problems


def format_sent(sent: dict[int, list[str]]) -> str:
    lines = [HEADER.rstrip("\n")]
    for number in sorted(sent):
        lines.append(f"{number}:")
        lines += [f"- {address}" for address in sent[number]]  # checked addresses: plain YAML
    return "\n".join(lines) + "\n"


class SendLedger:
    """The ledger file, read once and rewritten after each address recorded."""

    def __init__(self, path: Path, shown: str) -> None:
        self.path = path
        self.shown = shown
        self.sent: dict[int, list[str]] = {}

    def read(self) -> list[Problem]:
        try:
            text = self.path.read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return [error(self.shown, None, f"cannot read: {reason}")]
        self.sent, problems = parse_sent(text, self.shown)
        return problems

    def received(self, number: int) -> set[str]:
        return {address.lower() for address in self.sent.get(number, [])}

    def record(self, number: int, address: str) -> None:
        """Add `address` under edition `number`, on the disk before this returns."""
        listed = self.sent.setdefault(number, [])
        if address.lower() not in {a.lower() for a in listed}:
            listed.append(address)
        replace_durably(self.path, format_sent(self.sent).encode("utf-8"))


def replace_durably(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step that survives a crash of the process or the
    machine: written and flushed to a temporary file beside it, then renamed over it."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temp, 0o666 & ~mask)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    try:  # the rename itself, on the disk
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder)
    except OSError:
        pass
    finally:
        os.close(folder)
