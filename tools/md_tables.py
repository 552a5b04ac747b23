#!/usr/bin/env python3
"""Print parts of a recipe's RESULTS.md, for the tables that README.md and docs/ quote.

The README quotes the RESULTS files that `make test` writes; these commands cut the quoted parts
out of them, so that a quoted table is a command's output, never typed in (tools/refresh_docs.py
reruns every such command and replaces the quoted block):

  tools/md_tables.py section FILE HEADING [--tables N]
      the text under HEADING (an exact line, e.g. '### cosine, score normalisation: none') up to the
      next heading, or only its first N tables with the line above each
  tools/md_tables.py rows FILE HEADING --match TEXT
      the first table under HEADING: its header and the rows containing TEXT
  tools/md_tables.py compare NAME=FILE ... --heading HEADING --match TEXT [--name-header H]
      one table over several files: the first table's header under HEADING with a NAME column in
      front, and from each FILE its first row containing TEXT
  tools/md_tables.py baselines NAME=FILE ... --conditions "clean noise_snr0 ..."
      one row per FILE: the `baseline` column of the EER table under
      '### cosine, score normalisation: none', for the named conditions (the row label of the
      pooled row may be given as `pooled`)
A missing file, heading, column or condition is a one-line error naming it.
"""
import argparse
import sys
from pathlib import Path

COSINE_NONE = "### cosine, score normalisation: none"
POOLED_LABEL = "all mismatched, pooled"


class MdError(Exception):
    pass


def read_lines(path):
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise MdError(f"{path}: cannot read ({e.strerror})") from None


def section(lines, heading, path):
    """The lines under `heading` (exact match) up to the next heading of any level."""
    try:
        start = lines.index(heading) + 1
    except ValueError:
        raise MdError(f"{path}: no heading line {heading!r}") from None
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
    body = lines[start:end]
    while body and not body[0].strip():
        body = body[1:]
    while body and not body[-1].strip():
        body = body[:-1]
    return body


def tables(body):
    """[(caption line or '', table lines)] of a section body."""
    out, i = [], 0
    while i < len(body):
        if body[i].startswith("|"):
            j = i
            while j < len(body) and body[j].startswith("|"):
                j += 1
            caption = body[i - 2] if i >= 2 and not body[i - 1].strip() and not body[i - 2].startswith("|") else ""
            out.append((caption, body[i:j]))
            i = j
        else:
            i += 1
    return out


def cells(row):
    return [c.strip() for c in row.strip().strip("|").split("|")]


def cmd_section(args):
    body = section(read_lines(args.file), args.heading, args.file)
    if args.tables is None:
        return body
    found = tables(body)
    if len(found) < args.tables:
        raise MdError(f"{args.file}: {args.heading!r} has {len(found)} tables, not {args.tables}")
    out = []
    for caption, table in found[:args.tables]:
        out += ([caption, ""] if caption else []) + table + [""]
    return out[:-1]


def cmd_rows(args):
    found = tables(section(read_lines(args.file), args.heading, args.file))
    if not found:
        raise MdError(f"{args.file}: no table under {args.heading!r}")
    table = found[0][1]
    rows = [r for r in table[2:] if args.match in r]
    if not rows:
        raise MdError(f"{args.file}: no row of the table under {args.heading!r} contains {args.match!r}")
    return table[:2] + rows


def cmd_compare(args):
    out = []
    for item in args.results:
        name, sep, path = item.partition("=")
        if not sep:
            raise MdError(f"argument {item!r}: expected NAME=FILE")
        table = cmd_rows(argparse.Namespace(file=path, heading=args.heading, match=args.match))
        if not out:
            out = [f"| {args.name_header} " + table[0], "|---" + table[1]]
        out.append(f"| {name} " + table[2])
    return out


def cmd_baselines(args):
    conditions = args.conditions.split()
    labels = [POOLED_LABEL if c == "pooled" else c for c in conditions]
    out = ["| " + " | ".join([args.name_header] + [args.pooled_header if c == "pooled" else c for c in conditions])
           + " |", "|" + "---|" * (len(conditions) + 1)]
    for item in args.results:
        name, sep, path = item.partition("=")
        if not sep:
            raise MdError(f"argument {item!r}: expected NAME=FILE")
        found = tables(section(read_lines(path), COSINE_NONE, path))
        if not found:
            raise MdError(f"{path}: no table under {COSINE_NONE!r}")
        header, *rows = [cells(r) for r in found[0][1] if not set(r) <= set("|-: ")]
        if "baseline" not in header:
            raise MdError(f"{path}: the EER table under {COSINE_NONE!r} has no 'baseline' column")
        by_condition = {r[0]: r[header.index("baseline")] for r in rows}
        missing = [c for c in labels if c not in by_condition]
        if missing:
            raise MdError(f"{path}: no row for condition {missing[0]!r}")
        out.append("| " + " | ".join([name] + [by_condition[c] for c in labels]) + " |")
    return out


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("section")
    s.add_argument("file")
    s.add_argument("heading")
    s.add_argument("--tables", type=int, default=None)
    s.set_defaults(run=cmd_section)
    r = sub.add_parser("rows")
    r.add_argument("file")
    r.add_argument("heading")
    r.add_argument("--match", required=True)
    r.set_defaults(run=cmd_rows)
    c = sub.add_parser("compare")
    c.add_argument("results", nargs="+", help="NAME=RESULTS.md")
    c.add_argument("--heading", required=True)
    c.add_argument("--match", required=True)
    c.add_argument("--name-header", default="run")
    c.set_defaults(run=cmd_compare)
    b = sub.add_parser("baselines")
    b.add_argument("results", nargs="+", help="NAME=RESULTS.md")
    b.add_argument("--conditions", required=True)
    b.add_argument("--name-header", default="extractor")
    b.add_argument("--pooled-header", default="all mismatched, pooled")
    b.set_defaults(run=cmd_baselines)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        lines = args.run(args)
    except MdError as e:
        print(f"md_tables: {e}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
