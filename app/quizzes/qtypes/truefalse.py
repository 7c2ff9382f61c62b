"""True/false. data: {"answer": bool, "feedback_true": html, "feedback_false": html}."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.quizzes.qtypes.base import (
    ONE,
    ZERO,
    BadResponse,
    Outcome,
    QuestionType,
    XmlProblem,
    formatted,
    gift_html,
    sub,
    text_of,
    xml_fraction,
)


class TrueFalse(QuestionType):
    name = "truefalse"
    label = _l("Benar/salah")

    def validate(self, data: dict) -> list[str]:
        if not isinstance(data.get("answer"), bool):
            return [str(_l("Pilih jawaban yang benar: Benar atau Salah."))]
        return []

    def clean(self, data: dict, sanitize) -> dict:
        return {**data, "feedback_true": sanitize(data.get("feedback_true")),
                "feedback_false": sanitize(data.get("feedback_false"))}

    def choices(self, data: dict) -> list[dict]:
        # every attempt item of the type has them: translated once per worker and locale
        from app.quizzes.render import word

        return [{"id": "true", "text": word("Benar")}, {"id": "false", "text": word("Salah")}]

    default_penalty = 1.0  # Moodle: a second try at true/false earns nothing

    def check_response(self, data: dict, response: Any) -> Any:
        if response is None or isinstance(response, bool):
            return response
        if response in ("true", "false"):
            return response == "true"
        raise BadResponse("harus true atau false")

    def grade(self, data: dict, response: Any) -> Outcome:
        if response is None or response == "":
            return Outcome(ZERO)
        feedback = data.get("feedback_true" if response else "feedback_false", "")
        return Outcome(ONE if bool(response) == bool(data.get("answer")) else ZERO, feedback)

    def form_response(self, item: dict, form) -> tuple[bool, Any]:
        raw = form.get(f"q-{item['id']}")
        return (raw in ("true", "false")), raw == "true"

    def right_answer(self, data: dict) -> str:
        return str(_l("Benar")) if data.get("answer") else str(_l("Salah"))

    def response_text(self, item: dict, response: Any) -> str:
        return str(_l("Benar")) if response else str(_l("Salah"))

    def from_form(self, form, existing: dict) -> tuple[dict, list[str]]:
        return {"answer": {"true": True, "false": False}.get(form.get("answer")),
                "feedback_true": form.get("feedback_true", ""), "feedback_false": form.get("feedback_false", "")}, []

    def read_xml(self, el, path: str) -> dict:
        right = None
        fb = {"true": "", "false": ""}
        for i, ans in enumerate(el.findall("answer"), 1):
            apath = f"{path}/answer[{i}]"
            word = text_of(ans).strip().lower()
            if word not in ("true", "false"):
                raise XmlProblem(ans, apath, "Jawaban benar/salah harus 'true' atau 'false'.")
            fb[word] = formatted(ans.find("feedback"))
            if xml_fraction(ans, apath) > 0:
                right = word == "true"
        if right is None:
            raise XmlProblem(el, path, "Soal benar/salah tidak punya jawaban dengan fraction 100.")
        return {"answer": right, "feedback_true": fb["true"], "feedback_false": fb["false"]}

    def write_xml(self, el, data: dict) -> None:
        from lxml import etree

        for word in ("true", "false"):
            right = bool(data.get("answer")) == (word == "true")
            a = etree.SubElement(el, "answer", fraction="100" if right else "0", format="moodle_auto_format")
            etree.SubElement(a, "text").text = word
            sub(a, "feedback", data.get(f"feedback_{word}", ""), format="html")

    def write_gift(self, data: dict) -> str | None:
        right = bool(data.get("answer"))
        right_fb = data.get("feedback_true" if right else "feedback_false", "")
        wrong_fb = data.get("feedback_false" if right else "feedback_true", "")
        out = "TRUE" if right else "FALSE"
        if wrong_fb or right_fb:
            out += "#" + gift_html(wrong_fb)
        if right_fb:
            out += "#" + gift_html(right_fb)
        return out


TYPE = TrueFalse()
