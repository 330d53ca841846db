import socket

import pytest

from app.cli import tcp_listener
from app.errors import InvalidInput
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


def test_the_shared_listener_of_several_web_processes_is_tcp_so_replies_are_not_held_back():
    """uvicorn's own listener for --workers N has proto 0, so connections never get TCP_NODELAY."""
    listener = tcp_listener("127.0.0.1", 0)
    try:
        assert listener.proto == socket.IPPROTO_TCP and listener.get_inheritable()
        listener.listen()
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        with client, accepted:
            assert accepted.proto == socket.IPPROTO_TCP  # what makes asyncio set TCP_NODELAY
    finally:
        listener.close()


def test_a_port_in_use_is_one_clear_error():
    taken = tcp_listener("127.0.0.1", 0)
    try:
        taken.listen()
        with pytest.raises(InvalidInput, match="Cannot listen on 127.0.0.1"):
            tcp_listener("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()


def test_robot_hosts_and_the_base_url_come_from_the_environment():
    settings = Settings.from_env(
        {
            "PORTAL_MODE": "test",
            "PORTAL_WEBHOOK_HOSTS": " OAPI.dingtalk.com , 127.0.0.1:8221,",
            "PORTAL_BASE_URL": "https://portal.example.gov.cn/",
        }
    )
    assert settings.webhook_hosts == {"oapi.dingtalk.com", "127.0.0.1:8221"}
    assert settings.base_url == "https://portal.example.gov.cn"
    assert Settings.from_env({"PORTAL_MODE": "test"}).webhook_hosts == frozenset()
