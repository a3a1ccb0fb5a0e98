"""Tables the inference tests share: text labels, and features far from zero mean and unit scale."""

import numpy as np

FEATURES = ["a", "b", "c"]
SPECIES = np.array(["cat", "dog", "fox"])


def table(seed, rows=120, offset=100.0):
    """Features far from zero mean and unit scale (so a missing scaler would show), and text labels."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3))
    y = SPECIES[np.argmax(x @ np.array([[1.0, -1, 0], [0, 1, -1], [0.5, 0, 1]]), axis=1)]
    return x * 50 + offset, y


def write_csv(path, x, y=None, columns=FEATURES, label="species"):
    header = ",".join([*columns, *([label] if y is not None else [])])
    lines = [header] + [
        ",".join([*(f"{v:.6f}" for v in row), *([str(lab)] if y is not None else [])])
        for row, lab in zip(x, y if y is not None else [None] * len(x), strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path
