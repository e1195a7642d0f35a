"""The command line's contract: a bad flag fails at parse time with one line that names it
(exit 2, no traceback); --signals is split by one function everywhere; commands are
discovered; errors map to exit codes; nothing outside cli/ imports the CLI."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import mnemoscope.cli
from mnemoscope.cli import main
from mnemoscope.cli.command import Command
from mnemoscope.signals import Context, Signal, signals, split_specs
from mnemoscope.types import InputError

SRC = Path(mnemoscope.cli.__file__).resolve().parents[1]         # src/mnemoscope
CLI_MODULE = sys.modules["mnemoscope.cli.main"]

SCORE = ["score", "d.jsonl"]
LAB = ["lab", "d.jsonl", "--out", "o"]
UNLEARN = ["unlearn", "--forget", "f.jsonl", "--retain", "r.jsonl", "--out", "o"]
VERIFY = ["watermark", "verify", "wm", "--out", "o"]

BAD_FLAGS = [
    (SCORE + ["--batch-size", "0"], "--batch-size"),
    (SCORE + ["--batch-size", "two"], "--batch-size"),
    (SCORE + ["--chunk-size", "0"], "--chunk-size"),
    (SCORE + ["--max-length", "0"], "--max-length"),
    (SCORE + ["--bootstrap", "-1"], "--bootstrap"),
    (SCORE + ["--seed", "-1"], "--seed"),
    (SCORE + ["--request-timeout", "0"], "--request-timeout"),
    (SCORE + ["--request-timeout", "inf"], "--request-timeout"),
    (SCORE + ["--request-timeout", "nan"], "--request-timeout"),
    (SCORE + ["--max-retries", "-1"], "--max-retries"),
    (SCORE + ["--rate-limit", "0"], "--rate-limit"),
    (SCORE + ["--workers", "0"], "--workers"),
    (SCORE + ["--limit", "0"], "--limit"),
    (SCORE + ["--device", "gpu"], "--device"),
    (SCORE + ["--device", "cuda:x"], "--device"),
    (["extract", "d.jsonl", "--temperature", "nan"], "--temperature"),
    (["extract", "d.jsonl", "--approx-threshold", "1.5"], "--approx-threshold"),
    (["bench", "generate", "wilt", "--max-tests", "0"], "--max-tests"),
    (["bench", "generate", "kk", "--n", "0"], "--n"),
    (["bench", "eval", "items.jsonl", "--max-new-tokens", "0"], "--max-new-tokens"),
    (LAB + ["--repetitions", "1,x"], "--repetitions"),
    (LAB + ["--member-fraction", "1"], "--member-fraction"),
    (LAB + ["--epochs", "0"], "--epochs"),
    (UNLEARN + ["--lr", "-1e-4"], "--lr"),
    (UNLEARN + ["--steps", "-1"], "--steps"),
    (["contamination", "completion", "d.jsonl", "--ratios", "0.5,1.5"], "--ratios"),
    (["contamination", "cdd", "d.jsonl", "--xi", "1"], "--xi"),
    (["contamination", "overlap", "d.jsonl", "--corpus", "c", "--n", "0"], "--n"),
    (["contamination", "cutoff", "r.jsonl", "--cutoff", "2024-13"], "--cutoff"),
    (["check-endpoint", "http://x/v1", "--tolerance", "inf"], "--tolerance"),
    (VERIFY + ["--alpha", "0"], "--alpha"),
    # --signals: syntax, type, range, unknown name, empty; in every command that takes it
    (SCORE + ["--signals", "min_k(k=0.1.2)"], "--signals"),
    (SCORE + ["--signals", "min_k(k='a')"], "--signals"),
    (SCORE + ["--signals", "min_k(k=2)"], "--signals"),
    (SCORE + ["--signals", "min_k(q=1)"], "--signals"),
    (SCORE + ["--signals", "min_k(k=0.1"], "--signals"),
    (SCORE + ["--signals", "loss,nope"], "--signals"),
    (SCORE + ["--signals", ""], "--signals"),
    (SCORE + ["--signals", "loss,loss"], "--signals"),
    (LAB + ["--signals", "nope"], "--signals"),
    (UNLEARN + ["--signals", "min_k(k=0)"], "--signals"),
    (VERIFY + ["--signals", "loss,nope"], "--signals"),
]


@pytest.mark.parametrize("argv, flag", BAD_FLAGS, ids=[" ".join(a) for a, _ in BAD_FLAGS])
def test_a_bad_flag_is_one_line_naming_it(argv, flag, capsys):
    assert main(["-q", *argv]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("mnemoscope: error: ") and flag in lines[0]
    assert "Traceback" not in captured.err and "usage:" not in captured.err
    assert captured.out == ""


def test_lab_refuses_an_unknown_signal_before_fine_tuning(tmp_path, monkeypatch, capsys):
    from mnemoscope.cli import lab

    monkeypatch.setattr(lab.Lab, "run", lambda *a: pytest.fail("reached the run"))
    data = tmp_path / "d.jsonl"
    assert main(["lab", str(data), "--out", str(tmp_path / "o"), "--synthetic", "4",
                 "--signals", "loss,nope"]) == 2
    assert "unknown signal 'nope'" in capsys.readouterr().err
    assert not data.exists() and not (tmp_path / "o").exists()


def test_cuda_without_cuda_fails_before_the_model_loads(tmp_path, monkeypatch, capsys):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "a b c"}\n')
    assert main(["-q", "score", str(data), "--device", "cuda", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--device cuda" in err[0] and "--device cpu" in err[0]
    assert not (tmp_path / "r").exists()


# ---------------------------------------------------------------------------- --signals
@dataclass(frozen=True)
class TwoParams(Signal):
    """A signal with two parameters, to see a spec survive the comma split."""

    a: float = 0.2
    b: int = 1

    def __call__(self, s, ctx: Context = Context()) -> float:
        return 0.0


@pytest.fixture
def two_params(monkeypatch):
    monkeypatch.setitem(signals._items, "two_params", TwoParams)
    monkeypatch.setattr(TwoParams, "registry_name", "two_params", raising=False)


def test_split_specs_keeps_commas_inside_parentheses():
    assert split_specs("loss, min_k(k=0.1,x=2) ,zlib,") == ["loss", "min_k(k=0.1,x=2)", "zlib"]
    assert split_specs("") == []


@pytest.mark.parametrize("argv", [SCORE, LAB, UNLEARN, VERIFY], ids=lambda a: a[0])
def test_every_command_parses_signals_the_same_way(argv, two_params):
    parser = CLI_MODULE.build_parser()
    args = parser.parse_args([*argv, "--signals", "loss, two_params(a=0.5,b=3),min_k(k=0.1)"])
    assert args.signals == ("loss", "two_params(a=0.5,b=3)", "min_k(k=0.1)")


def test_signals_default_when_not_given():
    parser = CLI_MODULE.build_parser()
    assert parser.parse_args(SCORE).signals is None
    assert parser.parse_args(VERIFY).signals == ("loss", "zlib", "min_k", "min_k_plus_plus")


# ---------------------------------------------------------------------------- discovery
def test_commands_are_discovered():
    names = {command.name for command in CLI_MODULE.discover()}
    assert names == {"bench", "check-endpoint", "contamination", "dataset-inference", "extract",
                     "knowledge", "lab", "report", "score", "signals", "unlearn", "watermark"}


def test_a_new_module_in_cli_is_a_new_command(tmp_path, monkeypatch, capsys):
    (tmp_path / "hello.py").write_text(
        "from mnemoscope.cli.command import Command\n"
        "class Hello(Command):\n"
        "    name, help, seed = 'hello', 'say hello', 0\n"
        "    def main(self, args):\n"
        "        print('hello', args.seed)\n"
        "        return 0\n"
        "command = Hello()\n")
    monkeypatch.setattr(mnemoscope.cli, "__path__", [*mnemoscope.cli.__path__, str(tmp_path)])
    try:
        assert main(["hello", "--seed", "7"]) == 0
        assert capsys.readouterr().out == "hello 7\n"
    finally:
        sys.modules.pop("mnemoscope.cli.hello", None)


# ---------------------------------------------------------------------------- error policy
def _failing(exc: BaseException):
    def run(self, args):
        raise exc
    return run


def test_project_errors_exit_2_with_one_line(monkeypatch, capsys):
    from mnemoscope.cli.signals import Signals

    monkeypatch.setattr(Signals, "main", _failing(InputError("d.jsonl line 3: bad.\nFix it.")))
    assert main(["signals"]) == 2
    assert capsys.readouterr().err == "mnemoscope: error: d.jsonl line 3: bad. Fix it.\n"


def test_an_internal_error_is_one_line_and_debug_shows_it(monkeypatch, capsys):
    from mnemoscope.cli.signals import Signals

    monkeypatch.setattr(Signals, "main", _failing(ValueError("boom")))
    assert main(["signals"]) == 1
    assert capsys.readouterr().err == ("mnemoscope: internal error: ValueError: boom (run with "
                                       "--debug for the traceback)\n")
    with pytest.raises(ValueError, match="boom"):
        main(["--debug", "signals"])


def test_interrupt_exits_130(monkeypatch, capsys):
    from mnemoscope.cli.signals import Signals

    monkeypatch.setattr(Signals, "main", _failing(KeyboardInterrupt()))
    assert main(["signals"]) == 130
    assert "Re-run the same command to resume" in capsys.readouterr().err


def test_help_and_version_return_0(capsys):
    assert main(["--version"]) == 0
    assert main(["score", "--help"]) == 0
    assert "--signals" in capsys.readouterr().out


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "mnemoscope.cli", "--version"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.startswith("mnemoscope ")


# ---------------------------------------------------------------------------- layering
def _imported_modules(path: Path, source: str | None = None) -> set[str]:
    """Every module an import statement in `path` names, relative imports resolved."""
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    package = parts[:-1]                   # a module's package; an __init__'s is its own
    found = set()
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + (node.module.split(".") if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _imports_cli(path: Path, source: str | None = None) -> list[str]:
    return sorted(m for m in _imported_modules(path, source)
                  if m == "mnemoscope.cli" or m.startswith("mnemoscope.cli."))


def test_nothing_outside_cli_imports_the_cli():
    offenders = [f"{path.relative_to(SRC)}: {module}"
                 for path in sorted(SRC.rglob("*.py")) if (SRC / "cli") not in path.parents
                 for module in _imports_cli(path)]
    assert not offenders


@pytest.mark.parametrize("source", ["from ..cli.flags import model_config\n",
                                    "from .. import cli\n", "import mnemoscope.cli.main\n",
                                    "from mnemoscope.cli import main\n"])
def test_the_layering_check_sees_every_spelling(source):
    assert _imports_cli(SRC / "contamination" / "cdd.py", source)
    assert not _imports_cli(SRC / "contamination" / "cdd.py", "from ..runs import default_out\n")
