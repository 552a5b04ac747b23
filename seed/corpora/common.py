"""Helpers shared by the corpus preparers: durations, all-pairs trials."""
import itertools

import numpy as np
import soundfile

from seed.data import DataDir, SeedDataError, Trials, c_sorted


def durations(wav_scp):
    """utt → seconds from the file headers (fast: no decoding)."""
    out = {}
    for utt, path in wav_scp.items():
        try:
            info = soundfile.info(path)
        except Exception as e:
            raise SeedDataError(path, f"cannot read audio header: {e}", key=utt) from None
        out[utt] = info.frames / info.samplerate
    return out


def build_data_dir(wav_scp, utt2spk, with_durations=True):
    wav_scp = {u: wav_scp[u] for u in c_sorted(wav_scp)}
    utt2spk = {u: utt2spk[u] for u in c_sorted(utt2spk)}
    return DataDir(wav_scp=wav_scp, utt2spk=utt2spk, utt2dur=durations(wav_scp) if with_durations else None)


def all_pairs_trials(utt2spk, max_nontarget=None, seed=0):
    """Every unordered pair of utterances (enrol = the C-sorted first); optionally subsample
    non-targets (seeded) to `max_nontarget`, keeping every target pair."""
    utts = c_sorted(utt2spk)
    enroll, test, labels = [], [], []
    for a, b in itertools.combinations(utts, 2):
        enroll.append(a)
        test.append(b)
        labels.append(int(utt2spk[a] == utt2spk[b]))
    labels = np.array(labels, dtype=np.int8)
    if max_nontarget is not None and (labels == 0).sum() > max_nontarget:
        rng = np.random.default_rng(seed)
        non = np.flatnonzero(labels == 0)
        keep = np.sort(np.concatenate([np.flatnonzero(labels == 1),
                                       rng.choice(non, size=max_nontarget, replace=False)]))
        enroll = [enroll[i] for i in keep]
        test = [test[i] for i in keep]
        labels = labels[keep]
    return Trials(enroll, test, labels)
