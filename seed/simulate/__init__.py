"""Mismatch simulation: noise/RIR pools, RIR simulation, mixing, conditions, multi-pair copies.

Modules, one job each:
  pools          `<category> <path>` lists, MUSAN / RIRS_NOISES scanning, disjoint splits
  rooms, rt60    pyroomacoustics shoebox RIRs with a controlled, measured RT60
  rir_corpus     simulated RIRs written in the RIRS_NOISES layout
  mixing         the exact arithmetic (active energy, SNR, tiling, RIR alignment, clipping)
  conditions     condition names and training presets -> Recipes
  augment        apply a Recipe to a waveform with one seeded RNG, recording every draw
  inputs         reading clean inputs with the bad-input policy
  condition_set  a test condition over a data dir (same utterance ids)
  pairs          multi-pair training copies (crops x versions, `pairs` file)
  outputs        output layout, job shards and merging
"""
from seed.simulate.conditions import PRESETS, Recipe, parse_condition, preset
from seed.simulate.mixing import active_energy, avoid_clipping, measured_snr, prepare_rir, reverberate
from seed.simulate.pools import read_noise_list, read_rir_list, split_pool

__all__ = ["PRESETS", "Recipe", "parse_condition", "preset", "active_energy", "avoid_clipping",
           "measured_snr", "prepare_rir", "reverberate", "read_noise_list", "read_rir_list", "split_pool"]
