"""Loss spikes, and the first non-finite tensor: what the trainer's anomaly policies and the records saw."""

from __future__ import annotations

import math
import re

from trainlab.diagnose.detectors._base import lr_edit
from trainlab.diagnose.evidence import RunEvidence
from trainlab.diagnose.findings import Evidence, Finding
from trainlab.registry import DETECTORS
from trainlab.train.anomaly import SpikeDetector

# What train.anomaly writes: "step 12: the loss is nan (...); first non-finite tensor: output of layer 'net.3' (Linear). Lower ..."
_CULPRIT = re.compile(r"first non-finite tensor: (.+?)(?:\. Lower|\.?$)", re.IGNORECASE | re.MULTILINE)
_STEP = re.compile(r"\bstep (\d+): ")
_HANDLED = re.compile(r"step (\d+): (.+?); (skipped the batch|rolled back)")


@DETECTORS.register(
    "non_finite",
    reference="Goodfellow et al. 2016, Deep Learning §4.1 (overflow and underflow)",
)
class NonFinite:
    """A NaN or Inf: in the loss, a gradient, a weight or an activation, with the first tensor and step.

    It reads what the trainer recorded (error.txt under ``train.nan_policy: raise``, the skipped or
    rolled-back steps in log.txt), non-finite losses in metrics.jsonl, and the first non-finite
    statistic in diagnostics.jsonl. Any non-finite value is a finding: there is no threshold.
    """

    needs = ()

    def check(self, evidence: RunEvidence) -> list[Finding]:
        culprit: str | None = None
        bad_steps: list[int] = []  # the steps each source saw a non-finite value at
        count = 0
        if evidence.error and (match := _CULPRIT.search(evidence.error)):
            culprit = match.group(1).strip()
            count += 1
            if step_match := _STEP.search(evidence.error):
                bad_steps.append(int(step_match.group(1)))
        handled = [int(m.group(1)) for m in _HANDLED.finditer(evidence.log) if "spiked" not in m.group(2)]
        bad_losses = [step for step, loss in evidence.train_losses() if not math.isfinite(loss)]
        count += len(handled) + len(bad_losses)
        bad_steps += handled + bad_losses
        record = next((r for r in evidence.records or () if _has_non_finite(r)), None)
        if record is not None:
            count += 1
            bad_steps.append(int(record["step"]))
            culprit = culprit or f"{record.get('kind')} statistics of '{record.get('layer')}'"
        if not count:
            return []
        step = min(bad_steps) if bad_steps else None
        return [
            Finding(
                id="non_finite",
                severity="error",
                title=f"non-finite values (NaN/Inf){f' from step {step}' if step is not None else ''}",
                steps=(step, step) if step is not None else None,
                layers=(culprit,) if culprit else (),
                evidence=(Evidence("non-finite losses, steps or statistics seen", count, 0, ">"),),
                cause=(
                    "A value overflowed (too large a step, an exploding activation, a log or division of 0), "
                    "and NaN spreads to everything computed from it."
                ),
                fix=(*lr_edit(evidence, 0.1), "train.grad_clip_norm=1.0"),
                remedy=(
                    "Lower the learning rate, clip gradients, check the inputs for NaN/Inf (`trainlab preflight`); "
                    "train.nan_policy=skip or rollback lets a run survive rare bad batches."
                ),
                reference="Goodfellow et al. 2016, Deep Learning §4.1; README: NaN, Inf and loss spikes",
                details={"first_non_finite": culprit, "handled_steps": handled},
            )
        ]


@DETECTORS.register(
    "loss_spikes",
    reference="Chowdhery et al. 2022, PaLM §5.1 (loss spikes); Pascanu et al. 2013",
)
class LossSpikes:
    """Loss spikes: a logged training loss far above the recent ones.

    Args:
        zscore: Flag a loss more than this many standard deviations above the previous ``window``
            logged losses (the trainer's ``train.spike_zscore`` test, with its default of 6).
        window: How many logged losses before a point it is judged against.
        min_rise: Also require the loss to be this fraction above the window's mean, so that a flat
            loss with tiny noise does not count its wiggles.
    """

    needs = ()

    def __init__(self, zscore: float = 6.0, window: int = 10, min_rise: float = 0.5):
        self.zscore = zscore
        self.window = window
        self.min_rise = min_rise

    def check(self, evidence: RunEvidence) -> list[Finding]:
        detector = SpikeDetector(self.window, self.zscore)
        spikes: list[tuple[int, float]] = []
        for step, loss in evidence.train_losses():
            if not math.isfinite(loss):
                continue
            z = detector.z_score(loss)
            mean = math.fsum(detector.losses) / max(len(detector.losses), 1)
            if z > self.zscore and loss > (1 + self.min_rise) * mean:
                spikes.append((step, z))
            detector.add(loss)
        handled = [int(m.group(1)) for m in _HANDLED.finditer(evidence.log) if "spiked" in m.group(2)]
        if not spikes and not handled:
            return []
        steps = sorted([step for step, _ in spikes] + handled)
        evidences = []
        if spikes:
            worst = max(spikes, key=lambda spike: spike[1])
            evidences.append(Evidence(f"loss z-score at step {worst[0]}", worst[1], self.zscore, ">"))
        if handled:
            evidences.append(Evidence("spikes the trainer skipped or rolled back", len(handled), 0, ">"))
        return [
            Finding(
                id="loss_spikes",
                severity="warn",
                title=f"{len(steps)} loss spike(s)",
                steps=(steps[0], steps[-1]),
                layers=(),
                evidence=tuple(evidences),
                cause=(
                    "Single steps went far uphill: the learning rate is near the edge of stability, or a few "
                    "batches produce gradients much larger than the rest."
                ),
                fix=("train.grad_clip_norm=1.0", *lr_edit(evidence, 0.5)),
                remedy=(
                    "Clip the gradient norm, lower the learning rate or add a warmup; "
                    "train.spike_zscore=6 with train.nan_policy=skip drops spiking batches as they happen."
                ),
                reference="Chowdhery et al. 2022, PaLM §5.1; Pascanu et al. 2013 (gradient clipping)",
                details={"spike_steps": steps},
            )
        ]


# Statistics of a tensor itself; a ratio such as update_ratio or grad_norm_first_last is 0/0 = NaN
# when its denominator is exactly zero (a dead layer), which is no non-finite tensor.
TENSOR_STATISTICS = ("grad_norm", "weight_norm", "mean", "std", "logit_scale", "loss")


def _has_non_finite(record: dict[str, object]) -> bool:
    values = (record.get(name) for name in TENSOR_STATISTICS)
    return any(isinstance(v, float) and not math.isfinite(v) for v in values)
