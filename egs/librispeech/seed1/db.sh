# Corpus roots for this recipe (override any of them from the environment).
# Defaults point at the small real excerpts in ../shared/data when that folder sits beside the
# checkout (development and CI); for the full corpora, set e.g. LIBRISPEECH=/data/LibriSpeech.
_shared="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)/shared/data"
if [ -d "${_shared}" ]; then
    LIBRISPEECH="${LIBRISPEECH:-${_shared}/librispeech_excerpts}"
    MUSAN="${MUSAN:-${_shared}/musan_mini}"
    RIRS_NOISES="${RIRS_NOISES:-${_shared}/rirs_mini}"
fi
LIBRISPEECH="${LIBRISPEECH:-}"
MUSAN="${MUSAN:-}"
RIRS_NOISES="${RIRS_NOISES:-}"
VOXCELEB1="${VOXCELEB1:-}"
VOXCELEB2="${VOXCELEB2:-}"
VOXCONVERSE="${VOXCONVERSE:-}"
LIBRITTS_R="${LIBRITTS_R:-}"
unset _shared
