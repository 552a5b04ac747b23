# Corpus roots: the ONLY place where corpus paths live. Each can be overridden from the environment
# (e.g. `VOXCELEB1=/data/voxceleb1 ./run.sh`). Empty means "not available"; a stage that needs
# one fails with a message naming the variable. Recipes never write into these folders.
# README.md says which download each is (and local/make_standin.sh writes an offline stand-in of all).
VOXCELEB1="${VOXCELEB1:-}"       # wav/idNNNNN/<video>/NNNNN.wav (dev+test) + veri_test2.txt, list_test_all2.txt, list_test_hard2.txt
VOXCELEB2="${VOXCELEB2:-}"       # dev, converted to wav: wav/idNNNNN/<video>/NNNNN.wav (optional: PLDA / cohort)
VOXCONVERSE="${VOXCONVERSE:-}"   # VoxConverse test SV: wav/<spk>/<session>/<seg>.wav + trials_wo_overlap.txt (optional: VC-Mix)
VOXSRC23="${VOXSRC23:-}"         # VoxSRC-23 validation: the list file + its audio, paths relative to it (optional)
LIBRISPEECH="${LIBRISPEECH:-}"
LIBRITTS_R="${LIBRITTS_R:-}"     # <subset>/<spk>/<chapter>/<spk>_<chapter>_<para>_<sent>.wav (SEED's clean training speech)
MUSAN="${MUSAN:-}"               # musan/{noise,music,speech}/<source>/*.wav
RIRS_NOISES="${RIRS_NOISES:-}"   # RIRS_NOISES/{simulated_rirs,real_rirs_isotropic_noises,pointsource_noises}
