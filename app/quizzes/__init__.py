"""The quiz engine. Importing the package offers the quiz activity type to the course engine's
registry (`activity.py` imports only the registry at load time, so there is no import circle)."""

from app.quizzes import activity as _activity  # noqa: F401
