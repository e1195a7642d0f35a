"""The unlearning run's configuration, as frozen dataclasses (the CLI builds them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..data import DataConfig
from ..models import ModelConfig
from ..types import InputError

METHODS = ("ihl", "ga", "gd")
LORA_INITS = ("fila", "default")
STOP_RULES = ("steps", "holdout")
STOP_METRICS = ("exact", "approx")
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
    check_every: int = 5                # steps between stopping checks (stop="holdout")
    stop_metric: str = "exact"          # exact | approx extraction rate for the stopping rule
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError(f"unlearning method {self.method!r} is unknown; use ihl, ga or gd")
        if self.lora_init not in LORA_INITS:
            raise InputError(f"--lora-init {self.lora_init!r} is unknown; use fila or default")
        if self.stop not in STOP_RULES:
            raise InputError(f"--stop {self.stop!r} is unknown; use steps or holdout")
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
class UnlearnSpec:
    """Everything `mnemoscope unlearn` does, as data."""

    forget: DataConfig
    retain: DataConfig
    out: str
    holdout: DataConfig | None = None
    model: ModelConfig = field(default_factory=ModelConfig)
    train: UnlearnConfig = field(default_factory=UnlearnConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    save_merged: bool = False
    chunk_size: int = 32
    progress: bool = True

    def __post_init__(self) -> None:
        if self.train.stop == "holdout" and self.holdout is None:
            raise InputError("--stop holdout compares the forget set's extraction rate with "
                             "held-out data: pass --holdout FILE (texts never trained on), "
                             "or use --stop steps.")
