"""Stage 2: speaker embeddings of a data dir → OUT/embedding.ark, OUT/embedding.scp, OUT/meta.yaml.

  python -m seed.bin.extract --extractor resemblyzer --data-dir data/test_other \\
      --out-dir exp/embed/resemblyzer/test_other [--crops crops:10x4] [--nj 4] [--device cpu|cuda]

Extractor specs: `resemblyzer` (= resemblyzer:preprocess, its VAD + levelling), `resemblyzer:rms`,
`resemblyzer:raw`, `espnet:EXP_DIR`, `espnet:CONFIG.yaml,MODEL.pth`,
`espnet-tag:espnet/voxcelebs12_rawnet3` (needs espnet_model_zoo and the model hub or its offline cache,
HF_HUB_OFFLINE=1 HF_HUB_CACHE=DIR: see seed.bin.make_espnet_hub_model), or any name a
`--plugin` module registers with seed.extract.register_extractor.

Without --job-id the command runs itself as JOB=1:N through --cmd (utils/run.pl by default; with
--nj 1 and no --cmd it runs in this process), then merges the per-job ark/scp and fails naming the
missing utterances if the merged count differs from the data dir's. A job whose done marker matches
(same extractor, crops, --nj, utterances and audio: file sizes and mtimes, the data dir's content id;
seed/extract/stage.py) is not recomputed on a re-run; delete OUT to force it.
With a crop policy the ark holds an N×D matrix per utterance and meta.yaml says rows_per_utt: N.

Several data dirs in one command (`--data-dir A B --out-dir OA OB`, pairwise) share the job dispatch
and load the extractor once per job: recipes extract every test condition this way, which saves the
start-up of a Python process and of the model per set. Each output folder is the same as if its data
dir had been extracted alone (jobs shard each data dir separately); logs go to the first OUT's log/.
"""
import argparse
import importlib
import sys
from pathlib import Path

from seed import jobs
from seed.data import DataDir, SeedDataError, validate_data_dir
from seed.extract.crops import CropPolicy
from seed.extract.registry import ExtractorError, check_device


def build_parser():
    p = argparse.ArgumentParser(prog="python -m seed.bin.extract", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--extractor", required=True, metavar="SPEC",
                   help="extractor spec, e.g. resemblyzer, espnet:EXP_DIR, espnet-tag:TAG (see above)")
    p.add_argument("--data-dir", required=True, nargs="+",
                   help="Kaldi data dir (wav.scp, utt2spk, spk2utt[, utt2dur, segments]); "
                        "several: pairwise with --out-dir")
    p.add_argument("--out-dir", required=True, nargs="+",
                   help="output folder for embedding.{ark,scp}, meta.yaml, split<N>/, log/ (one per --data-dir)")
    p.add_argument("--crops", default=["whole"], nargs="+", metavar="POLICY",
                   help="'whole' (one embedding per utterance, default) or 'crops:NxT' (N evenly spaced T-second "
                        "crops, short audio wrap-padded; ark rows per utterance = N); one policy for every "
                        "--data-dir, or one per --data-dir (e.g. test sets cropped, training copies whole)")
    jobs.add_job_options(p)
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (CUDA requested but absent is an error)")
    p.add_argument("--batch-size", type=int, default=64,
                   help="waveforms per extractor call (each crop counts); ESPnet stacks only equal lengths")
    p.add_argument("--num-threads", type=int, default=1,
                   help="torch CPU threads per job (default 1: parallelism comes from --nj, as ESPnet's path.sh "
                        "sets OMP_NUM_THREADS=1; on a shared 2-core machine 2 threads made the LSTM of "
                        "resemblyzer 3-5x slower); 0 = torch's default")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="import MODULE first (it registers extra extractors); repeatable")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (a summary line is still printed)")
    return p


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    import torch
    threads = torch.get_num_threads()
    try:
        return _run(args, argv)
    except (SeedDataError, ExtractorError, ValueError) as e:
        log(f"extract: {e}")
        return 1
    finally:
        torch.set_num_threads(threads)  # callers that run main() in-process keep their setting


def _run(args, argv):
    from seed.extract import stage
    for module in args.plugin:
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise ExtractorError(f"--plugin {module}: cannot import: {e}") from None
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    device = jobs.job_device(check_device(args.device), args.job_id)   # run.pl + several GPUs: one per job
    if args.num_threads < 0:
        raise ValueError(f"--num-threads must be >= 0, got {args.num_threads}")
    if args.num_threads:
        import torch
        torch.set_num_threads(args.num_threads)
    if len(args.data_dir) != len(args.out_dir):
        raise ValueError(f"--data-dir has {len(args.data_dir)} values but --out-dir has {len(args.out_dir)}: "
                         "give one output folder per data dir")
    if len(args.crops) not in (1, len(args.data_dir)):
        raise ValueError(f"--crops has {len(args.crops)} values for {len(args.data_dir)} data dirs: give one policy, "
                         "or one per data dir")
    policies = [CropPolicy.parse(c) for c in (args.crops * len(args.data_dir) if len(args.crops) == 1 else args.crops)]
    pairs = [(d, Path(o)) for d, o in zip(args.data_dir, args.out_dir)]
    shared = {}

    def extractor():   # loaded on first use, shared by every data dir of this process
        if "x" not in shared:
            from seed.extract.registry import load_extractor
            shared["x"] = load_extractor(args.extractor, device)
        return shared["x"]

    jobs.check_job_options(args.nj, args.job_id)
    load = validate_data_dir if args.job_id is None else DataDir.load   # the dispatcher validated once
    datas = []
    for data_dir, out_dir in pairs:
        data = load(data_dir)
        stage.check_nj(data, args.nj)
        if args.job_id is None:
            stage.clear_outputs(out_dir)
        datas.append(data)

    def run_job(j):
        for data, (_, out_dir), policy in zip(datas, pairs, policies):
            stage.run_job(args.extractor, data, out_dir, policy, args.nj, j, device, args.batch_size,
                          progress=not args.no_progress, log=log, extractor=extractor)

    def job_done(data, out_dir, policy, j):
        return stage.job_is_done(out_dir, args.nj, j,
                                 stage.job_fingerprint(args.extractor, policy, data, args.nj, j, device))

    first_out = pairs[0][1]
    logs = jobs.log_pattern(first_out, "extract")
    pending = None
    if args.job_id is None:
        pending = sorted({j for data, (_, out_dir), policy in zip(datas, pairs, policies)
                          for j in range(1, args.nj + 1) if not job_done(data, out_dir, policy, j)})
        if not pending:
            log(f"extract: all {args.nj} job(s) already done in {len(pairs)} output folder(s); merging only")
        elif not jobs.in_process(args):
            log(f"extract: dispatching {len(pending)} unfinished of {args.nj} jobs over {len(pairs)} data dir(s) "
                f"(finished ones exit at once); logs in {logs}")
    try:
        if not jobs.run_sharded(args, argv, "seed.bin.extract", logs, run_job, pending):
            return 0
    except jobs.JobFailed as e:
        raise ExtractorError(str(e)) from None
    for data, (_, out_dir), policy in zip(datas, pairs, policies):
        meta, records = stage.merge_jobs(data, out_dir, policy, args.nj, args.extractor, device, logs=logs)
        audio, wall = stage.total_stats(records)
        log(f"extract: {out_dir}/embedding.scp: {meta['num_utts']} utterances x {meta['rows_per_utt']} row(s) x "
            f"{meta['dim']} dims ({args.extractor}, {policy}); {audio:.1f} s of audio, "
            f"{wall:.1f} job-seconds, RTF {wall / audio if audio else float('nan'):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
