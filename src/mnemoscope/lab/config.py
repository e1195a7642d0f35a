"""The lab's configuration, as frozen dataclasses (the CLI builds them from its flags)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..data import DataConfig
from ..dynamics.config import DynamicsConfig
from ..extraction.canaries import CanaryConfig
from ..extraction.discoverable import DiscoverableConfig
from ..extraction.exposure import ExposureConfig
from ..models import ModelConfig
from ..types import InputError

# Full fine-tuning: 1e-4 with AdamW. Measured on the embedded 135M model, 200 synthetic
# members, 3 epochs, batch 8 (docs/lab.md): best AUROC 0.895 at 1e-4 but 0.832 at 5e-4, so
# a larger constant step does not memorize more. LoRA updates far fewer weights and needs
# a larger step to move as much.
DEFAULT_LR = {"full": 1e-4, "lora": 1e-3}
SCHEDULES = ("constant", "linear")


@dataclass(frozen=True)
class TrainConfig:
    method: str = "full"              # full | lora
    epochs: int = 3
    learning_rate: float | None = None  # None: DEFAULT_LR[method]
    batch_size: int = 8
    lora_rank: int = 16
    lora_alpha: int | None = None     # None: 2 * rank (the usual LoRA scaling of 2)
    max_tokens: int = 256             # training sequences are cut to this many text tokens
    warmup_fraction: float = 0.1      # linear warm-up, then the schedule below
    # after warm-up: "constant", or "linear" decay to 0 at the last step (the last pass then
    # takes small steps, so what it wrote is not overwritten by later large ones)
    schedule: str = "constant"
    seed: int = 0
    # full only: keep the embeddings and the bottom N decoder layers fixed and cache their
    # output once per text, so each step runs only the layers above (lab/frozen.py)
    frozen_layers: int = 0

    def __post_init__(self) -> None:
        if self.method not in DEFAULT_LR:
            raise InputError(f"training method {self.method!r} is unknown; use full or lora")
        if self.epochs < 1 or self.batch_size < 1 or self.lora_rank < 1 or self.max_tokens < 2:
            raise InputError("epochs, batch size and LoRA rank must be >= 1, max_tokens >= 2")
        if self.schedule not in SCHEDULES:
            raise InputError(f"learning-rate schedule {self.schedule!r} is unknown; use "
                             + " or ".join(SCHEDULES))
        if self.frozen_layers < 0 or (self.frozen_layers and self.method != "full"):
            raise InputError(f"frozen_layers={self.frozen_layers}: use 0, or N > 0 with "
                             "method full (LoRA already trains only small adapters)")

    @property
    def lr(self) -> float:
        return self.learning_rate if self.learning_rate is not None else DEFAULT_LR[self.method]

    @property
    def alpha(self) -> int:
        return self.lora_alpha if self.lora_alpha is not None else 2 * self.lora_rank


@dataclass(frozen=True)
class LabSpec:
    """Everything `mnemoscope lab` does, as data."""

    data: DataConfig
    out: str
    model: ModelConfig = field(default_factory=ModelConfig)
    member_fraction: float = 0.5
    seed: int = 0
    train: TrainConfig = field(default_factory=TrainConfig)
    canaries: CanaryConfig = field(default_factory=CanaryConfig)
    exposure: ExposureConfig = field(default_factory=ExposureConfig)
    # greedy only by default: seeded sampling runs one prompt at a time, slow on a CPU
    extraction: DiscoverableConfig = field(default_factory=lambda: DiscoverableConfig(samples=0))
    run_extraction: bool = True
    pii: bool = True
    signals: tuple[str, ...] | None = None   # None: the score defaults, plus `reference`
    # The `reference` signal's model. "base": the model before fine-tuning (free, but it has
    # not seen the data's distribution, so what the fine-tune learned about that whole
    # distribution, which members and non-members share, stays in the score). "trained": a
    # copy fine-tuned with the same recipe and number of steps on a disjoint
    # `reference_fraction` of the data, which cancels that shared part and leaves
    # memorization (costs a second fine-tune).
    # "none": no reference signal.
    reference: str = "base"
    reference_fraction: float = 0.25  # of all texts, used only with reference="trained"
    chunk_size: int = 64
    bootstrap: int = 1000
    progress: bool = True
    # memorization checks during the fine-tune (DIR/dynamics/, mnemoscope.dynamics); None: off
    dynamics: DynamicsConfig | None = field(default_factory=DynamicsConfig)
    # the weights at every checked step, as DIR/checkpoints/checkpoint-<step>/ model folders
    # (full fine-tuning only), so `score DIR/dynamics/probe.jsonl --model DIR/checkpoints`
    # can score them again; ~the model's size per check
    save_checkpoints: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.member_fraction < 1:
            raise InputError(f"member_fraction {self.member_fraction} must be between 0 and 1 "
                             "(exclusive): the calibration needs members and non-members")
        if self.reference not in ("base", "trained", "none"):
            raise InputError(f"reference {self.reference!r} is unknown; use base, trained or none")
        if self.save_checkpoints and (self.dynamics is None or self.train.method != "full"):
            raise InputError("save_checkpoints saves the weights at each memorization check: "
                             "it needs the checks on and method full (LoRA adapters are "
                             "merged only at the end)")
        if self.reference == "trained" and not 0 < self.reference_fraction < 1:
            raise InputError(f"reference_fraction {self.reference_fraction} must be between 0 "
                             "and 1 (exclusive) to train a reference model")

    @property
    def reference_split(self) -> float:
        """Share of the texts held out to train the reference model (0 unless trained)."""
        return self.reference_fraction if self.reference == "trained" else 0.0
