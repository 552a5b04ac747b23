"""Command-line steps: `python -m seed.bin.<step>`. Importing the package (which `-m` does first)
makes Ctrl-C end any step with one line instead of a KeyboardInterrupt traceback; the exit status
stays that of an interrupted program (Python re-raises SIGINT after the hook)."""
import sys

_default_hook = sys.excepthook


def _one_line_interrupt(kind, value, tb):
    if issubclass(kind, KeyboardInterrupt):
        prog = sys.argv[0].rsplit("/", 1)[-1] if sys.argv and sys.argv[0] else "seed.bin"
        print(f"{prog}: interrupted (Ctrl-C)", file=sys.stderr)
        return
    _default_hook(kind, value, tb)


sys.excepthook = _one_line_interrupt
