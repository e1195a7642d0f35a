"""Standard-library docstring passages for the lab: filtering, determinism, clear errors."""

import pytest

from mnemoscope.lab.pydocs import python_doc_texts
from mnemoscope.types import InputError

PROSE = ("paragraph explains in plain words what the helper does and why anyone would want "
         "it, with enough words to pass the length rule that keeps only real passages of "
         "prose from the docstrings of modules found under the root folder given here today "
         "and tomorrow, so that the cut is seen")


def _root(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "test").mkdir()
    (tmp_path / "good.py").write_text(f'"""First {PROSE}.\n\nToo short."""\n'
                                      f'def f():\n    """Second {PROSE}."""\n', encoding="utf-8")
    (tmp_path / "pkg" / "inner.py").write_text(
        f'class C:\n    """Third {PROSE}.\n\n    >>> Fourth {PROSE}\n    """\n', encoding="utf-8")
    (tmp_path / "test" / "skipped.py").write_text(f'"""Fifth {PROSE}."""', encoding="utf-8")
    (tmp_path / "code.py").write_text('"""' + "x = [1, 2]; y = {3: 4} # (a) / [b] " * 12 + '"""',
                                      encoding="utf-8")
    (tmp_path / "broken.py").write_text("def (:\n", encoding="utf-8")
    return tmp_path


def test_keeps_prose_paragraphs_only_cut_to_48_words(tmp_path):
    assert len(PROSE.split()) + 1 > 48
    texts = python_doc_texts(3, root=str(_root(tmp_path)))
    firsts = sorted(t["text"].split()[0] for t in texts)
    assert firsts == ["First", "Second", "Third"]       # no doctest, test module, code, short text
    assert all(len(t["text"].split()) == 48 for t in texts)
    assert [t["id"] for t in texts] == ["doc-00000", "doc-00001", "doc-00002"]


def test_same_seed_same_texts(tmp_path):
    root = str(_root(tmp_path))
    assert python_doc_texts(3, 7, root) == python_doc_texts(3, 7, root)


def test_asking_for_more_than_there_are_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="has 3 usable docstring passages"):
        python_doc_texts(4, root=str(_root(tmp_path)))


def test_the_real_standard_library_gives_hundreds():
    texts = python_doc_texts(400)
    assert len({t["text"] for t in texts}) == 400


def test_lab_refuses_two_text_generators(tmp_path, capsys):
    from mnemoscope.cli import main

    code = main(["-q", "lab", str(tmp_path / "d.jsonl"), "--out", str(tmp_path / "lab"),
                 "--synthetic", "10", "--python-docs", "10"])
    assert code == 2
    assert "pass one of them" in capsys.readouterr().err
    assert not (tmp_path / "d.jsonl").exists()
