"""MICROSOFT_GRAPH_ENABLED: off by default; on, it needs the app id, password and tenant, else one line."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError

APP = {"MICROSOFT_APP_ID": "00000000-0000-0000-0000-000000000001", "MICROSOFT_APP_PASSWORD": "p",
       "MICROSOFT_APP_TENANT_ID": "00000000-0000-0000-0000-00000000000t"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def test_graph_is_off_by_default_and_points_at_microsoft():
    settings = Settings.load()
    assert settings.microsoft_graph_enabled is False
    assert settings.microsoft_graph_url == "https://graph.microsoft.com/v1.0"


def test_graph_with_every_credential_loads(monkeypatch):
    for name, value in {**APP, "MICROSOFT_GRAPH_ENABLED": "true", "MICROSOFT_GRAPH_URL": "http://127.0.0.1:9/v1.0"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings.load()
    assert settings.microsoft_graph_enabled and settings.microsoft_graph_url == "http://127.0.0.1:9/v1.0"


@pytest.mark.parametrize("missing", ["MICROSOFT_APP_TENANT_ID", "MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD"])
def test_graph_without_a_credential_is_one_line_naming_it(monkeypatch, missing):
    monkeypatch.setenv("MICROSOFT_GRAPH_ENABLED", "true")
    for name, value in APP.items():
        if name != missing and not (missing == "MICROSOFT_APP_ID" and name == "MICROSOFT_APP_PASSWORD"):
            monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        Settings.load()
    message = str(caught.value)
    assert message.startswith(f"{missing}:") and "\n" not in message
