"""The unlearning run's configuration, as frozen dataclasses (the CLI builds them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..data import DataConfig
from ..lab.config import TrainConfig
from ..models import ModelConfig
from ..types import InputError

METHODS = ("ihl", "ga", "gd")
LORA_INITS = ("fila", "default")
STOP_RULES = ("steps", "holdout", "parity")
STOP_METRICS = ("exact", "approx")
# The signals --stop parity may watch: those that read only the text's own scores (no
# extra view), so a check costs one scoring pass over forget + held-out texts.
PARITY_SIGNALS = ("loss", "zlib", "min_k", "min_k_plus_plus")
# LoKU's reference learning rate is for LoRA (rank 32, alpha 64). Full fine-tuning moves
# every weight, so the usual unlearning rate for it (TOFU) is ten times smaller.
DEFAULT_LR = {"lora": 1e-4, "full": 1e-5}


@dataclass(frozen=True)
class UnlearnConfig:
    """How the model is made to forget.

    Steps: each optimiser step takes one forget batch (and, for IHL and GD, one retain
    batch). `max_steps` None means `epochs` passes over the forget set."""

    method: str = "ihl"                 # ihl | ga | gd
    full: bool = False                  # full fine-tuning instead of LoRA
    lora_rank: int = 32
    lora_alpha: int = 64
    target_modules: tuple[str, ...] = ()   # () = every linear layer but the LM head
    lora_init: str = "fila"             # fila | default (peft's: B = 0)
    learning_rate: float | None = None  # None: DEFAULT_LR["lora" or "full"]
    batch_size: int = 8                 # forget texts per step; the retain batch is as large
    epochs: int = 5
    max_steps: int | None = None
    retain_weight: float = 1.0          # weight of the retain NLL (IHL and GD)
    max_tokens: int = 256               # sequences are cut to this many text tokens
    stop: str = "steps"                 # steps | holdout (stop once forget <= held-out rate)
                                        # | parity (and PrivLeak within privleak_tol)
    check_every: int = 5                # steps between stopping checks (stop="holdout")
    stop_metric: str = "exact"          # exact | approx extraction rate for the stopping rule
    seed: int = 0
    privleak_tol: float = 5.0           # stop="parity": |PrivLeak| (percent) at most this
    # stop="parity": the signals whose PrivLeak must all be within the tolerance. The loss
    # follows the forget texts' likelihood, which IHL can leave well above the never-seen
    # level while Min-K%++ (which standardises each token against the vocabulary) already
    # looks unfamiliar; asking both keeps one from being fooled where the other is not.
    parity_signals: tuple[str, ...] = ("loss", "min_k_plus_plus")

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError(f"unlearning method {self.method!r} is unknown; use ihl, ga or gd")
        if self.lora_init not in LORA_INITS:
            raise InputError(f"--lora-init {self.lora_init!r} is unknown; use fila or default")
        if self.stop not in STOP_RULES:
            raise InputError(f"--stop {self.stop!r} is unknown; use steps, holdout or parity")
        if self.stop_metric not in STOP_METRICS:
            raise InputError(f"--stop-metric {self.stop_metric!r} is unknown; use exact or approx")
        if min(self.lora_rank, self.lora_alpha, self.batch_size, self.epochs,
               self.check_every) < 1 or self.max_tokens < 2:
            raise InputError("LoRA rank and alpha, batch size, epochs and --check-every must be "
                             ">= 1, and --max-tokens >= 2")
        if self.max_steps is not None and self.max_steps < 0:
            raise InputError(f"--steps must be >= 0 (got {self.max_steps})")
        if self.learning_rate is not None and self.learning_rate <= 0:
            raise InputError(f"--lr must be > 0 (got {self.learning_rate})")
        if self.privleak_tol <= 0:
            raise InputError(f"--privleak-tol must be > 0 (got {self.privleak_tol})")
        unknown = [s for s in self.parity_signals if s not in PARITY_SIGNALS]
        if not self.parity_signals or unknown:
            raise InputError(f"--parity-signals {','.join(self.parity_signals)!r}: use one or "
                             f"more of {', '.join(PARITY_SIGNALS)} (signals read during "
                             "training must need nothing but the text's own scores)")
        if self.retain_weight < 0:
            raise InputError(f"--retain-weight must be >= 0 (got {self.retain_weight})")

    @property
    def adapter(self) -> str:
        return "full" if self.full else "lora"

    @property
    def lr(self) -> float:
        return self.learning_rate if self.learning_rate is not None else DEFAULT_LR[self.adapter]

    @property
    def uses_retain(self) -> bool:
        return self.method in ("ihl", "gd")

    @property
    def uses_fila(self) -> bool:
        return not self.full and self.lora_init == "fila"


@dataclass(frozen=True)
class AuditConfig:
    """The before-and-after audit. Extraction is greedy discoverable extraction; texts
    shorter than prefix + suffix tokens are cut in the same proportion (extraction/)."""

    prefix_tokens: int = 50
    suffix_tokens: int = 50
    signals: tuple[str, ...] | None = None   # MIA signals (None: score's defaults)
    bootstrap: int = 1000


@dataclass(frozen=True)
class JudgeConfig:
    """The comparison with a model retrained without the forget set (judge.py): either a
    model the user has (`retrained`), or one trained here from `retrain_base` on the retain
    texts with `recipe` (the lab's trainer; give the recipe that made the model being
    unlearned). QA files (qa.py) add KnowMem and, with paraphrased and perturbed answers,
    TOFU's truth ratio as forget quality's statistic."""

    retrained: str | None = None
    retrain_base: str | None = None
    recipe: TrainConfig = field(default_factory=TrainConfig)
    forget_qa: str | None = None
    retain_qa: str | None = None
    answer_tokens: int = 32            # greedy answer length for KnowMem

    def __post_init__(self) -> None:
        if (self.retrained is None) == (self.retrain_base is None):
            raise InputError("give one reference: --retrained PATH (a model trained without "
                             "the forget set) or --retrain-reference --base MODEL")
        if self.answer_tokens < 1:
            raise InputError(f"--answer-tokens must be >= 1 (got {self.answer_tokens})")


@dataclass(frozen=True)
class UnlearnSpec:
    """Everything `mnemoscope unlearn` does, as data."""

    forget: DataConfig
    retain: DataConfig
    out: str
    holdout: DataConfig | None = None
    model: ModelConfig = field(default_factory=ModelConfig)
    train: UnlearnConfig = field(default_factory=UnlearnConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    judge: JudgeConfig | None = None     # None: no retrained reference, no PrivLeak
    save_merged: bool = False
    chunk_size: int = 32
    progress: bool = True

    def __post_init__(self) -> None:
        if self.train.stop == "holdout" and self.holdout is None:
            raise InputError("--stop holdout compares the forget set's extraction rate with "
                             "held-out data: pass --holdout FILE (texts never trained on), "
                             "or use --stop steps.")
        if self.judge is not None and self.holdout is None:
            raise InputError("PrivLeak compares forget with held-out texts under the retrained "
                             "and the unlearned model: pass --holdout FILE (texts never "
                             "trained on).")
        if (self.train.stop == "parity" and self.audit.signals is not None
                and not set(self.train.parity_signals) <= set(self.audit.signals)):
            raise InputError("--parity-signals must be among the audit's --signals (the "
                             "retrained model's scores come from its audit): add "
                             + ",".join(self.train.parity_signals) + " to --signals")
        if self.train.stop == "parity" and self.judge is None:
            raise InputError("--stop parity measures PrivLeak against a retrained model: pass "
                             "--retrained PATH or --retrain-reference --base MODEL.")
