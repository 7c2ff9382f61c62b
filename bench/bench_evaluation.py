"""Evaluation benchmark (issue 19), measured in one run:

1. the course report of one survey with 2,000 responses × 30 questions (26 scales, 2 choices,
   2 comments), through the API and as the page, for BPSDM — beside the bare Flask ceiling;
2. the instructor report across 50 courses (40 respondents each, the shipped "pengajar"
   template) through the API;
3. a check that the report's query count is flat in the number of responses: the same report
   built in-process over 100 and over 2,000 responses issues the same number of statements, and
   the time of that build (without the per-process cache of the report's rows).

The HTTP figures include that cache: a report's rows are recomputed when a response arrives
(the cache key carries the number of responses and the newest submission), as in production.

Run: `.venv/bin/python -m bench.bench_evaluation` (BENCH_DB=sqlite for the embedded database).
"""

from __future__ import annotations

import os
import secrets

from bench.harness import Check, Database, Figure, Server, api_token, default_seconds, load, login_cookie, seed_demo

WORKERS = 2
CONNECTIONS = 20
RESPONSES = 2000
SMALL = 100
QUESTIONS = 30
COURSES = 50
PER_COURSE = 40
STATE: dict = {}


def _questions() -> list[dict]:
    items = [{"kind": "likert5", "text": f"Aspek penilaian {i + 1}", "group": f"Kelompok {i // 7 + 1}"}
             for i in range(QUESTIONS - 4)]
    items += [{"kind": "single", "text": "Manfaat pelatihan", "options": ["Sangat", "Cukup", "Kurang", "Tidak"]},
              {"kind": "multiple", "text": "Topik berguna", "options": ["Regulasi", "Praktik", "Kasus"]},
              {"kind": "long_text", "text": "Saran", "required": False},
              {"kind": "long_text", "text": "Kesan", "required": False}]
    return items


def _survey(course, title: str, spec: dict):
    from app.courses.models import Activity, Section
    from app.evaluation import operations as ops
    from app.extensions import db

    section = Section(course=course, title="Evaluasi", position=0)
    activity = Activity(course=course, section=section, type="survey", title=title, position=0, required=False)
    db.session.add_all([section, activity])
    db.session.flush()
    return ops.create_survey(activity, spec)


def _fill(survey, people: list, seed: int) -> None:
    """Answers written in bulk (the operation's rows, without its per-person checks: set-up speed)."""
    from sqlalchemy import insert

    from app.evaluation.models import SurveyAnswer, SurveyResponse, SurveySubmission
    from app.evaluation.operations import survey_items
    from app.extensions import db

    items = survey_items(survey)
    responses, answers, submissions = [], [], []
    for n, person in enumerate(people):
        rid = secrets.token_hex(16)
        responses.append({"id": rid, "survey_id": survey.id, "user_id": None, "unit_id": person["unit_id"],
                          "year": 2025 + (n + seed) % 2})
        submissions.append({"survey_id": survey.id, "user_id": person["id"]})
        for k, (_key, q, instructor) in enumerate(items):
            iid = instructor.id if instructor else None
            if q.kind in ("likert5", "likert4"):
                answers.append({"response_id": rid, "question_id": q.id, "instructor_id": iid,
                                "value": float(1 + (n * 7 + k + seed) % 5), "text": None})
            elif q.kind == "single":
                answers.append({"response_id": rid, "question_id": q.id, "instructor_id": iid,
                                "value": float((n + k) % len(q.options)), "text": None})
            elif q.kind == "multiple":
                for opt in range(1 + n % len(q.options)):
                    answers.append({"response_id": rid, "question_id": q.id, "instructor_id": iid,
                                    "value": float(opt), "text": None})
            elif n % 3 == 0:
                answers.append({"response_id": rid, "question_id": q.id, "instructor_id": iid, "value": None,
                                "text": f"Komentar peserta {n} tentang butir {k}."})
    db.session.execute(insert(SurveyResponse), responses)
    db.session.execute(insert(SurveySubmission), submissions)
    for i in range(0, len(answers), 5000):
        db.session.execute(insert(SurveyAnswer), answers[i:i + 5000])


def setup(app) -> None:
    from sqlalchemy import insert, select

    from app.accounts.models import User
    from app.accounts.queries import user_by_username
    from app.courses.models import Course, Enrolment
    from app.extensions import db

    seed_demo(app)
    instructor = user_by_username("instruktur")
    unit_id = user_by_username("peserta").unit_id
    db.session.execute(insert(User), [{"username": f"eval{i:04d}", "name": f"Peserta Evaluasi {i}",
                                       "password_hash": "x", "unit_id": unit_id, "active": True}
                                      for i in range(RESPONSES)])
    people = [{"id": i, "unit_id": u} for i, u in db.session.execute(
        select(User.id, User.unit_id).where(User.username.like("eval%")).order_by(User.id))]

    def course(code: str, title: str) -> Course:
        c = Course(code=code, title=title, published=True, owner_id=instructor.id, organiser="BPSDM Bench")
        db.session.add(c)
        db.session.flush()
        return c

    big = course("BENCH-EVAL", "Evaluasi 2.000 responden")
    small = course("BENCH-EVAL-KECIL", "Evaluasi 100 responden")
    db.session.execute(insert(Enrolment), [{"course_id": c.id, "user_id": p["id"], "method": "manual"}
                                           for c, who in ((big, people), (small, people[:SMALL])) for p in who])
    s_big = _survey(big, "Evaluasi penyelenggaraan", {"questions": _questions()})
    s_small = _survey(small, "Evaluasi penyelenggaraan", {"questions": _questions()})
    _fill(s_big, people, 0)
    _fill(s_small, people[:SMALL], 0)
    for i in range(COURSES):
        c = course(f"BENCH-WI-{i:02d}", f"Pelatihan {i + 1}")
        who = people[(i * PER_COURSE) % RESPONSES:][:PER_COURSE]
        db.session.execute(insert(Enrolment), [{"course_id": c.id, "user_id": p["id"], "method": "manual"}
                                               for p in who])
        _fill(_survey(c, "Evaluasi pengajar", {"template": "pengajar"}), who, i)
    db.session.commit()
    STATE.update(big=s_big.id, small=s_small.id, instructor_nip=instructor.nip)


def query_counts(database: Database) -> tuple[int, int, float, float]:
    """Statements issued building the report over SMALL and over RESPONSES responses, and the
    median time (ms) of building each in-process (no HTTP, no concurrency: the machine is shared)."""
    import statistics
    import time

    from sqlalchemy import event

    from app import create_app
    from app.accounts.queries import Reach
    from app.evaluation import queries as q
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(database.instance_path),
                      "LENTERA_STORAGE_PATH": str(database.storage_path), "SCHEDULER_ENABLED": False})
    counts, times = [], []
    with app.app_context():
        for survey_id in (STATE["small"], STATE["big"]):
            db.session.expunge_all()
            survey = q.get_survey(survey_id)
            _ = survey.activity.course, survey.questions  # loaded before counting: same in both
            n = [0]

            def count(*_a, _n=n, **_kw) -> None:
                _n[0] += 1

            event.listen(db.engine, "before_cursor_execute", count)
            try:
                q.report_document(q.survey_report(survey, Reach(everything=True)))
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            counts.append(n[0])
            runs = []
            for _i in range(9):
                q._CACHE.clear()  # the real build, not a cached one
                t = time.perf_counter()
                q.report_document(q.survey_report(survey, Reach(everything=True)))
                runs.append(1000 * (time.perf_counter() - t))
            times.append(statistics.median(runs))
        db.session.remove()
        db.engine.dispose()
    return counts[0], counts[1], times[0], times[1]


def run() -> list[Figure | Check]:
    seconds = default_seconds()
    out: list[Figure | Check] = []
    kind = os.environ.get("BENCH_DB", "postgresql")
    with Database(kind) as database:
        database.prepare(setup)
        small, big, t_small, t_big = query_counts(database)
        check = Check("evaluation report: query count flat in the number of responses", small == big,
                      f"{small} statements over {SMALL} responses, {big} over {RESPONSES} (× {QUESTIONS} questions); "
                      f"built in-process in {t_small:.0f} ms and {t_big:.0f} ms (median of 9)")
        out.append(check)
        print(check.line(), flush=True)
        with Server("wsgi:app", workers=WORKERS, database=database, ready_path="/masuk") as server, \
                Server("bench.bare_app:app", workers=WORKERS) as bare:
            token = api_token(server.url, "bpsdm", "lentera123")
            cookie = login_cookie(server.url, "bpsdm", "lentera123")
            cases = [
                (f"GET /api/v1/surveys/{{id}}/report ({RESPONSES} responses × {QUESTIONS} questions)",
                 f"{server.url}/api/v1/surveys/{STATE['big']}/report", token),
                (f"report page /survei/{{id}}/laporan ({RESPONSES} × {QUESTIONS})",
                 f"{server.url}/survei/{STATE['big']}/laporan", cookie),
                (f"GET /api/v1/evaluation/instructors/{{nip}}/report ({COURSES} courses × {PER_COURSE} respondents)",
                 f"{server.url}/api/v1/evaluation/instructors/{STATE['instructor_nip']}/report", token),
            ]
            for name, url, headers in cases:
                ceiling = load(bare.url + "/", connections=CONNECTIONS, seconds=seconds)
                result = load(url, connections=CONNECTIONS, seconds=seconds, headers=headers)
                fig = Figure(name, result, ceiling, workers=WORKERS, database=kind)
                out.append(fig)
                print(fig.line(), flush=True)
    return out


if __name__ == "__main__":
    run()
