"""What the watermark commands write, and what they refuse to touch: the verify run folder
holds no control text or control word (every byte of every file is searched), outputs are
replaced atomically and never a user's file, a key cannot point outside its folder, and a
damaged saved dataset is a one-line input error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from _tiny_wordnet import build_tiny_wordnet
from mnemoscope.data import DataConfig, load_samples
from mnemoscope.fileio import atomic_output, atomic_write_text
from mnemoscope.types import InputError
from mnemoscope.watermark.leximark import Change, swap_version
from mnemoscope.watermark.wordnet import WordNet
from test_watermark import TEXTS, embed, frequencies, tiny_texts, write_jsonl  # noqa: F401


@pytest.fixture(scope="module")
def wordnet(tmp_path_factory):
    return WordNet(build_tiny_wordnet(tmp_path_factory.mktemp("wn") / "dict"))


def every_file(folder: Path) -> dict[str, str]:
    """relative path -> everything readable in it: the raw bytes (latin-1, so any byte
    sequence survives) and, for Parquet, every decoded value (a string column may be
    compressed on disk)."""
    import pyarrow.parquet as pq

    contents = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("latin-1")
        if path.suffix == ".parquet":
            text += json.dumps(pq.read_table(path).to_pylist(), default=str)
        contents[str(path.relative_to(folder))] = text
    return contents


# -- verify: nothing secret in the run folder -----------------------------------------------
def test_verify_run_folder_holds_no_control_text_or_word(tmp_path, wordnet, frequencies,
                                                         tiny_model_dir):
    from mnemoscope.models import ModelConfig
    from mnemoscope.watermark.verify import VerifySpec, run_verify

    data = write_jsonl(tmp_path / "d.jsonl", tiny_texts(16, seed=3))
    embed(data, tmp_path / "wm", wordnet)
    # The tiny WordNet has few synonyms, so every real control word is also published in some
    # other text, and finding one would prove nothing. Each control word in the key is
    # therefore replaced by a unique marker: found anywhere, it can only come from a control.
    key_path = tmp_path / "wm" / "key.json"
    key = json.loads(key_path.read_text())
    markers = iter(f"qz{a}{b}ctl" for a in "abcdefghij" for b in "abcdefghij")
    for entry in key["texts"]:
        for change in entry["changes"]:
            change["control"] = next(markers)
    key_path.write_text(json.dumps(key))
    published = {s.id: s.text for s in load_samples(DataConfig(str(tmp_path / "wm" / "d.jsonl")))}
    controls, control_words = [], set()
    for entry in key["texts"]:
        changes = [Change.from_json(c) for c in entry["changes"]]
        if changes:
            controls.append(swap_version(published[entry["id"]], changes, "watermark", "control"))
            control_words |= {c.control for c in changes}
    assert len(controls) >= 8 and len(control_words) >= 8
    assert not any(w in " ".join(published.values()) for w in control_words)

    run = tmp_path / "run"
    run_verify(VerifySpec(watermark_dir=str(tmp_path / "wm"), out=str(run),
                          model=ModelConfig(model=str(tiny_model_dir)), resamples=500,
                          bootstrap=10, progress=False))
    files = every_file(run)
    assert {"published.jsonl", "spec.json", "summary.json", "differences.csv",
            "report.html"} <= set(files) and any(f.startswith("parts/") for f in files)
    # no temporaries left; .lock and .mnemoscope are the run store's own (empty) markers
    assert not [f for f in files if f.endswith(".tmp") or "/." in f
                or (f.startswith(".") and f not in (".lock", ".mnemoscope"))]
    for name, content in files.items():
        lowered = content.lower()
        for control in controls:
            assert control not in content, f"{name} holds a control text"
        for word in control_words:
            assert word not in lowered, f"{name} holds the control word {word!r}"
    # the search does find what is there: every changed text's published version, and the
    # control rows' ids (their scores are kept)
    changed = [e["id"] for e in key["texts"] if e["changes"]]
    assert all(published[i] in files["published.jsonl"] for i in changed)
    parts = " ".join(c for n, c in files.items() if n.startswith("parts/"))
    assert all(f"c:{i}" in parts for i in changed)


# -- atomic outputs ---------------------------------------------------------------------------
def leftovers(folder: Path) -> list[str]:
    """Hidden files left behind, less the run store's own markers (.lock, .mnemoscope)."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith(".") and p.name not in (".lock", ".mnemoscope"))


def test_atomic_output_replaces_files_and_folders_or_leaves_them(tmp_path):
    target = tmp_path / "a.txt"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash while writing")
    assert target.read_text() == "old" and leftovers(tmp_path) == []
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and leftovers(tmp_path) == []

    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "x.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(folder) as tmp:
            tmp.mkdir()
            (tmp / "x.txt").write_text("half")
            raise RuntimeError("crash while writing")
    assert (folder / "x.txt").read_text() == "old" and leftovers(tmp_path) == []
    with atomic_output(folder) as tmp:
        tmp.mkdir()
        (tmp / "y.txt").write_text("new")
    assert sorted(p.name for p in folder.iterdir()) == ["y.txt"] and leftovers(tmp_path) == []


def test_write_dataset_never_removes_the_old_version_first(tmp_path, monkeypatch):
    from mnemoscope import fileio
    from mnemoscope.watermark.dataset_io import write_dataset

    source = write_jsonl(tmp_path / "d.jsonl", ["one"])
    target = tmp_path / "out" / "d.jsonl"
    target.parent.mkdir()
    target.write_text("old\n")

    def failing_replace(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(fileio.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk gone"):
        write_dataset(source, target, [{"id": "t0", "text": "new"}])
    assert target.read_text() == "old\n" and leftovers(target.parent) == []
    monkeypatch.undo()
    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "t0.txt").write_text("one")
    out = tmp_path / "out" / "txt"
    out.mkdir()
    (out / "t0.txt").write_text("old")
    with pytest.raises(ValueError, match="refused"):
        write_dataset(folder, out, [{"id": "t0", "text": "new"}],
                      before_replace=lambda tmp: (_ for _ in ()).throw(ValueError("refused")))
    assert (out / "t0.txt").read_text() == "old" and leftovers(out.parent) == []
    write_dataset(folder, out, [{"id": "t0", "text": "new"}])
    assert (out / "t0.txt").read_text() == "new" and leftovers(out.parent) == []


def test_embed_refuses_to_replace_a_file_it_did_not_write(tmp_path, wordnet, frequencies):
    from mnemoscope.cli import main

    data = write_jsonl(tmp_path / "d.jsonl", TEXTS)
    (tmp_path / "wm").mkdir()
    mine = tmp_path / "wm" / "d.jsonl"
    mine.write_text("my own notes\n")
    with pytest.raises(InputError, match="not the watermarked copy"):
        embed(data, tmp_path / "wm", wordnet)
    assert mine.read_text() == "my own notes\n"
    assert main(["-q", "watermark", "embed", str(data), "--out", str(tmp_path / "wm")]) == 2
    assert mine.read_text() == "my own notes\n"
    # its own output is replaced by a re-run (same content), an edited one is not
    embed(data, tmp_path / "wm2", wordnet)
    key = json.loads((tmp_path / "wm2" / "key.json").read_text())
    from mnemoscope.data import data_hash

    assert key["data_sha256"] == data_hash(tmp_path / "wm2" / "d.jsonl")
    embed(data, tmp_path / "wm2", wordnet)
    assert leftovers(tmp_path / "wm2") == []
    (tmp_path / "wm2" / "d.jsonl").write_text("edited\n")
    with pytest.raises(InputError, match="changed since"):
        embed(data, tmp_path / "wm2", wordnet)
    # the input itself, as --out's file
    with pytest.raises(InputError, match="would overwrite the input"):
        embed(data, tmp_path, wordnet)


# -- the key names files only beside itself --------------------------------------------------
@pytest.mark.parametrize("data_file", ["../d.jsonl", "../../etc/passwd", "ABSOLUTE", ".", ""])
def test_key_data_file_outside_the_key_folder_is_refused(tmp_path, wordnet, frequencies,
                                                         data_file):
    from mnemoscope.watermark.redraw import redraw
    from mnemoscope.watermark.verify import VerifySpec, run_verify

    data = write_jsonl(tmp_path / "d.jsonl", TEXTS)
    embed(data, tmp_path / "wm", wordnet)
    key_path = tmp_path / "wm" / "key.json"
    key = json.loads(key_path.read_text())
    key["data_file"] = str(data.resolve()) if data_file == "ABSOLUTE" else data_file
    key_path.write_text(json.dumps(key))
    with pytest.raises(InputError, match="data_file"):
        run_verify(VerifySpec(watermark_dir=str(tmp_path / "wm"), out=str(tmp_path / "run")))
    with pytest.raises(InputError, match="data_file"):
        redraw(tmp_path / "wm", tmp_path / "redrawn", seed=1)
    assert not (tmp_path / "redrawn").exists() or not any((tmp_path / "redrawn").iterdir())


def test_key_data_file_symlinked_out_of_the_folder_is_refused(tmp_path, wordnet, frequencies):
    from mnemoscope.watermark.keyfile import key_data_path, read_key

    data = write_jsonl(tmp_path / "d.jsonl", TEXTS)
    embed(data, tmp_path / "wm", wordnet)
    (tmp_path / "wm" / "link.jsonl").symlink_to(data)
    key = read_key(tmp_path / "wm")
    assert key_data_path(tmp_path / "wm", key) == (tmp_path / "wm" / "d.jsonl").resolve()
    with pytest.raises(InputError, match="outside the key's folder"):
        key_data_path(tmp_path / "wm", {**key, "data_file": "link.jsonl"})


def test_broken_key_json_is_an_input_error(tmp_path):
    from mnemoscope.watermark.keyfile import read_key

    (tmp_path / "key.json").write_text("{not json")
    with pytest.raises(InputError, match="key.json: not valid JSON"):
        read_key(tmp_path)


# -- a damaged saved HF dataset ----------------------------------------------------------------
@pytest.mark.parametrize("damaged", ["dataset_info.json", "state.json"])
def test_broken_saved_dataset_json_is_one_line_naming_the_file(tmp_path, capsys, wordnet,
                                                               frequencies, damaged):
    datasets = pytest.importorskip("datasets")
    from mnemoscope.cli import main

    folder = tmp_path / "saved"
    datasets.Dataset.from_list([{"id": f"t{i}", "text": t} for i, t in enumerate(TEXTS)]
                               ).save_to_disk(str(folder))
    assert len(load_samples(DataConfig(str(folder)))) == 3
    (folder / damaged).write_text('{"citation": "", broken')
    with pytest.raises(InputError, match=f"{damaged}: invalid JSON") as caught:
        embed(folder, tmp_path / "wm", wordnet)
    assert "\n" not in str(caught.value) and "save_to_disk" in str(caught.value)
    capsys.readouterr()
    assert main(["-q", "watermark", "embed", str(folder), "--out", str(tmp_path / "wm2")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(folder / damaged) in err and "Traceback" not in err
    # the data is read before the model loads (a missing --model path is refused earlier)
    assert main(["-q", "extract", str(folder), "--model", "smollm2-135m",
                 "--out", str(tmp_path / "ex")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(folder / damaged) in err
    assert not os.path.exists(tmp_path / "wm2" / "saved")
