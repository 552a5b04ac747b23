"""Corpus folders → Kaldi data dirs and trial lists (read-only on the corpus; never writes into it)."""
