"""Print the README's optimizer catalog table, generated from the registry.

python benchmarks/optim_catalog_table.py
"""

import torch

import trainlab
from trainlab.optim import chosen_implementation


def main() -> None:
    print("| name | description | reference | weight_decay_mode default | default implementation (CPU) |")
    print("|---|---|---|---|---|")
    for entry in trainlab.catalog("optimizer"):
        mode = entry.parameters().get("weight_decay_mode")
        default_mode = mode.default if mode is not None else "—"
        try:
            implementation = chosen_implementation(entry.build([torch.zeros(2, 2, requires_grad=True)]))
        except Exception:  # wrappers need options to build; they use their inner optimizer's
            implementation = "inner optimizer's"
        if entry.flags.get("needs_closure") and entry.name not in ("sam", "asam"):
            implementation = "full batch (closure)"
        name = entry.name + (f" ({', '.join(entry.aliases)})" if entry.aliases else "")
        cells = [name, entry.description, entry.reference, default_mode, implementation]
        print("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")


if __name__ == "__main__":
    main()
