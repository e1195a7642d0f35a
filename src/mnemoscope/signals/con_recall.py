"""CON-ReCall (Wang et al. 2024, "Con-ReCall: Detecting Pre-training Data in LLMs via
Contrastive Decoding"). A member prefix shifts a member's likelihood little and a
non-member prefix lowers it a lot; contrasting the two conditionings sharpens ReCaLL:

    score = (LL(x | P_non-member) - gamma * LL(x | P_member)) / LL(x)
          = (NLL(x | P_non-member) - gamma * NLL(x | P_member)) / NLL(x)

(the signs of numerator and denominator flip together). Higher = member; gamma = 0 is
ReCaLL. The paper reports the best gamma of a sweep over {0.1, ..., 1.0} per setting; 0.5,
the middle of that sweep, is the default here, since picking gamma on the labels being
scored would inflate the AUROC.

The non-member prefix is ReCaLL's (`--recall-prefix FILE` or `--recall-shots N`); the
member prefix is `--member-prefix FILE` (text known to be in training) or
`--member-shots N` (N labelled members drawn from the data, seeded, then left out of the
run). Both prefixes run once per run; their KV caches are reused for every text.

Cost: two extra passes of the target per text (the text after each prefix).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from ..types import Capabilities, TokenScores
from .base import Context, Signal, register
from .recall import PrefixView
from .views import ViewOption, register_view


@register_view("member_prefix")
@dataclass(frozen=True)
class MemberPrefixView(PrefixView):
    """The target on each text after a prefix of known members."""

    label: ClassVar[int] = 1
    file_option: ClassVar[str] = "member_prefix"
    shots_option: ClassVar[str] = "member_shots"
    wanted_by: ClassVar[str] = "con_recall"
    options = (ViewOption("member_prefix", "CON-ReCall: a text file known to BE in training, "
                          "used as the member prefix", "FILE"),
               ViewOption("member_shots", "CON-ReCall: draw N labelled members from the data "
                          "as the member prefix (seeded; they are left out of the metrics)", "N"))


@register("con_recall")
@dataclass(frozen=True)
class ConRecall(Signal):
    """(NLL(x | non-member prefix) - gamma * NLL(x | member prefix)) / NLL(x)."""

    gamma: float = 0.5

    paper = "Wang et al. 2024"
    needs: ClassVar[Capabilities] = Capabilities.LOGPROBS | Capabilities.PREFIX
    views = frozenset({"recall_prefix", "member_prefix"})
    extra_passes = "2 (target, text after each prefix; the prefixes run once per run)"

    def __post_init__(self) -> None:
        if not isinstance(self.gamma, (int, float)) or not math.isfinite(self.gamma) \
                or self.gamma < 0:
            raise ValueError(f"gamma must be a number >= 0, got {self.gamma!r}")

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:
        contrast = ctx.views["recall_prefix"].mean_nll - self.gamma * ctx.views["member_prefix"].mean_nll
        return contrast / max(s.mean_nll, 1e-12)
