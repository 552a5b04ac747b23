"""The VoxCeleb stand-in's text files, in the formats the real downloads use: {relative path: text}.

- Trial lists: VoxCeleb's `<1|0> <enrol> <test>` lines with paths relative to the corpus's audio
  root; targets are same-speaker pairs of different videos (recordings), non-targets the allowed
  different-speaker pairs; the larger side is subsampled (seeded) to the size of the smaller, so
  lists are balanced (VoxConverse keeps every same-recording pair: its non-targets are what VC-Mix
  is made of).
- vox1_meta.csv (tab-separated, the Vox1-H definition), LibriTTS-R's per-utterance and per-chapter
  transcripts and speaker tables, MUSAN's ANNOTATIONS/LICENSE, RIRS_NOISES' Kaldi `rir_list` and
  `noise_list` lines with `RIRS_NOISES/...` paths, as in the real archives.
Everything is a function of the plan (and of the measured durations for the speaker tables).
"""
import itertools
import json
from pathlib import PurePosixPath

import numpy as np

from seed.corpora.standin_plan import (LIBRITTS_SUBSETS, MUSAN_SOURCES, MUSIC_GENRES, POINTSOURCE_NOISES,
                                       REAL_NOISES, REAL_ROOMS, SIM_CLASS_FOLDERS, PlanError)
from seed.data import derive_seed

VOX1_TRIALS = {"vox1_o": "veri_test2.txt", "vox1_e": "list_test_all2.txt", "vox1_h": "list_test_hard2.txt"}
VC_TRIALS = "trials_wo_overlap.txt"
VOXSRC_TRIALS = "VoxSRC2023_val.txt"
SYNTHETIC_NOTE = ("SYNTHETIC stand-in written by `python -m seed.bin.make_voxceleb_standin` (seed.corpora."
                  "voxceleb_standin): espeak-ng/flite voices, generated noise, pyroomacoustics rooms. "
                  "Laid out like the real download; its numbers say nothing about the real corpus.")
LICENSE_TEXT = SYNTHETIC_NOTE + "\nGenerated data, no third-party material: public domain (CC0 1.0).\n"


def rel_to(root, relpath):
    return str(PurePosixPath(relpath).relative_to(root))


def trial_text(seed, name, items, non_ok=None, balance=True):
    """items: (path, speaker, recording) tuples. Lines sorted by (enrol, test)."""
    items = sorted(items)
    targets, non = [], []
    for (a, sa, ra), (b, sb, rb) in itertools.combinations(items, 2):
        if sa == sb:
            if ra != rb:
                targets.append((a, b))
        elif non_ok is None or non_ok(sa, sb):
            non.append((a, b))
    if not targets or not non:
        raise PlanError(f"{name}: {len(targets)} target and {len(non)} non-target pairs; both are needed "
                        "(add speakers, videos or segments)")
    if balance:
        rng = np.random.default_rng(derive_seed(seed, "trials", name))
        n = min(len(targets), len(non))
        targets, non = ([pairs[int(i)] for i in np.sort(rng.choice(len(pairs), size=n, replace=False))]
                        for pairs in (targets, non))
    lines = sorted([(a, b, 1) for a, b in targets] + [(a, b, 0) for a, b in non])
    return "".join(f"{lab} {a} {b}\n" for a, b, lab in lines)


def vox_items(segs, root):
    """(path under root/wav, speaker id, video id) of every segment under `root`/wav."""
    out = []
    for s in segs:
        if s.relpath.startswith(root + "/wav/"):
            rel = rel_to(root + "/wav", s.relpath)
            out.append((rel, s.person.spk_id, rel.split("/")[1]))
    return out


def voxceleb1_files(seed, segs, people):
    items = vox_items(segs, "voxceleb1")
    test_ids = {p.spk_id for p in people if p.corpus == "voxceleb1" and p.vox_set == "test"}
    meta = {p.spk_id: p for p in people if p.corpus == "voxceleb1"}
    same = lambda a, b: (meta[a].voice.gender, meta[a].nationality) == (meta[b].voice.gender, meta[b].nationality)
    files = {
        "voxceleb1/" + VOX1_TRIALS["vox1_o"]: trial_text(seed, "vox1_o", [i for i in items if i[1] in test_ids]),
        "voxceleb1/" + VOX1_TRIALS["vox1_e"]: trial_text(seed, "vox1_e", items),
        "voxceleb1/" + VOX1_TRIALS["vox1_h"]: trial_text(seed, "vox1_h", items, non_ok=same),
    }
    rows = ["VoxCeleb1 ID\tVGGFace1 ID\tGender\tNationality\tSet\n"]
    for spk in sorted(meta):
        p = meta[spk]
        rows.append(f"{spk}\t{display_name(p)}\t{p.voice.gender.lower()}\t{p.nationality}\t{p.vox_set}\n")
    files["voxceleb1/vox1_meta.csv"] = "".join(rows)
    return files


def display_name(person):
    """The VGGFace1-ID column holds a celebrity name in the real file; here the voice, one token."""
    return f"Synthetic_{person.voice.engine}_{person.voice.voice.replace('+', '_')}"


def voxconverse_files(seed, segs):
    # targets: same speaker (so same recording), other segment; non-targets: other speaker, SAME recording
    items = [(rel, spk, rel) for rel, spk, _ in vox_items(segs, "voxconverse_test_SV")]
    text = trial_text(seed, "voxconverse", items, non_ok=lambda a, b: a.split("_spk")[0] == b.split("_spk")[0],
                      balance=False)
    return {"voxconverse_test_SV/" + VC_TRIALS: text}


def voxsrc_files(seed, segs):
    items = [(rel_to("voxsrc23", s.relpath), s.person.spk_id, s.relpath) for s in segs
             if s.relpath.startswith("voxsrc23/")]
    return {"voxsrc23/" + VOXSRC_TRIALS: trial_text(seed, "voxsrc23", items)}


def libritts_files(segs, people, seconds):
    """Per utterance .normalized.txt/.original.txt, per chapter .trans.tsv, and the speaker tables."""
    files, chapters = {}, {}
    for s in segs:
        if not s.relpath.startswith("LibriTTS_R/"):
            continue
        stem = s.relpath[:-len(".wav")]
        files[stem + ".normalized.txt"] = s.texts[0]
        files[stem + ".original.txt"] = s.texts[0]
        chapters.setdefault(str(PurePosixPath(s.relpath).parent), []).append(s)
    minutes = {}
    for folder, utts in sorted(chapters.items()):
        _, subset, spk, chapter = folder.split("/")
        lines = [f"{PurePosixPath(u.relpath).stem}\t{u.texts[0]}\t{u.texts[0]}\n" for u in utts]
        files[f"{folder}/{spk}_{chapter}.trans.tsv"] = "".join(sorted(lines))
        minutes[(subset, spk, chapter)] = sum(seconds[u.relpath] for u in utts) / 60
    readers = [p for p in people if p.corpus.startswith("libritts:")]
    subset_of = {p.spk_id: p.corpus.split(":", 1)[1] for p in readers}
    spk_minutes = {p.spk_id: sum(m for (_, s, _), m in minutes.items() if s == p.spk_id) for p in readers}
    files["LibriTTS_R/speakers.tsv"] = "READER\tGENDER\tSUBSET\tNAME\n" + "".join(
        f"{p.spk_id}\t{p.voice.gender}\t{subset_of[p.spk_id]}\t{display_name(p)}\n" for p in readers)
    files["LibriTTS_R/SPEAKERS.txt"] = (f"; {SYNTHETIC_NOTE}\n;ID  |SEX| SUBSET           |MINUTES| NAME\n" + "".join(
        f"{p.spk_id:<5}| {p.voice.gender} | {subset_of[p.spk_id]:<16} | {spk_minutes[p.spk_id]:5.2f} | "
        f"{display_name(p)}\n" for p in readers))
    header = ";ID    |READER|MINUTES| SUBSET           | BOOK\n"
    files["LibriTTS_R/CHAPTERS.txt"] = (f"; {SYNTHETIC_NOTE}\n{header}" + "".join(
        f"{chapter:<7}| {spk:<5}| {m:5.2f} | {subset:<16} | synthetic sentences (egs/mini/seed1/conf/sentences.txt)\n"
        for (subset, spk, chapter), m in sorted(minutes.items())))
    files["LibriTTS_R/README_standin.txt"] = (
        SYNTHETIC_NOTE + "\nSubsets " + ", ".join(LIBRITTS_SUBSETS) + " at 24 kHz. Not reproduced from the real "
        "LibriTTS-R: BOOKS.txt, reader_book.tsv, <spk>_<chapter>.book.tsv, LICENSE.txt, NOTE.txt, README_*.txt.\n")
    return files


def musan_files(noise_files, segs, people):
    files, annotations = {"musan/README": SYNTHETIC_NOTE + "\n"}, {}
    for f in noise_files:
        if not f.relpath.startswith("musan/"):
            continue
        folder, stem = str(PurePosixPath(f.relpath).parent), PurePosixPath(f.relpath).stem
        source = folder.split("/")[-1]
        line = stem if f.category == "noise" else f"{stem} {MUSIC_GENRES[source]},synthetic-{f.family} N seed-generator"
        annotations.setdefault(folder, []).append(line + "\n")
    for s in segs:
        if s.relpath.startswith("musan/speech/"):
            folder = str(PurePosixPath(s.relpath).parent)
            annotations.setdefault(folder, []).append(f"{PurePosixPath(s.relpath).stem} "
                                                      f"{s.person.voice.gender.lower()} english\n")
    for category, sources in MUSAN_SOURCES.items():
        for source in sources:
            folder = f"musan/{category}/{source}"
            files[f"{folder}/ANNOTATIONS"] = "".join(sorted(annotations.get(folder, [])))
            files[f"{folder}/LICENSE"] = LICENSE_TEXT
    return files


def rirs_noises_files(rooms):
    files = {"RIRS_NOISES/README": SYNTHETIC_NOTE + "\n"}
    for room_class, folder in SIM_CLASS_FOLDERS.items():
        lines = []
        for room in (r for r in rooms if r.room_class == room_class and r.room_id.startswith("Room")):
            for rel in room.files:
                stem = PurePosixPath(rel).stem
                lines.append(f"--rir-id {folder}-{stem} --room-id {folder}-{room.room_id} {rel}\n")
        files[f"RIRS_NOISES/simulated_rirs/{folder}/rir_list"] = "".join(lines)
    # Kaldi's aspire rir_list order: database RVB2014, RWCP, air; files sorted; ids 00001, 00002, …
    real = {rel: room_id for room_id, _, names in REAL_ROOMS
            for rel in (f"RIRS_NOISES/real_rirs_isotropic_noises/{n}" for n in names)}
    order = sorted(real, key=lambda r: (["RVB2014", "RWCP", "air"].index(PurePosixPath(r).name.split("_")[0]), r))
    files["RIRS_NOISES/real_rirs_isotropic_noises/rir_list"] = "".join(
        f"--rir-id {i:05d} --room-id {real[r]} {r}\n" for i, r in enumerate(order, start=1))
    files["RIRS_NOISES/real_rirs_isotropic_noises/noise_list"] = "".join(
        f"--noise-id {i:05d} --noise-type isotropic --room-linkage {room} "
        f"RIRS_NOISES/real_rirs_isotropic_noises/{name}\n" for i, (name, room) in enumerate(sorted(REAL_NOISES), 1))
    files["RIRS_NOISES/pointsource_noises/noise_list"] = "".join(
        f"--noise-id noise-free-sound-{i:04d} --noise-type point-source --bg-fg-type {kind} "
        f"RIRS_NOISES/pointsource_noises/noise-free-sound-{i:04d}.wav\n"
        for i, (_, kind) in enumerate(POINTSOURCE_NOISES))
    return files


def standin_tables(people, segs, noise_files, rir_records, seconds):
    """Top-level files describing the stand-in itself (not part of any mirrored download)."""
    spk_seconds = {}
    for s in segs:
        key = (s.person.corpus, s.person.spk_id)
        spk_seconds[key] = spk_seconds.get(key, 0.0) + seconds[s.relpath]
    rows = ["corpus\tspk_id\tengine\tvoice\tkind\tgender\tnationality\tseconds\n"]
    rows += [f"{p.corpus}\t{p.spk_id}\t{p.voice.engine}\t{p.voice.voice}\t{p.voice.kind}\t{p.voice.gender}\t"
             f"{p.nationality}\t{spk_seconds.get((p.corpus, p.spk_id), 0.0):.2f}\n" for p in people]
    noises = ["path\tgenerator\tfamily\tchannels\tseconds\n"] + [
        f"{f.relpath}\t{f.category}\t{f.family}\t{f.channels}\t{seconds[f.relpath]:.2f}\n" for f in noise_files]
    rirs = "".join(json.dumps({"path": rel, **rec}, sort_keys=True) + "\n" for rel, rec in rir_records)
    return {"standin_speakers.tsv": "".join(rows), "standin_noises.tsv": "".join(noises), "standin_rirs.jsonl": rirs}


def plan_texts(options, people, segs, noise_files, rooms):
    """The text files that follow from the plan alone (made before any audio, so a bad plan fails fast)."""
    files = {}
    for part in (voxceleb1_files(options.seed, segs, people), voxconverse_files(options.seed, segs),
                 voxsrc_files(options.seed, segs), musan_files(noise_files, segs, people), rirs_noises_files(rooms)):
        files.update(part)
    files["voxceleb2/README_standin.txt"] = (
        SYNTHETIC_NOTE + "\nThe real VoxCeleb2 dev ships aac/<spk>/<video>/<seg>.m4a; seed.corpora.voxceleb reads "
        "wav/<spk>/<video>/<seg>.wav, so convert it first (ffmpeg -i x.m4a -ac 1 -ar 16000 x.wav); this stand-in "
        "is written already converted.\n")
    for p in people:
        if p.voice.variant_text:
            files[f"standin_espeak_variants/{p.voice.variant}"] = p.voice.variant_text
    return files


def measured_texts(people, segs, noise_files, rir_records, seconds):
    """The text files that need the audio's durations or the rooms' simulation records."""
    return {**libritts_files(segs, people, seconds), **standin_tables(people, segs, noise_files, rir_records, seconds)}
