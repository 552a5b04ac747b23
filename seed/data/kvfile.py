"""Kaldi `<key> <value>` tables (wav.scp, utt2spk, spk2utt, utt2dur, segments, ...)."""
import io
from pathlib import Path

from seed.data.atomic import atomic_write
from seed.data.errors import SeedDataError


def c_sorted(keys):
    """Sort like `LC_ALL=C sort`: by UTF-8 bytes, which is what Kaldi tools expect."""
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def read_kv(path, allow_empty_value=False):
    """Read `<key> <value...>` lines into an insertion-ordered dict.

    A duplicate key, a missing value or a blank line is an error naming file, line and key,
    because silently keeping one of two values is how data dirs go out of sync.
    """
    path = Path(path)
    if not path.is_file():
        raise SeedDataError(path, "file not found")
    table = {}
    with io.StringIO(decode_utf8(path), newline=None) as f:   # universal newlines, as open() in text mode
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip():
                raise SeedDataError(path, "empty line", line=lineno)
            parts = line.strip().split(maxsplit=1)
            key = parts[0]
            value = parts[1] if len(parts) > 1 else ""
            if not value and not allow_empty_value:
                raise SeedDataError(path, "no value after the key", line=lineno, key=key)
            if key in table:
                raise SeedDataError(path, "duplicate key", line=lineno, key=key)
            table[key] = value
    return table


def decode_utf8(path):
    """The file's text; a byte that is not UTF-8 is an error naming the line and its key (not a traceback)."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line_start = data.rfind(b"\n", 0, e.start) + 1
        head = data[line_start:e.start].decode("utf-8", errors="replace").split(maxsplit=1)
        whole_key = len(head) > 1 or data[e.start:e.start + 1].isspace()
        raise SeedDataError(path, f"not UTF-8: byte 0x{data[e.start]:02x} at column {e.start - line_start + 1}",
                            line=data.count(b"\n", 0, e.start) + 1,
                            key=head[0] if head and whole_key else None) from None


def write_kv(path, mapping, sort=True):
    """Write a table atomically, in C sort order unless `sort=False`."""
    items = mapping.items() if hasattr(mapping, "items") else mapping
    items = list(items)
    if sort:
        order = {k: i for i, k in enumerate(c_sorted([k for k, _ in items]))}
        items.sort(key=lambda kv: order[kv[0]])
    with atomic_write(path) as f:
        for key, value in items:
            if isinstance(value, (list, tuple)):
                value = " ".join(str(v) for v in value)
            key, value = str(key), str(value)
            if not key or any(c.isspace() for c in key):
                raise SeedDataError(path, "keys must be non-empty and contain no whitespace", key=key)
            f.write(f"{key} {value}\n")
