"""The registered verdict rules: better by delta, equivalence (TOST), monotone trend, k of n seeds."""

from trainlab.studies.rules.better_by_delta import BetterByDelta
from trainlab.studies.rules.equivalence import Equivalence
from trainlab.studies.rules.k_of_n import KOfN
from trainlab.studies.rules.monotone_trend import MonotoneTrend

__all__ = ["BetterByDelta", "Equivalence", "KOfN", "MonotoneTrend"]
