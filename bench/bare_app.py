"""The ceiling: a bare Flask "hello" app, run under the same gunicorn settings as Lentera."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
