"""VoxCeleb1 test sets (+ VC-Mix, VoxSRC-style lists, VoxCeleb2 dev) → Kaldi data dirs and trials.

  python -m seed.bin.prepare_voxceleb --vox1 $VOXCELEB1 --out-dir data \
      [--trial-sets vox1_o,vox1_e,vox1_h] [--voxconverse $VOXCONVERSE] [--vox2 $VOXCELEB2] \
      [--extra-list voxsrc23=$VOXSRC23/VoxSRC2023_val.txt ...]

Writes
- data/voxceleb1_test: the utterances of Vox1-O (the list the recipe simulates mismatch on), with
  `trials` and `trials_vox1_o`;
- data/voxceleb1: the utterances of Vox1-E/H (all of VoxCeleb1) with `trials_vox1_e`/`trials_vox1_h`,
  when either is selected — kept apart so that the simulated conditions copy only Vox1-O's 4.7k
  utterances, not VoxCeleb1's 153k;
- with --voxconverse: data/voxconverse_test and data/vcmix_test (VC-Mix: Vox1-O targets +
  VoxConverse non-targets, `trials`);
- with --extra-list NAME=LIST: data/NAME with `trials` (audio relative to the list's folder; keys
  prefixed `NAME-`; no speaker labels);
- with --vox2: data/voxceleb2_dev.
Trial files are looked up in the corpus root (veri_test2.txt, list_test_all2.txt,
list_test_hard2.txt, trials_wo_overlap.txt) or given with --trials-dir; a selected list that is
missing is an error naming the file.
"""
import argparse
import sys
from pathlib import Path

from seed.corpora.voxceleb import (VOX1_TRIAL_FILES, make_vcmix, prepare_extra_list, prepare_wav_tree,
                                   read_trial_file)
from seed.data import DataDir, SeedDataError, Trials, validate_data_dir, write_trials

VOXCONVERSE_PREFIX = "vc-"


def find_trial_file(name, roots):
    for r in roots:
        if r and (Path(r) / name).is_file():
            return Path(r) / name
    raise SeedDataError(name, f"trial list not found in {', '.join(str(r) for r in roots if r)}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vox1", required=True, help="VoxCeleb1 root (wav/<spk>/<video>/<seg>.wav)")
    p.add_argument("--out-dir", required=True, help="parent folder of the data dirs")
    p.add_argument("--trial-sets", default="vox1_o", help="comma list of vox1_o, vox1_e, vox1_h")
    p.add_argument("--trials-dir", default=None, help="folder with the trial lists (default: corpus roots)")
    p.add_argument("--voxconverse", default=None, help="VoxConverse test SV root (wav/ + trials_wo_overlap.txt)")
    p.add_argument("--vox2", default=None, help="VoxCeleb2 dev root converted to wav (wav/<spk>/<video>/<seg>.wav)")
    p.add_argument("--extra-list", action="append", default=[], metavar="NAME=LIST",
                   help="a VoxCeleb-format list whose audio paths are relative to its folder (e.g. "
                        "voxsrc23=$VOXSRC23/VoxSRC2023_val.txt) → data/NAME; repeatable")
    args = p.parse_args(argv)
    out = Path(args.out_dir)
    try:
        sets = [s for s in args.trial_sets.split(",") if s]
        unknown = [s for s in sets if s not in VOX1_TRIAL_FILES]
        if unknown:
            raise SeedDataError("--trial-sets", f"unknown trial set '{unknown[0]}' (known: {', '.join(VOX1_TRIAL_FILES)})")
        if "vox1_o" not in sets:
            raise SeedDataError("--trial-sets", "vox1_o must be selected: it is the list the recipe simulates "
                                                "mismatch on (data/voxceleb1_test)")
        trials = {s: read_trial_file(find_trial_file(VOX1_TRIAL_FILES[s], [args.trials_dir, args.vox1])) for s in sets}
        written = []
        for name, lists in (("voxceleb1_test", ["vox1_o"]), ("voxceleb1", [s for s in sets if s != "vox1_o"])):
            if not lists:
                continue
            keep = sorted(set().union(*(trials[s].keys for s in lists)))
            data = prepare_wav_tree(args.vox1, keep=keep)
            data.write(out / name)
            for s in lists:
                write_trials(out / name / f"trials_{s}", trials[s])
                print(f"prepare_voxceleb: {s}: {trials[s].n_target} target, {trials[s].n_nontarget} nontarget "
                      f"(data/{name}/trials_{s})")
            if name == "voxceleb1_test":
                write_trials(out / name / "trials", trials["vox1_o"])   # the recipe's main list
            validate_data_dir(out / name)
            written.append((name, data))
        vox1 = written[0][1]
        if args.voxconverse:
            vc_trials = read_trial_file(find_trial_file("trials_wo_overlap.txt", [args.trials_dir, args.voxconverse]),
                                        prefix=VOXCONVERSE_PREFIX)
            vc = prepare_wav_tree(args.voxconverse, prefix=VOXCONVERSE_PREFIX, keep=vc_trials.keys)
            vc.write(out / "voxconverse_test")
            vcmix = make_vcmix(trials["vox1_o"], vc_trials)
            merged = DataDir(wav_scp={**vox1.wav_scp, **vc.wav_scp}, utt2spk={**vox1.utt2spk, **vc.utt2spk},
                             utt2dur={**vox1.utt2dur, **vc.utt2dur})
            merged = merged.subset(vcmix.keys)
            merged.write(out / "vcmix_test")
            write_trials(out / "vcmix_test" / "trials", vcmix)
            validate_data_dir(out / "vcmix_test")
            print(f"prepare_voxceleb: vcmix: {vcmix.n_target} target, {vcmix.n_nontarget} nontarget")
        for spec in args.extra_list:
            name, eq, list_path = spec.partition("=")
            if not eq or not name or not list_path or "/" in name:
                raise SeedDataError("--extra-list", f"expected NAME=LIST, got '{spec}'")
            data, extra = prepare_extra_list(list_path, prefix=f"{name}-")
            data.write(out / name)
            write_trials(out / name / "trials", extra)
            validate_data_dir(out / name)
            print(f"prepare_voxceleb: {name}: {extra.n_target} target, {extra.n_nontarget} nontarget "
                  f"({len(data.utt2spk)} files)")
        if args.vox2:
            vox2 = prepare_wav_tree(args.vox2)
            vox2.write(out / "voxceleb2_dev")
            validate_data_dir(out / "voxceleb2_dev")
            print(f"prepare_voxceleb: voxceleb2_dev: {len(vox2.utt2spk)} utterances, {len(vox2.spk2utt)} speakers")
    except SeedDataError as e:
        print(f"prepare_voxceleb: {e}", file=sys.stderr)
        return 1
    for name, data in written:
        print(f"prepare_voxceleb: {name}: {len(data.utt2spk)} utterances, {len(data.spk2utt)} speakers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
