# Corpus roots: the ONLY place where corpus paths live. Each can be overridden from the environment
# (e.g. `LIBRISPEECH=/data/LibriSpeech ./run.sh`). Empty means "not available"; a stage that needs
# one fails with a message naming the variable. Recipes never write into these folders.
VOXCELEB1="${VOXCELEB1:-}"
VOXCELEB2="${VOXCELEB2:-}"
VOXCONVERSE="${VOXCONVERSE:-}"
LIBRISPEECH="${LIBRISPEECH:-}"
LIBRITTS_R="${LIBRITTS_R:-}"
MUSAN="${MUSAN:-}"
RIRS_NOISES="${RIRS_NOISES:-}"
