"""VoxCeleb layouts and trial lists.

- VoxCeleb1/2 audio: `<root>/wav/<spk>/<video>/<seg>.wav` (VoxCeleb2 is distributed as m4a under
  `aac/`; convert it to wav first, e.g. with ffmpeg — soundfile cannot read AAC).
  Utterance ids: `<spk>-<video>-<seg>` (speaker-prefixed, Kaldi style).
- Trial lists (downloaded by the user next to the audio, we never fetch them): Vox1-O cleaned
  `veri_test2.txt`, Vox1-E `list_test_all2.txt`, Vox1-H `list_test_hard2.txt`, in the VoxCeleb
  `1 a.wav b.wav` form.
- Extra VoxCeleb-format lists with their own audio root (the VoxSRC-23 validation list): the list
  file sits in the root and names files relative to it (`prepare_extra_list`).
- VoxConverse test SV (for VC-Mix): `<root>/wav/<spk>/<session>/<seg>.wav` plus
  `trials_wo_overlap.txt`; VC-Mix = all Vox1-O targets + all VoxConverse non-targets
  (seed-method.md §8).
"""
from pathlib import Path

import numpy as np

from seed.corpora.common import build_data_dir
from seed.data import SeedDataError, Trials, read_voxceleb_trials, voxceleb_path_to_key

VOX1_TRIAL_FILES = {"vox1_o": "veri_test2.txt", "vox1_e": "list_test_all2.txt", "vox1_h": "list_test_hard2.txt"}


def scan_wav_tree(root, prefix=""):
    """`<root>/wav/<spk>/<video>/<seg>.wav` → wav.scp, utt2spk (ids `<prefix><spk>-<video>-<seg>`)."""
    wav_dir = Path(root) / "wav"
    if not wav_dir.is_dir():
        raise SeedDataError(wav_dir, "VoxCeleb-layout 'wav/' folder not found")
    wav_scp, utt2spk = {}, {}
    for path in sorted(wav_dir.glob("*/*/*.wav")):
        spk, video, seg = path.relative_to(wav_dir).parts
        utt = prefix + voxceleb_path_to_key(f"{spk}/{video}/{seg}")
        wav_scp[utt] = str(path.resolve())
        utt2spk[utt] = prefix + spk
    if not wav_scp:
        raise SeedDataError(wav_dir, "no <spk>/<video>/<seg>.wav files found")
    return wav_scp, utt2spk


def prepare_wav_tree(root, prefix="", keep=None):
    """A data dir of the tree, restricted to the utterances in `keep` when given (e.g. trial utts)."""
    wav_scp, utt2spk = scan_wav_tree(root, prefix)
    if keep is not None:
        missing = sorted(set(keep) - set(wav_scp))
        if missing:
            raise SeedDataError(Path(root) / "wav", "utterance of the trial list has no audio", key=missing[0])
        wav_scp = {u: wav_scp[u] for u in keep}
        utt2spk = {u: utt2spk[u] for u in keep}
    return build_data_dir(wav_scp, utt2spk)


def read_trial_file(path, prefix=""):
    trials = read_voxceleb_trials(path)
    if prefix:
        trials = Trials([prefix + e for e in trials.enroll], [prefix + t for t in trials.test], trials.labels)
    return trials


def make_vcmix(vox1_o, voxconverse):
    """VC-Mix: the target trials of Vox1-O plus the non-target trials of VoxConverse test SV."""
    tgt = vox1_o.labels == 1
    non = voxconverse.labels == 0
    enroll = [e for e, k in zip(vox1_o.enroll, tgt) if k] + [e for e, k in zip(voxconverse.enroll, non) if k]
    test = [t for t, k in zip(vox1_o.test, tgt) if k] + [t for t, k in zip(voxconverse.test, non) if k]
    labels = np.concatenate([np.ones(int(tgt.sum()), np.int8), np.zeros(int(non.sum()), np.int8)])
    return Trials(enroll, test, labels)


def prepare_extra_list(list_path, prefix):
    """An extra VoxCeleb-format list (`label rel/a.wav rel/b.wav`, e.g. the VoxSRC-23 validation list)
    whose audio lives under the list's own folder: (data dir of every listed file, trials).

    Keys are `<prefix><path with '/' → '-', no .wav>`, so they cannot collide with VoxCeleb1's. Such
    lists name no speakers (VoxSRC files are anonymous), so every utterance is its own speaker in
    utt2spk (the Kaldi convention for unknown speakers); nothing speaker-labelled is trained on them.
    """
    list_path = Path(list_path)
    root = list_path.parent
    trials = read_voxceleb_trials(list_path, key_style="path")
    wav_scp = {}
    for rel in dict.fromkeys(trials.enroll + trials.test):
        audio = root / rel
        if not audio.is_file():
            raise SeedDataError(list_path, f"listed audio file not found: {audio}", key=rel)
        wav_scp[prefix + voxceleb_path_to_key(rel)] = str(audio.resolve())
    keyed = Trials([prefix + voxceleb_path_to_key(p) for p in trials.enroll],
                   [prefix + voxceleb_path_to_key(p) for p in trials.test], trials.labels)
    return build_data_dir(wav_scp, {u: u for u in wav_scp}), keyed
