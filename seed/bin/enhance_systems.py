"""Recipe stage 4: resolve the SEED systems into a systems file, then enhance every set with each.

  python -m seed.bin.enhance_systems --config conf/seed.yaml --model exp/seed/T \\
      --enhanced-dir exp/enhanced/T --backend-dir exp/backend/T --baseline-backend-dir exp/backend/X \\
      --ood-root exp --embed-dir exp/embed/X --data-dir data --test-set test --conditions "clean noise_snr5" \\
      --pairs-set train_pairs [--labelled-set plda] [--enhance-variants "official:strength=1.0"] \\
      [--ood-models "mini=../../mini/seed1/exp/seed/T"] [--test-list-name vox1_o] \\
      [--eval-lists "vox1_e=voxceleb1:trials_vox1_e vcmix=vcmix_test"] [--adapt-set dev_unlabelled] \\
      --eval-seeds 0 1 2 --systems-out exp/systems/T.json

Systems: `seed` (the model with the conf's `enhance:` section), each variant (the same model, other
enhancement options), each OOD model (this recipe's enhancement options). For every system and eval
seed, the test sets and the data dirs of the extra trial lists are enhanced; with the first eval seed
also the training copies and the labelled set (stage 5 trains the SEED backends on them) and a separate
adaptation set (--adapt-set: the domain-centering mean). The conf's model/train/diffusion sections must equal
the checkpoint's (else: rerun stage 3); `enhance:` may change freely. The systems file is removed
first and written last, so stages 5-6 never read systems that were not (all) enhanced.
"""
import argparse
import sys
from pathlib import Path


def build_parser():
    p = argparse.ArgumentParser(prog="python -m seed.bin.enhance_systems", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True, help="the recipe's SEED config (its enhance: section is used)")
    p.add_argument("--model", required=True, help="experiment folder of the recipe's SEED model")
    p.add_argument("--enhanced-dir", required=True, help="enhanced root of the main system (seed<S>/<set> below)")
    p.add_argument("--backend-dir", required=True, help="stage-5 folder of the main system")
    p.add_argument("--baseline-backend-dir", required=True, help="stage-5 folder of the baseline")
    p.add_argument("--ood-root", required=True, help="exp folder: OOD systems go to enhanced/ood_<name>, backend/ood_<name>")
    p.add_argument("--embed-dir", required=True, help="extractor embeddings: <dir>/<set>/embedding.scp")
    p.add_argument("--data-dir", required=True, help="data dirs (pairs file, utt2spk)")
    p.add_argument("--test-set", required=True)
    p.add_argument("--conditions", required=True, help="space-separated; 'clean' is the test set itself")
    p.add_argument("--pairs-set", required=True, help="SEED's training copies (data/<set>/pairs)")
    p.add_argument("--labelled-set", default="", help="PLDA/cohort set (empty: the pairs set, its speaker labels)")
    p.add_argument("--enhance-variants", default="", help="'NAME:opt=val,opt=val ...' (same model, other options)")
    p.add_argument("--ood-models", default="", help="'NAME=EXP_DIR ...' (models trained on other corpora)")
    p.add_argument("--adapted-models", default="",
                   help="'NAME=EXP_DIR ...': models fine-tuned at stage 3 on this recipe's pairs from another "
                        "corpus's model (train_seed --init), enhanced with this recipe's options")
    p.add_argument("--test-list-name", default="", help="name of the test set's list in the report (default: the set)")
    p.add_argument("--eval-lists", default="",
                   help="'NAME=SET[:TRIALS_FILE] ...': more clean trial lists (file in data/SET, default trials)")
    p.add_argument("--adapt-set", default="",
                   help="unlabelled target-domain data dir of the domain-centering controls (empty: the clean test "
                        "set, transductive); enhanced with the first eval seed, like the backend sets")
    p.add_argument("--eval-seeds", type=int, nargs="+", default=[0], help="enhancement noise seeds")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--systems-out", required=True, help="systems file to write (JSON)")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    from seed.data import SeedDataError
    from seed.diffusion.api import SEED
    from seed.diffusion.scp import enhance_scp
    from seed.recipe.systems import (CLEAN, RecipeSystems, check_model_matches_config, parse_eval_lists,
                                     resolve_systems)

    out = Path(args.systems_out)
    out.unlink(missing_ok=True)
    try:
        conditions = args.conditions.split()
        conditions = [CLEAN] + [c for c in conditions if c != CLEAN]
        cfg, systems = resolve_systems(args.config, args.model, args.enhanced_dir, args.backend_dir,
                                       args.enhance_variants.split(), args.ood_models.split(),
                                       Path(args.ood_root) / "enhanced", Path(args.ood_root) / "backend",
                                       args.adapted_models.split())
        labelled = args.labelled_set or args.pairs_set
        recipe = RecipeSystems(systems=systems, eval_seeds=list(args.eval_seeds), embed_dir=args.embed_dir,
                               baseline_backend_dir=args.baseline_backend_dir, test_set=args.test_set,
                               conditions=conditions, pairs_set=args.pairs_set,
                               pairs_file=str(Path(args.data_dir) / args.pairs_set / "pairs"), labelled_set=labelled,
                               utt2spk=str(Path(args.data_dir) / labelled / "utt2spk"), config=args.config,
                               test_list=args.test_list_name, adapt_set=args.adapt_set)
        recipe.eval_lists = parse_eval_lists(args.eval_lists.split(), args.data_dir, recipe.main_list)
        loaded = {}
        for system in systems:
            if system.model not in loaded:
                if not Path(system.model).exists():
                    raise FileNotFoundError(f"SEED model of system '{system.name}' not found: {system.model}")
                loaded[system.model] = SEED.load(system.model, device=args.device)
            model = loaded[system.model]
            if system.kind != "ood":
                check_model_matches_config(model.config, cfg, system.model, args.config)
            model = model.with_enhance_options(system.enhance)
            for seed in recipe.eval_seeds:
                sets = list(dict.fromkeys(recipe.test_sets + recipe.eval_sets  # a set named twice: enhanced once
                                          + (recipe.backend_sets if seed == recipe.first_seed else [])))
                for set_name in sets:
                    meta = enhance_scp(model, Path(args.embed_dir) / set_name / "embedding.scp",
                                       system.seed_dir(seed) / set_name, seed=seed)
                    print(f"enhance_systems: {system.name} seed {seed}: {set_name}: {meta['num_keys']} keys "
                          f"[t={meta['enhance']['t']}, strength={meta['enhance']['strength']}]", flush=True)
        recipe.write(out)
    except (SeedDataError, ValueError, FileNotFoundError, RuntimeError) as e:
        print(f"enhance_systems: {e}", file=sys.stderr)
        return 1
    print(f"enhance_systems: {len(systems)} system(s) x {len(recipe.eval_seeds)} eval seed(s): {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
