"""Question-answer ground truth for KnowMem (MUSE) and the truth ratio (TOFU).

A QA file is JSON lines, one question each:

    {"question": "...", "answer": "...",                      required
     "paraphrased_answer": "...", "perturbed_answers": [...], optional (truth ratio)
     "id": "..."}                                              optional (else the line number)

`lab/synthetic_qa.py` writes such a file for synthetic records. For KnowMem a question is
put to the model as "Question: {question}\\nAnswer:" (TOFU's and MUSE's QA layout) after
SHOTS, three answered general-knowledge questions that show the format (MUSE prompts
KnowMem few-shot); the greedy answer (at most `max_new_tokens`, cut at the first line
break) is compared with `answer` by ROUGE-L F1. Without the shots a model fine-tuned on raw
text answers with a line break: on the memorizing model of bench/unlearning_parity.py,
ROUGE-L 0.085 zero-shot against 0.705 with the shots (0.0 against 0.539 for the retrained
model; 24 forget questions). The shots are about nothing in anyone's data. The truth ratio
reads the log-probability of " {answer}" after the plain prompt (TOFU's layout, no shots).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..types import InputError
from .criteria import rouge_l, truth_ratio

PROMPT = "Question: {question}\nAnswer:"
SHOTS = ("Question: What is the capital of France?\nAnswer: Paris is the capital of France.\n\n"
         "Question: What does a baker do?\nAnswer: A baker makes bread.\n\n"
         "Question: Which planet is closest to the sun?\nAnswer: Mercury is closest to the "
         "sun.\n\n")
KNOWMEM_PROMPT = "few-shot-3"     # recorded with each KnowMem result (judge.py checks it)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answer: str
    paraphrased_answer: str | None = None
    perturbed_answers: tuple[str, ...] = ()

    @property
    def has_truth_ratio(self) -> bool:
        return bool(self.paraphrased_answer) and bool(self.perturbed_answers)


def _text(record: dict, key: str, where: str, required: bool) -> str | None:
    value = record.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: field {key!r} must be a non-empty string (keys seen: "
                         f"{', '.join(sorted(record)) or 'none'}).")
    return value


def load_qa(path: str | Path) -> list[Question]:
    """Every question of a QA file; InputError naming the line for a malformed one."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such QA file (JSON lines with question and answer).")
    questions, seen = [], set()
    from ..data import json_line, text_lines

    for number, line in text_lines(path):     # InputError names the line of a non-UTF-8 byte
        if not line.strip():
            continue
        where = f"{path} line {number}"
        record = json_line(line, where, "Each line must be an object with question and answer.")
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected an object with question and answer.")
        perturbed = record.get("perturbed_answers") or []
        if not isinstance(perturbed, list) or not all(isinstance(p, str) and p.strip()
                                                      for p in perturbed):
            raise InputError(f"{where}: perturbed_answers must be a list of non-empty strings.")
        qid = str(record.get("id", number))
        if qid in seen:
            raise InputError(f"{where}: id {qid!r} appears twice.")
        seen.add(qid)
        questions.append(Question(qid, _text(record, "question", where, True),
                                  _text(record, "answer", where, True),
                                  _text(record, "paraphrased_answer", where, False),
                                  tuple(perturbed)))
    if not questions:
        raise InputError(f"{path}: the QA file holds no question.")
    return questions


def _prompt_ids(model, question: Question, shots: str = "") -> list[int]:
    return model.encode(shots + PROMPT.format(question=question.question))


def answers(model, questions: Sequence[Question], max_new_tokens: int) -> list[str]:
    """The model's greedy answer to each question after SHOTS, cut at the first line
    break."""
    outputs = model.generate_tokens([_prompt_ids(model, q, SHOTS) for q in questions],
                                    max_new_tokens=max_new_tokens, temperature=0.0)
    return [model.decode(out[0]).strip().split("\n")[0].strip() for out in outputs]


def truth_ratios(model, questions: Sequence[Question]) -> list[float]:
    """TOFU's truth ratio of each question that has a paraphrase and perturbed answers."""
    from ..extraction.token_loss import continuation_logprobs

    usable = [q for q in questions if q.has_truth_ratio]
    contexts, continuations, owners = [], [], []
    for k, q in enumerate(usable):
        prompt = _prompt_ids(model, q)
        for answer in (q.paraphrased_answer, *q.perturbed_answers):
            contexts.append(prompt)
            continuations.append(model.encode(" " + answer))
            owners.append(k)
    totals = continuation_logprobs(model, contexts, continuations) if contexts else []
    grouped: list[list[tuple[float, int]]] = [[] for _ in usable]
    for owner, total, tokens in zip(owners, totals, continuations):
        grouped[owner].append((float(total), len(tokens)))
    return [truth_ratio(g[0], g[1:]) for g in grouped]


def knowmem(model, questions: Sequence[Question], max_new_tokens: int) -> dict[str, Any]:
    """Mean ROUGE-L F1 of the greedy answers, and per-question rows."""
    given = answers(model, questions, max_new_tokens)
    scores = [rouge_l(a, q.answer)["f1"] for a, q in zip(given, questions)]
    return {"rouge_l_f1": sum(scores) / len(scores), "questions": len(scores),
            "prompt": KNOWMEM_PROMPT,
            "per_question": {q.id: {"answer": a, "rouge_l_f1": s}
                             for q, a, s in zip(questions, given, scores)}}
