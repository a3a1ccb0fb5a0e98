"""Two arms equal within a tolerance (TOST), or one not worse than the other by more than it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from trainlab.studies.registries import VERDICT_RULES
from trainlab.studies.rules._tests import mean, t_interval, t_test_p
from trainlab.studies.table import MeasurementTable
from trainlab.studies.verdict import Direction, Verdict, decide, format_number, sign_of


@VERDICT_RULES.register(
    "equivalence",
    reference="Schuirmann 1987, A Comparison of the Two One-Sided Tests Procedure and the Power "
    "Approach for Assessing the Equivalence of Average Bioavailability (J. Pharmacokinet. Biopharm. 15); "
    "Lakens 2017, Equivalence Tests (Soc. Psychol. Personal. Sci. 8)",
)
class Equivalence:
    """Arms ``first`` and ``second`` agree within ``tolerance``: two one-sided paired tests (TOST).

    ``margin: two_sided`` claims |first - second| < tolerance; ``margin: not_worse`` claims
    ``first`` is not worse than ``second`` by more than ``tolerance`` (non-inferiority), with
    ``direction`` saying which way is better. Not supported when the difference lies beyond the
    tolerance at level ``alpha``. The CI is the (1 - 2 alpha) interval that TOST corresponds to.
    """

    def __init__(
        self,
        first: str,
        second: str,
        tolerance: Annotated[float, Field(gt=0.0)],
        margin: Literal["two_sided", "not_worse"] = "two_sided",
        direction: Direction = "higher",
        alpha: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.05,
        expect: Literal["equal", "different"] = "equal",
    ):
        """Options of the rule.

        Args:
            first: The arm the claim is about.
            second: The arm it is compared with.
            tolerance: The largest difference that counts as equal, in the measure's units.
            margin: ``two_sided`` (equal within the tolerance) or ``not_worse`` (non-inferiority).
            direction: For ``not_worse``: ``higher`` when a higher measure is better, else ``lower``.
            alpha: Significance level of each one-sided test.
            expect: ``equal`` (the claim is the equivalence) or ``different`` (the claim is that the
                arms differ by more than the tolerance: supported and not supported swap).
        """
        self.first, self.second, self.tolerance = first, second, tolerance
        self.margin, self.direction, self.alpha, self.expect = margin, direction, alpha, expect

    def arms_used(self) -> list[str]:
        return [self.first, self.second]

    def __call__(self, table: MeasurementTable) -> Verdict:
        seeds = table.shared_seeds(self.arms_used())
        sign = sign_of(self.direction) if self.margin == "not_worse" else 1.0
        differences = [
            sign * (a - b)
            for a, b in zip(table.column(self.first, seeds), table.column(self.second, seeds), strict=True)
        ]
        tol = self.tolerance
        above_lower = t_test_p(differences, -tol, "greater")
        if self.margin == "not_worse":
            p_claim, p_opposite = above_lower, t_test_p(differences, -tol, "less")
            claim = f"{self.first} is not worse than {self.second} by more than {format_number(tol)}"
        else:
            p_claim = max(above_lower, t_test_p(differences, tol, "less"))
            p_opposite = min(t_test_p(differences, tol, "greater"), t_test_p(differences, -tol, "less"))
            claim = f"{self.first} and {self.second} agree within {format_number(tol)}"
        if self.expect == "different":
            p_claim, p_opposite = p_opposite, p_claim
            claim = claim.replace("agree within", "differ by more than").replace("is not worse", "is worse")
        outcome = decide(p_claim, p_opposite, self.alpha)
        effect = mean(differences)
        ci = t_interval(differences, 1.0 - 2.0 * self.alpha)
        reading = (
            f"{claim}: difference {format_number(effect)} "
            f"[{format_number(ci[0])}, {format_number(ci[1])}] over {len(seeds)} seeds"
        )
        return Verdict(
            outcome=outcome,
            rule="equivalence",
            effect=effect,
            ci=ci,
            p_value=p_opposite if outcome == "not supported" else p_claim,
            seeds=seeds,
            confidence=1.0 - 2.0 * self.alpha,
            reading=reading,
            test="TOST, paired t-tests" if self.margin == "two_sided" else "non-inferiority paired t-test",
        )
