"""The human-labelled faces kept out of every fit (the eyeglasses probe's and the predictor's):
a seeded third of `data/dcgan_faces/`, used only to measure the default predictor."""
import numpy as np

SEED, FRACTION = 2048, 1 / 3


def heldout_mask(n: int) -> np.ndarray:
    """Boolean (n,): True for the held-out faces among the first n labelled ones."""
    mask = np.zeros(n, bool)
    mask[np.random.default_rng(SEED).permutation(n)[: round(n * FRACTION)]] = True
    return mask
