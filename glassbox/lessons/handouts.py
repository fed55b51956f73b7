"""Printable pages made from the lesson data: a one-page handout per lesson for learners, and an
answer key for the teacher (every prediction and quiz answer, with its explanation).

Both are Markdown built from the same files the site shows, in the lesson's own language, so a
changed lesson changes its handout; headings come from the caller (`words`), which keeps this
module free of UI strings. A handout has blanks to fill in: the learner's guess at each prediction,
and one line "What I saw" under every step. Leaves out: PDF output (the For teachers page has a
print view that the browser prints) and the steps' full texts (the learner reads them on the site).
"""

from __future__ import annotations

from collections.abc import Mapping

LETTERS = "ABCDE"
BLANK = "_" * 48  # a line to write on, printed as a rule


def _choices(texts) -> list[str]:
    return [f"- {LETTERS[i]}. {text}" for i, text in enumerate(texts)]


def handout(lesson, words: Mapping[str, str]) -> str:
    """One page for a learner: the goals, the steps to try (each with a line for what they saw),
    each prediction (with a line for their guess, before the step it comes before) and the quiz, with
    space to write, and no answers. `words` names the headings (objectives, steps, predict, quiz,
    notes, minutes, saw, guess)."""
    lines = [f"# {lesson.title}", "", words["minutes"].format(minutes=lesson.minutes), "",
             f"## {words['objectives']}", *[f"- {o}" for o in lesson.objectives], "", f"## {words['steps']}"]
    for kind, i in lesson.sections:
        if kind == "predict":
            lines += _prediction(lesson.predictions[i - 1], words)
        else:
            lines += [f"{i}. **{lesson.steps[i - 1].title}**", "", f"   {words['saw']} {BLANK}", ""]
    lines += ["", f"## {words['quiz']}"]
    for qi, question in enumerate(lesson.quiz, 1):
        lines += ["", f"{qi}. {question.question}", *_choices(c.text for c in question.choices)]
    lines += ["", f"## {words['notes']}", "", *["_" * 60 + "  " for _ in range(4)], ""]
    return "\n".join(lines)


def _prediction(predict, words: Mapping[str, str]) -> list[str]:
    return ["", f"> **{words['predict']}** {predict.question}", ">",
            *[f"> {line}" for line in _choices(predict.choices)], ">", f"> {words['guess']} {BLANK}", ""]


def answer_key(lessons, words: Mapping[str, str]) -> str:
    """Every lesson's predictions and quiz answers, each with the explanation the site gives."""
    lines = [f"# {words['answer_key']}", ""]
    for lesson in lessons:
        lines += [f"## {lesson.title}", ""]
        for predict in lesson.predictions:
            lines += [
                f"**{words['predict']}** {predict.question}",
                f"- **{LETTERS[predict.answer]}. {predict.choices[predict.answer]}** {predict.reveal}",
                "",
            ]
        for qi, question in enumerate(lesson.quiz, 1):
            right = question.answer
            lines += [f"{qi}. {question.question}",
                      f"   - **{LETTERS[right]}. {question.choices[right].text}** {question.choices[right].feedback}"]
        lines.append("")
    return "\n".join(lines)
