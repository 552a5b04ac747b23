"""Data layer: Kaldi data dirs, trials, audio, ark/scp embeddings, atomic writes, seeds.

Every bad-input problem raises `SeedDataError` with a one-line `FILE:LINE: key 'K': problem`.
"""
from seed.data.atomic import atomic_write, temporary_path
from seed.data.audio import load_audio, read_audio, resample, save_audio
from seed.data.datadir import DataDir, FixReport, fix_data_dir, make_spk2utt, make_utt2spk, validate_data_dir
from seed.data.embeddings import EmbeddingWriter, load_embedding_dict, load_embeddings, write_embeddings
from seed.data.errors import SeedDataError
from seed.data.kvfile import c_sorted, read_kv, write_kv
from seed.data.seeding import derive_seed
from seed.data.trials import (Trials, check_trials_keys, read_espnet_trials, read_trials, read_voxceleb_trials,
                              voxceleb_path_to_key, write_espnet_trials, write_trials, write_voxceleb_trials)

__all__ = [
    "atomic_write", "temporary_path", "load_audio", "read_audio", "resample", "save_audio", "DataDir",
    "FixReport", "fix_data_dir", "make_spk2utt", "make_utt2spk", "validate_data_dir", "EmbeddingWriter",
    "load_embedding_dict", "load_embeddings", "write_embeddings", "SeedDataError", "c_sorted", "read_kv",
    "write_kv", "derive_seed", "Trials", "check_trials_keys", "read_espnet_trials", "read_trials",
    "read_voxceleb_trials", "voxceleb_path_to_key", "write_espnet_trials", "write_trials",
    "write_voxceleb_trials",
]
