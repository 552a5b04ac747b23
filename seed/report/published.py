"""Published ESPnet-SPK numbers, so a user sees at once whether their extraction reproduces ESPnet-SPK
before looking at SEED.

Source: ESPnet `egs2/voxceleb/spk1/README.md@b3dc3e2` (quoted in
../shared/reference/recipe-conventions.md §2.1): Vox1-O cleaned (`veri_test2.txt`), EER % and
minDCF at p_target 0.05 (ESPnet-SPK's convention), each model trained on VoxCeleb1+2 dev and
scored with ESPnet's multi-crop negative-Euclidean distance. That README publishes no Vox1-E/H,
VC-Mix or VoxSRC-23 numbers, so none are quoted for those lists.
"""
SOURCE = "ESPnet egs2/voxceleb/spk1/README.md@b3dc3e2 (Vox1-O cleaned; EER %, minDCF p_target 0.05)"

ESPNET_SPK_VOX1_O = {   # model tag -> (EER %, minDCF@0.05)
    "espnet/voxcelebs12_xvector_mel": (1.81, 0.1251),
    "espnet/voxcelebs12_mfaconformer_mel": (0.782, 0.0656),
    "espnet/voxcelebs12_ecapa_mel": (0.856, 0.0666),
    "espnet/voxcelebs12_rawnet3": (0.739, 0.0581),
    "espnet/voxcelebs12_ska_mel": (0.729, 0.0457),
    "espnet/voxcelebs12_ecapa_frozen": (0.638, 0.0499),
    "espnet/voxcelebs12_ecapa_wavlm_joint": (0.394, 0.0379),
    "espnet/voxcelebs12_ska_wavlm_frozen": (0.564, 0.0548),
    "espnet/voxcelebs12_ska_wavlm_joint": (0.516, 0.0429),
}


def published_vox1_o(spec):
    """(tag, (EER, minDCF@0.05) or None) of an `espnet-tag:TAG` spec; (None, None) for other extractors."""
    if not spec or not spec.startswith("espnet-tag:"):
        return None, None
    tag = spec[len("espnet-tag:"):]
    return tag, ESPNET_SPK_VOX1_O.get(tag)
