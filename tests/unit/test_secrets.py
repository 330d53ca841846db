"""Secrets at rest: sealed with a key from PORTAL_SECRETS_KEY, else SECRET_KEY."""

from __future__ import annotations

import pytest

from app import secrets
from app.settings import Settings

ENV = {"PORTAL_MODE": "test", "SECRET_KEY": "s" * 40, "DATABASE_URL": "sqlite:///x.sqlite"}


@pytest.fixture(autouse=True)
def key_of_the_test_settings(settings):
    yield
    secrets.use_key(settings.sealing_key)


def test_a_sealed_secret_opens_with_its_key_only():
    secrets.use_key("one key")
    sealed = secrets.seal("smtp-password")
    assert secrets.is_sealed(sealed) and "smtp-password" not in sealed
    assert secrets.seal("smtp-password") != sealed  # a fresh IV each time
    assert secrets.unseal(sealed) == "smtp-password"
    secrets.use_key("another key")
    assert secrets.unseal(sealed) == ""


def test_values_stored_before_sealing_read_as_they_are_and_empty_stays_empty():
    assert secrets.unseal("plain from before") == "plain from before"
    assert secrets.seal("") == ""


def test_the_key_is_secret_key_unless_one_of_its_own_is_set():
    assert Settings.from_env(ENV).sealing_key == "s" * 40
    assert Settings.from_env({**ENV, "PORTAL_SECRETS_KEY": "k" * 40}).sealing_key == "k" * 40
