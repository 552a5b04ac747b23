# The mini recipe needs no corpus: local/data.sh synthesises one (espeak-ng + flite voices, coloured
# noises, music-like signals, babble) into MINI_DB. Rooms are simulated with pyroomacoustics.
MINI_DB="${MINI_DB:-db}"
MUSAN="${MUSAN:-${MINI_DB}/musan}"
RIRS_NOISES="${RIRS_NOISES:-}"
LIBRISPEECH="${LIBRISPEECH:-}"
VOXCELEB1="${VOXCELEB1:-}"
VOXCELEB2="${VOXCELEB2:-}"
VOXCONVERSE="${VOXCONVERSE:-}"
LIBRITTS_R="${LIBRITTS_R:-}"
