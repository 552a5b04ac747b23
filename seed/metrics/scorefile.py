"""Score files: Kaldi ``<enroll> <test> <score>`` lines, never labels.

Labels live only in the trial list and are joined at metric time (``align_scores``), so the
same score file can be evaluated against any trial list that covers it.
"""
from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

from seed.data import SeedDataError, atomic_write
from seed.data.kvfile import decode_utf8

__all__ = ["read_scores", "write_scores", "align_scores"]


def write_scores(path, enroll, test, scores, precision: int = 6) -> None:
    """Write ``enroll test score`` lines atomically (``precision`` decimals, Kaldi-style)."""
    scores = np.asarray(scores, dtype=np.float64)
    if not (len(enroll) == len(test) == len(scores)):
        raise ValueError(f"{len(enroll)} enroll keys, {len(test)} test keys, {len(scores)} scores")
    if not np.isfinite(scores).all():
        i = int(np.flatnonzero(~np.isfinite(scores))[0])
        raise SeedDataError(path, f"refusing to write non-finite score {scores[i]} for trial "
                            f"'{enroll[i]} {test[i]}'", key=enroll[i])
    fmt = f"{{}} {{}} {{:.{precision}f}}\n".format
    with atomic_write(path) as f:
        for i0 in range(0, len(scores), 100_000):
            f.write("".join(map(fmt, enroll[i0:i0 + 100_000], test[i0:i0 + 100_000],
                                scores[i0:i0 + 100_000].tolist())))


def read_scores(path) -> dict:
    """``{(enroll, test): score}`` from a score file; bad or duplicate lines name file and line."""
    path = Path(path)
    if not path.is_file():
        raise SeedDataError(path, "score file not found")
    table = {}
    with io.StringIO(decode_utf8(path), newline=None) as f:   # a non-UTF-8 byte: one line naming line and key
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 3:
                hint = (" (a WeSpeaker/ESPnet score file with labels? keep only the first three columns)"
                        if len(fields) > 3 else "")
                raise SeedDataError(path, f"expected '<enroll> <test> <score>'{hint}", line=lineno,
                                    key=fields[0])
            try:
                value = float(fields[2])
            except ValueError:
                raise SeedDataError(path, f"score '{fields[2]}' is not a number", line=lineno,
                                    key=fields[0]) from None
            if not math.isfinite(value):
                raise SeedDataError(path, f"score is {fields[2]}", line=lineno, key=fields[0])
            pair = (fields[0], fields[1])
            if pair in table:
                raise SeedDataError(path, f"duplicate score for trial '{fields[0]} {fields[1]}'",
                                    line=lineno, key=fields[0])
            table[pair] = value
    if not table:
        raise SeedDataError(path, "score file is empty")
    return table


def align_scores(trials, score_table: dict, scores_path, allow_extra: bool = False) -> np.ndarray:
    """Scores in trial order; a trial without a score is an error naming it.

    Scores for pairs that are not in the trial list are an error too (they usually mean the
    wrong trial list), unless ``allow_extra`` -- e.g. scoring Vox1-O from Vox1-E scores.
    """
    out = np.empty(len(trials), dtype=np.float64)
    get = score_table.get
    for i, pair in enumerate(zip(trials.enroll, trials.test)):
        v = get(pair)
        if v is None:
            raise SeedDataError(scores_path, f"no score for trial '{pair[0]} {pair[1]}'", key=pair[0])
        out[i] = v
    if not allow_extra and len(score_table) != len(trials):
        in_trials = set(zip(trials.enroll, trials.test))
        extra = next(p for p in score_table if p not in in_trials)
        raise SeedDataError(scores_path, f"{len(score_table) - len(trials)} scored pair(s) are not in "
                            f"the trial list, e.g. '{extra[0]} {extra[1]}' (wrong trial list? "
                            "--allow-extra-scores evaluates the subset)", key=extra[0])
    return out
