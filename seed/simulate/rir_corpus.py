"""Simulated RIRs written in the RIRS_NOISES layout, so the pipeline cannot tell them apart.

OUT/simulated_rirs/<class>room/RoomNNN/RoomNNN-KKKKK.wav (16-bit WAV), and per class
`rir_list` (Kaldi's `--rir-id <class>-RoomNNN-KKKKK --room-id <class>-RoomNNN <path>` lines) and
`rirs.jsonl` (every parameter of every RIR: room size, positions, absorption, ISM order, target
and measured RT60 T30/T20) and `simulation.json` (the settings). A room's RIRs depend only on (seed, class, room id).
"""
from pathlib import Path

from seed.data import atomic_write, save_audio
from seed.simulate import outputs
from seed.simulate.rooms import RirSimConfig, simulate_room

CLASS_FOLDERS = {"small": "smallroom", "medium": "mediumroom", "large": "largeroom"}


def room_tasks(room_classes, num_rooms):
    """(class, RoomNNN) for every room to simulate, in a fixed order (the job split follows it)."""
    return [(c, f"Room{i:03d}") for c in room_classes for i in range(1, num_rooms + 1)]


def task_key(task):
    return f"{task[0]}/{task[1]}"


def run_rir_shard(tasks, rirs_per_room, seed, rt60_ranges, out_dir, cfg=RirSimConfig(), progress=True):
    """Simulate and write the rooms of `tasks`; returns their records."""
    import sys

    from tqdm import tqdm
    out_dir = Path(out_dir)
    records = []
    for room_class, room_id in tqdm(tasks, desc="rooms", file=sys.stderr, mininterval=2.0, disable=not progress):
        for h, rec in simulate_room(room_class, room_id, rirs_per_room, seed, rt60_ranges[room_class], cfg):
            rel = f"simulated_rirs/{CLASS_FOLDERS[room_class]}/{room_id}/{room_id}-{rec['index']:05d}.wav"
            save_audio(out_dir / rel, h, cfg.sample_rate)
            records.append({**rec, "rir_id": f"{room_class}-{room_id}-{rec['index']:05d}", "path": rel,
                            "key": f"{room_class}/{room_id}/{rec['index']:05d}"})
    return records


def class_dirs(out_dir, room_classes):
    return [Path(out_dir) / "simulated_rirs" / CLASS_FOLDERS[c] for c in room_classes]


def merge_rirs(out_dir, nj, room_classes, settings):
    """Per-class rir_list + rirs.jsonl from the job shards; returns the number of RIRs."""
    out_dir = Path(out_dir).resolve()
    records = outputs.read_shards(out_dir, nj, "records", "key")
    for room_class, folder in zip(room_classes, class_dirs(out_dir, room_classes)):
        recs = [r for r in records if r["room_class"] == room_class]
        outputs.write_jsonl(folder / "rirs.jsonl", recs)
        outputs.write_jsonl(folder / "simulation.json", [settings])
        with atomic_write(folder / "rir_list") as f:
            for r in recs:
                f.write(f"--rir-id {r['rir_id']} --room-id {room_class}-{r['room_id']} {out_dir / r['path']}\n")
    outputs.remove_shards(out_dir)
    return len(records)
