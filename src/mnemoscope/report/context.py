"""What a report section reads: the run folder, loaded once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ReportContext:
    run_dir: Path
    spec: dict[str, Any]
    summary: dict[str, Any]
    rows: Any                                  # pandas DataFrame (may be empty)
    texts: dict[str, str] = field(default_factory=dict)
    data_blocks: dict[str, Any] = field(default_factory=dict)   # JSON handed to the page script
    # what the reader asked for when rendering (`mnemoscope report DIR --threshold ...`)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return str(self.spec.get("identity", {}).get("kind", ""))


def safe_json(payload: Any) -> str:
    """JSON that can sit inside <script type="application/json">: no '<', '>' or '&' appear
    literally, so no text in the data can close the script element or open a tag."""
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False, default=str)
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
