"""Seeds derived from names, so random draws do not depend on order or on the number of jobs."""
import hashlib


def derive_seed(global_seed, *parts):
    """A stable 63-bit seed from a global seed and string parts (e.g. utterance id, condition).

    Python's `hash()` is salted per process, so it must never be used for this.
    """
    text = "\x1f".join([str(int(global_seed))] + [str(p) for p in parts])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little") >> 1
