"""Integer settings read from the environment: the defaults, and a bad value stopping the start
with a message that names the variable (never silently the default, never a nonsense rule)."""

from __future__ import annotations

import pytest

from app.config import ConfigError, load_config

#: (environment variable, config key, default as the app uses it, a value out of its range)
SETTINGS = [
    ("MAIL_PORT", "MAIL_PORT", 25, "70000"),
    ("LENTERA_TRUSTED_PROXIES", "TRUSTED_PROXIES", 0, "-1"),
    ("LENTERA_HSTS_SECONDS", "HSTS_SECONDS", 365 * 24 * 3600, "-1"),
    ("LENTERA_REMEMBER_DAYS", "REMEMBER_DAYS", 30, "0"),
    ("LENTERA_SESSION_HOURS", "SESSION_HOURS", 12, "0"),
    ("LENTERA_MAX_UPLOAD_MB", "MAX_CONTENT_LENGTH", 512 * 1024 * 1024, "0"),
    ("LENTERA_QUIZ_ATTACHMENT_MB", "LENTERA_QUIZ_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, "5000"),
    ("LENTERA_MAX_FIELD_KB", "MAX_FORM_MEMORY_SIZE", 2048 * 1024, "0"),
    ("LENTERA_MAX_JSON_KB", "MAX_JSON_BODY", 1024 * 1024, "0"),
    ("LENTERA_MAX_FORM_KB", "MAX_FORM_BODY", 8192 * 1024, "0"),
    ("LENTERA_JSON_MAX_DEPTH", "JSON_MAX_DEPTH", 64, "0"),
    ("LENTERA_API_TOKEN_HOURS", "API_TOKEN_HOURS", 24, "0"),
    ("LENTERA_LOGIN_WINDOW_SECONDS", "LOGIN_WINDOW_SECONDS", 900, "0"),
    ("LENTERA_LOGIN_MAX_FAILURES_ACCOUNT", "LOGIN_MAX_FAILURES_ACCOUNT", 5, "0"),
    ("LENTERA_LOGIN_MAX_FAILURES_ADDRESS", "LOGIN_MAX_FAILURES_ADDRESS", 20, "0"),
    ("LENTERA_LOGIN_FREE_FAILURES", "LOGIN_FREE_FAILURES", 3, "-2"),
    ("LENTERA_LOGIN_DELAY_SECONDS", "LOGIN_DELAY_SECONDS", 2, "-1"),
    ("LENTERA_LOGIN_KNOWN_DAYS", "LOGIN_KNOWN_DAYS", 90, "0"),
    ("LENTERA_JP_MINUTES", "JP_MINUTES", 45, "0"),
    ("LENTERA_JP_TARGET", "JP_TARGET_DEFAULT", 20, "0"),
    ("LENTERA_CLAIM_OLDEST_YEARS", "CLAIM_OLDEST_YEARS", 1, "-1"),
    ("LENTERA_VERIFY_RATE_PER_MINUTE", "VERIFY_RATE_LIMIT", 30, "0"),
    ("LENTERA_FORUM_EDIT_MINUTES", "FORUM_EDIT_MINUTES", 30, "-5"),
]


@pytest.fixture
def clean_env(monkeypatch):
    for name, *_rest in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_integer_settings_keep_their_defaults_and_read_a_good_value(clean_env):
    cfg = load_config()
    assert {key: cfg[key] for _n, key, _d, _b in SETTINGS} == {key: default for _n, key, default, _b in SETTINGS}
    clean_env.setenv("LENTERA_JP_TARGET", " 24 ")
    clean_env.setenv("LENTERA_MAX_UPLOAD_MB", "64")
    cfg = load_config()
    assert cfg["JP_TARGET_DEFAULT"] == 24 and cfg["MAX_CONTENT_LENGTH"] == 64 * 1024 * 1024


@pytest.mark.parametrize("name,key,default,out_of_range", SETTINGS, ids=[s[0] for s in SETTINGS])
def test_a_bad_integer_setting_stops_the_start_naming_it(clean_env, name, key, default, out_of_range):
    for bad in ("dua puluh", "1.5", out_of_range):
        clean_env.setenv(name, bad)
        with pytest.raises(ConfigError, match=name) as err:
            load_config()
        assert "harus" in str(err.value)  # the message says what is allowed, in Indonesian
