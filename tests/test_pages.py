"""`/privacy` and `/terms`, which the Teams package links to: the bot's own words, or the operator's file."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import create_app
from bot.settings import Settings, SettingsError


async def _get(settings: Settings, path: str) -> tuple[int, str, str]:
    app = create_app(settings, housekeeping=False, followups=False)
    async with TestClient(TestServer(app)) as client:
        response = await client.get(path)
        return response.status, response.content_type, await response.text()


async def test_the_bot_serves_its_own_privacy_and_terms_pages(database_url: str) -> None:
    settings = Settings.load(database_url=database_url, debrief_secret="pages-test-secret-0123456789abcdefghijk", debrief_min_group=6)
    status, kind, privacy = await _get(settings, "/privacy")
    assert (status, kind) == (200, "text/html")
    assert "anonymous" in privacy and "at least 6 people" in privacy
    status, kind, terms = await _get(settings, "/terms")
    assert (status, kind) == (200, "text/html") and "not an emergency service" in terms


async def test_the_operator_replaces_them_with_files(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "privacy.html").write_text("<h1>Our trust's privacy notice</h1>", encoding="utf-8")
    (tmp_path / "terms.txt").write_text("Acceptable use policy 4.2 applies.", encoding="utf-8")
    settings = Settings.load(
        database_url=database_url,
        debrief_secret="pages-test-secret-0123456789abcdefghijk",
        debrief_privacy_file=str(tmp_path / "privacy.html"),
        debrief_terms_file=str(tmp_path / "terms.txt"),
    )
    assert await _get(settings, "/privacy") == (200, "text/html", "<h1>Our trust's privacy notice</h1>")
    assert await _get(settings, "/terms") == (200, "text/plain", "Acceptable use policy 4.2 applies.")


def test_a_missing_page_file_stops_start_up_with_one_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(debrief_privacy_file=str(tmp_path / "nowhere.html"))
    assert str(caught.value).startswith("DEBRIEF_PRIVACY_FILE: cannot read") and "\n" not in str(caught.value)
