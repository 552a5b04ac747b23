"""A small offline stand-in for the paper-scale VoxCeleb recipe's corpora, laid out as the real downloads.

Why: egs/voxceleb/seed1 needs VoxCeleb1/2, VoxConverse test SV, LibriTTS-R, MUSAN and RIRS_NOISES
(hundreds of GB, behind registration). This writes one folder per corpus, each in the real layout,
so the recipe runs unchanged with only db.sh's roots pointed here (egs/voxceleb/seed1/README.md):

    DIR/voxceleb1/wav/idNNNNN/<video>/NNNNN.wav, veri_test2.txt, list_test_all2.txt, list_test_hard2.txt,
        vox1_meta.csv
    DIR/voxceleb2/wav/idNNNNN/<video>/NNNNN.wav               (dev, already converted from m4a)
    DIR/voxconverse_test_SV/wav/<rec>_spkNN/<rec>/NNNNN.wav, trials_wo_overlap.txt
    DIR/voxsrc23/wav/NNNNN.wav, VoxSRC2023_val.txt            (paths relative to DIR/voxsrc23)
    DIR/LibriTTS_R/{train-clean-100,train-clean-360}/<spk>/<chapter>/<spk>_<chapter>_<para>_<sent>.wav
        (+ .normalized.txt, .original.txt, <spk>_<chapter>.trans.tsv), speakers.tsv, SPEAKERS.txt, CHAPTERS.txt
    DIR/musan/{noise,music,speech}/<source>/<category>-<source>-NNNN.wav, ANNOTATIONS, LICENSE
    DIR/RIRS_NOISES/simulated_rirs/{small,medium,large}room/RoomNNN/RoomNNN-NNNNN.wav + rir_list,
        real_rirs_isotropic_noises/*.wav + rir_list + noise_list, pointsource_noises/*.wav + noise_list
    DIR/standin_{speakers.tsv,noises.tsv,rirs.jsonl}          what the stand-in is made of
    DIR/.voxceleb_standin.json                                done marker: options, versions, fingerprint

What is in it: standin_plan (who, which files), standin_audio (the audio, one job per file),
standin_lists (the text files). Bytes depend on the options only, never on --nj (every draw is
seeded by the output's name); output is built in a staging folder and moved into place when
complete; the done marker is written last and holds a fingerprint (sha256 over every file).
"""
import dataclasses
import hashlib
import json
import multiprocessing
import shutil
import time
from pathlib import Path

from seed.corpora import standin_audio as audio
from seed.corpora import synthetic_tts as tts
from seed.corpora.staging import build_staged, claim
from seed.corpora.standin_lists import measured_texts, plan_texts
from seed.corpora.standin_plan import StandinOptions  # noqa: F401 (the public API: the CLI and tests use it)
from seed.corpora.standin_plan import VOX_RATE, PlanError, plan_noise_files, plan_people, plan_rooms, plan_segments
from seed.data import atomic_write

GENERATOR_VERSION = 1                 # bump when the same options would give different bytes
MARKER = ".voxceleb_standin.json"
OWNER = ".voxceleb_standin_owner"
CORPORA = ("voxceleb1", "voxceleb2", "voxconverse_test_SV", "voxsrc23", "LibriTTS_R", "musan", "RIRS_NOISES")
OUTPUT_NAMES = CORPORA + ("standin_speakers.tsv", "standin_noises.tsv", "standin_rirs.jsonl",
                          "standin_espeak_variants")


class StandinError(RuntimeError):
    """The stand-in cannot be generated (bad option, missing tool, foreign output folder)."""


def options_key(options):
    """The done marker's `key`: options (sentences hashed), generator and tool versions."""
    import pyroomacoustics
    d = dataclasses.asdict(options)
    d["sentences"] = hashlib.sha256("\n".join(options.sentences).encode("utf-8")).hexdigest()
    return {"generator_version": GENERATOR_VERSION, "options": d,
            "tools": {**tts.tool_versions(), "pyroomacoustics": pyroomacoustics.__version__}}


def fingerprint(out_dir):
    """sha256 over (relative path, sha256 of content) of every output file, in C order; and the count."""
    out, rows = Path(out_dir), []
    for name in OUTPUT_NAMES:
        base = out / name
        paths = [base] if base.is_file() else [p for p in base.rglob("*") if p.is_file()]
        rows += [(str(p.relative_to(out)), hashlib.sha256(p.read_bytes()).hexdigest()) for p in paths]
    rows.sort(key=lambda r: r[0].encode())
    return hashlib.sha256("".join(f"{r}\t{h}\n" for r, h in rows).encode()).hexdigest(), len(rows)


def read_marker(out_dir):
    try:
        return json.loads((Path(out_dir) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def generate_standin(out_dir, options, nj=1, force=False, log=print):
    """Write the stand-in under `out_dir`; returns a summary dict (`skipped` when already complete)."""
    tts.check_tools()
    try:
        options.check()
        make_plan(options)
    except PlanError as e:
        raise StandinError(str(e)) from None
    out = Path(out_dir)
    key = options_key(options)
    marker = read_marker(out)
    if not force and marker is not None and marker.get("key") == key:
        log(f"make_voxceleb_standin: {out} is complete for these options ({MARKER}); nothing to do")
        return {"skipped": True, "fingerprint": marker.get("fingerprint")}
    claim(out, OWNER, MARKER, OUTPUT_NAMES, "make_voxceleb_standin", StandinError)
    start = time.time()
    summary = build_staged(out, OUTPUT_NAMES, lambda staging: _generate_into(staging, options, nj, log))
    summary["fingerprint"], summary["files"] = fingerprint(out)
    with atomic_write(out / MARKER) as f:
        json.dump({"key": key, "fingerprint": summary["fingerprint"], "files": summary["files"]}, f, indent=1,
                  sort_keys=True)
        f.write("\n")
    summary["seconds"] = round(time.time() - start, 2)
    return summary


# ----------------------------------------------------------------------------- jobs (worker side)

_WORKER = {}


def _init_worker(seed, staging):
    _WORKER.update(seed=seed, staging=Path(staging))


def _run_job(job):
    kind, spec, extra = job
    seed, staging = _WORKER["seed"], _WORKER["staging"]
    if kind == "room":
        return [(rel, audio.write(staging, rel, h, VOX_RATE), rec) for rel, h, rec in audio.render_room(spec, seed)]
    if kind == "speech":
        return [(spec.relpath, audio.write(staging, spec.relpath, audio.render_segment(spec, seed, extra), spec.rate),
                 None)]
    wav = audio.render_noise(spec, seed, VOX_RATE)
    return [(spec.relpath, audio.write(staging, spec.relpath, wav, VOX_RATE), None)]


def make_plan(options):
    """(people, speech segments, noise files, rooms, the plan's text files); StandinError for a bad plan."""
    try:
        people = plan_people(options)
        segs = plan_segments(options, people)
        noise_files, rooms = plan_noise_files(options), plan_rooms(options)
        return people, segs, noise_files, rooms, plan_texts(options, people, segs, noise_files, rooms)
    except ValueError as e:  # PlanError, or plan_speakers' "too many speakers"
        raise StandinError(str(e)) from None


def _generate_into(staging, options, nj, log):
    people, segs, noise_files, rooms, texts = make_plan(options)
    voices = {p.voice.variant: p.voice.variant_text for p in people if p.voice.engine == "espeak"}
    data = tts.EspeakData(staging / "espeak-data", voices)
    jobs = ([("room", r, None) for r in rooms]          # the slowest first: better use of the workers
            + [("speech", s, data.path_for(s.person.voice.variant) if s.person.voice.engine == "espeak" else None)
               for s in segs] + [("noise", f, None) for f in noise_files])
    log(f"make_voxceleb_standin: {len(segs)} speech files of {len(people)} speakers, {len(noise_files)} noise "
        f"files, {sum(len(r.files) for r in rooms)} RIRs in {len(rooms)} rooms; {nj} jobs")
    if nj > 1:
        # fork: workers inherit the loaded modules and start in milliseconds
        with multiprocessing.get_context("fork").Pool(nj, _init_worker, (options.seed, staging)) as pool:
            results = list(pool.imap(_run_job, jobs, chunksize=1))
    else:
        _init_worker(options.seed, staging)
        results = [_run_job(j) for j in jobs]
    shutil.rmtree(staging / "espeak-data")
    seconds = {rel: sec for res in results for rel, sec, _ in res}
    rir_records = [(rel, rec) for res in results for rel, _, rec in res if rec is not None]
    texts.update(measured_texts(people, segs, noise_files, rir_records, seconds))
    for rel, text in texts.items():
        with atomic_write(staging / rel) as f:
            f.write(text)
    corpora = {}
    for p in people:
        c = p.corpus.split(":")[0]
        corpora[c] = corpora.get(c, 0) + 1
    return {"skipped": False, "speakers": corpora, "speech_files": len(segs),
            "speech_hours": round(sum(seconds[s.relpath] for s in segs) / 3600, 4),
            "noise_files": len(noise_files), "rirs": len(rir_records)}
