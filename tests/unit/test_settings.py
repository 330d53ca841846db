import pytest

from app.settings import Mode, Settings, SettingsError
from app.web.identity import client_address

SECRET = "s" * 40


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"DATABASE_URL": "postgresql://db/portal"})
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"SECRET_KEY": "short"})


def test_settings_come_from_the_environment_once():
    settings = Settings.from_env(
        {
            "SECRET_KEY": SECRET,
            "DATABASE_URL": "postgresql://db/portal",
            "REDIS_URL": "redis://r:6379/2",
            "PORTAL_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2",
            "SESSION_IDLE_MINUTES": "15",
        }
    )
    assert settings.mode is Mode.PRODUCTION and settings.secure_cookies
    assert settings.database_url == "postgresql://db/portal" and not settings.is_sqlite
    assert settings.trusted_proxies == {"10.0.0.1", "10.0.0.2"}
    assert settings.session_idle_minutes == 15


def test_default_database_is_a_sqlite_file_under_var():
    settings = Settings.from_env({"PORTAL_MODE": "demo"})
    assert settings.is_sqlite and settings.database_url.endswith("var/portal.sqlite")
    assert not settings.secure_cookies


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORTAL_MODE": "staging"}, "PORTAL_MODE"),
        ({"PORTAL_MODE": "demo", "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"PORTAL_MODE": "demo", "SESSION_IDLE_MINUTES": "soon"}, "SESSION_IDLE_MINUTES"),
        ({"PORTAL_MODE": "demo", "SESSION_MAX_HOURS": "0"}, "SESSION_MAX_HOURS"),
    ],
)
def test_bad_settings_say_which_variable_is_wrong(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_client_address_trusts_forwarded_for_only_from_known_proxies():
    forwarded = [(b"x-forwarded-for", b"203.0.113.9, 10.0.0.1")]
    assert client_address({"client": ("198.51.100.7", 1), "headers": forwarded}, frozenset()) == "198.51.100.7"
    proxies = frozenset({"10.0.0.1", "10.0.0.2"})
    assert client_address({"client": ("10.0.0.2", 1), "headers": forwarded}, proxies) == "203.0.113.9"
    assert client_address({"client": ("10.0.0.2", 1), "headers": []}, proxies) == "10.0.0.2"
