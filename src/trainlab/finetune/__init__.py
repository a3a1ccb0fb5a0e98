"""Fine-tuning from a run: the ``from_run`` model, frozen parameters, gradual unfreezing, discriminative lrs.

The components register themselves when the registry loads its providers (``from_run`` in the
models, ``gradual_unfreezing`` and ``freeze_bn_stats`` in the callbacks); this package's own
import stays light because the recipe reads its option schemas from :mod:`.spec`.
"""
