"""The knowledge-injection table of docs/knowledge.md and the README: two finished
`mnemoscope knowledge inject` runs (plain and `--paraphrases K`) side by side, accuracy
per probe per epoch with the last epoch's 95% CI, the gaps, the general prompts still
answered, and each run's membership AUROC.

    python bench/knowledge_table.py runs/k/plain runs/k/para4 [--names plain,para.]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _ci(low_high, digits: int = 2) -> str:
    return f"[{low_high[0]:.{digits}f}, {low_high[1]:.{digits}f}]"


def _signed_ci(low_high) -> str:
    return f"[{low_high[0]:+.2f}, {low_high[1]:+.2f}]"


def table(summaries: list[dict], names: list[str]) -> str:
    epochs = [range(s["epochs"] + 1) for s in summaries]
    head = ["probe (n)", "chance"]
    for name, span in zip(names, epochs):
        head += [f"{name} e{e}" if e == 0 else f"e{e}" for e in span]
    head += [f"{name} e{span[-1]} 95% CI" for name, span in zip(names, epochs)]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    first = summaries[0]
    for key, probe in first["probes"].items():
        n = probe["by_epoch"][0]["n"]
        cells = [f"{key} ({n})", f"{probe['chance']:.2f}"]
        last = []
        for summary, span in zip(summaries, epochs):
            by = {e["epoch"]: e for e in summary["probes"][key]["by_epoch"]}
            cells += [f"{by[e]['exact']:.2f}" if e in by else "-" for e in span]
            last.append(_ci(by[span[-1]]["exact_ci"]) if span[-1] in by else "-")
        lines.append("| " + " | ".join(cells + last) + " |")
    for key in first["probes"]:
        if first["probes"][key]["format"] != "tf":
            continue
        cells = [f"{key}, margin AUROC", "0.50"]
        for summary, span in zip(summaries, epochs):
            by = {e["epoch"]: e for e in summary["probes"][key]["by_epoch"]}
            cells += [f"{by[e]['margin_auroc']:.2f}" if e in by and
                      by[e].get("margin_auroc") is not None else "-" for e in span]
        lines.append("| " + " | ".join(cells + [""] * len(summaries)) + " |")
    for name in first.get("gaps", {}):
        cells, last = [f"gap: {name}", ""], []
        for summary, span in zip(summaries, epochs):
            by = {e["epoch"]: e for e in summary["gaps"][name]}
            cells += [f"{by[e]['gap']:+.2f}" if e in by and by[e]["gap"] is not None else "-"
                      for e in span]
            last.append(_signed_ci(by[span[-1]]["ci"]) if span[-1] in by else "-")
        lines.append("| " + " | ".join(cells + last) + " |")
    if "locality/general" in first["probes"]:
        cells = ["general prompts still answered", ""]
        for summary, span in zip(summaries, epochs):
            by = {e["epoch"]: e for e in summary["probes"]["locality/general"]["by_epoch"]}
            cells += [f"{round(by[e]['exact'] * by[e]['n'])}/{by[e]['n']}" if e in by else "-"
                      for e in span]
        lines.append("| " + " | ".join(cells + [""] * len(summaries)) + " |")
    out = ["\n".join(lines), ""]
    for name, summary in zip(names, summaries):
        membership = summary.get("membership") or {}
        cells = ", ".join(f"{signal} {m['auroc']:.3f} {_ci(m['auroc_ci'], 3)}"
                          for signal, m in membership.items() if m.get("auroc") is not None)
        training = summary.get("training") or {}
        out.append(f"{name}: {summary['training_texts']} training texts, "
                   f"{training.get('steps', '?')} steps, final loss "
                   f"{training.get('final_loss', float('nan')):.3f}; base at chance on every "
                   f"invented-fact probe: {all(summary['base_at_chance'].values())}; "
                   f"membership AUROC: {cells or '-'}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--names", default=None, help="comma list, one per run")
    args = parser.parse_args()
    summaries = [json.loads((Path(r) / "summary.json").read_text()) for r in args.runs]
    names = args.names.split(",") if args.names else [Path(r).name for r in args.runs]
    print(table(summaries, names))


if __name__ == "__main__":
    main()
