"""The fault table cannot rot: its quick subset (tools/fault_table.py --quick: real command-line steps on
broken inputs, one to a few cases per family, a kill and a rerun included) must judge no case traceback,
silent or lost. The full table is docs/fault-table.md (`.venv/bin/python tools/fault_table.py`)."""
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FAMILIES = ("audio", "datadir", "embeddings", "trials", "options", "kill", "rerun")


def test_quick_fault_table_has_no_traceback_silent_or_lost_case(tmp_path):
    out = tmp_path / "fault-table.md"
    r = subprocess.run([sys.executable, str(REPO / "tools" / "fault_table.py"), "--quick", "--out", str(out)],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    text = out.read_text() if out.exists() else ""
    rows = [line.split(" | ") for line in text.splitlines() if re.match(r"\| (%s) \| " % "|".join(FAMILIES), line)]
    counts = {f[0].strip("| "): f for f in rows if len(f) == 7}           # the per-family counts table
    cases = [f for f in rows if len(f) == 5]                                # the per-case table
    bad = [" | ".join(f) for f in cases if f[3].strip("*") in ("traceback", "silent", "lost")]
    assert r.returncode == 0 and not bad, (bad, r.stderr[-3000:])
    assert set(counts) == set(FAMILIES), counts                             # every family is exercised
    assert len(cases) == sum(int(f[1]) for f in counts.values()) >= len(FAMILIES)
    assert all(f[3] in ("clear", "unclear") for f in cases)
    assert "- git commit: " in text and "- command: `.venv/bin/python tools/fault_table.py --quick --out" in text


def test_the_verdicts_follow_their_definitions():
    """The judge itself on hand-made answers: a table of 'clear' rows means nothing if it cannot say otherwise."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("fault_table", REPO / "tools" / "fault_table.py")
    ft = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ft)
    bad = Path("/t/case/data/utt2spk")

    def answer(rc, err="", out=""):
        return ft.refused(ft.Proc([], rc, out, err, 0.1), bad, key="u1").verdict

    one = "validate_data_dir: /t/case/data/utt2spk:3: key 'u1': duplicate key\n"
    assert answer(1, one) == "clear"
    assert answer(1, "usage: x [-h]\n       [--y]\n" + one) == "clear"            # argparse's banner is not the message
    assert answer(1, "extract: job 1/1: 4 utterances with resemblyzer on cpu, crops whole\n" + one) == "clear"
    assert answer(1, one + "see the log\n") == "unclear"                        # two lines
    assert answer(1, "validate_data_dir: utt2spk:3: key 'u1': duplicate key\n") == "unclear"   # bare generic name
    assert answer(1, "validate_data_dir: /t/case/data/utt2spk:3: duplicate key\n") == "unclear"  # no key
    assert answer(1, "x: /t/case/data/utt2spk: /w/u1.wav unreadable\n") == "unclear"  # key only inside a path
    assert answer(1, "Traceback (most recent call last):\n  File ...\nKeyError: 'u1'\n") == "traceback"
    assert answer(0, "") == "silent" and answer(0, out="validate_data_dir: OK\n") == "silent"
    ok = ft.Proc([], 0, "done\n", "", 0.1)
    assert ft.succeeded(ok, lambda: None, "verified").verdict == "clear"
    assert ft.succeeded(ok, lambda: ("lost", "backup overwritten"), "").verdict == "lost"
    assert ft.succeeded(ft.Proc([], 1, "", one, 0.1), lambda: None, "").verdict == "unclear"
    assert ft.refused(ft.Proc([], -9, "", "", 180.0, timed_out=True), bad).verdict == "silent"
