"""`debrief-bot teams package`: a zip Teams accepts, checked against Microsoft's published manifest schema."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import jsonschema
import pytest

from adapters.cli import main
from adapters.teams.manifest import MANIFEST_VERSION, manifest

SCHEMA_FILE = Path(__file__).parent / "schemas" / "MicrosoftTeams.v1.30.schema.json"
APP_ID = "0b8a8c1e-6c6f-4f2e-9c9a-3f2d5e7a1b42"


def schema_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    # The schema says draft-04 but uses `const` (draft-06); check it too, as Teams does.
    base = jsonschema.Draft4Validator
    checked = jsonschema.validators.extend(base, {"const": jsonschema.Draft6Validator.VALIDATORS["const"]})
    return checked(schema, format_checker=base.FORMAT_CHECKER)


def png_size(data: bytes) -> tuple[int, int, int]:
    """(width, height, colour type) of a PNG, after checking its signature and every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, header = 8, None
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        offset += 12 + length
    assert header is not None
    return header[0], header[1], header[3]


def test_the_package_is_a_valid_teams_app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "debrief.zip"
    assert main(["teams", "package", "--app-id", APP_ID, "--out", str(out), "--url", "https://debrief.example.org/"]) == 0
    assert "Upload it in Teams" in capsys.readouterr().out
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        content = json.loads(package.read("manifest.json"))
        colour, outline = package.read("color.png"), package.read("outline.png")
    errors = sorted(schema_validator().iter_errors(content), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    assert content["manifestVersion"] == MANIFEST_VERSION == json.loads(SCHEMA_FILE.read_text())["properties"]["manifestVersion"]["const"]
    bot = content["bots"][0]
    assert bot["botId"] == APP_ID
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    listed = {scope for command_list in bot["commandLists"] for scope in command_list["scopes"]}
    assert listed == {"personal", "team", "groupChat"}
    titles = {command["title"] for command_list in bot["commandLists"] for command in command_list["commands"]}
    assert titles == {"debrief", "skip", "summary", "requests", "actions", "help"}
    assert content["validDomains"] == ["debrief.example.org"]
    assert content["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert png_size(colour) == (192, 192, 6)
    assert png_size(outline) == (32, 32, 6)


def test_the_same_bot_gets_the_same_teams_app_id() -> None:
    assert manifest(APP_ID)["id"] == manifest(APP_ID.upper())["id"] != manifest("1" + APP_ID[1:])["id"]


def test_the_outline_icon_is_white_on_transparent(tmp_path: Path) -> None:
    from adapters.teams.icons import _outline

    colours = {_outline((x + 0.5) / 32, (y + 0.5) / 32) for x in range(32) for y in range(32)}
    assert colours == {(0, 0, 0, 0), (255, 255, 255, 255)}


def test_without_a_url_the_package_still_validates(tmp_path: Path) -> None:
    content = manifest(APP_ID)
    assert content["validDomains"] == []
    assert not list(schema_validator().iter_errors(content))


@pytest.mark.parametrize("args", [["--app-id", "not-a-guid"], ["--app-id", APP_ID, "--url", "http://plain.example"]])
def test_bad_options_stop_with_one_line(tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["teams", "package", "--out", str(tmp_path / "x.zip"), *args]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("debrief-bot: ") and "\n" not in error
    assert not (tmp_path / "x.zip").exists()


def test_privacy_and_terms_point_at_the_bots_own_pages_or_where_the_operator_says(tmp_path: Path) -> None:
    own = manifest(APP_ID, "https://debrief.example.org")["developer"]
    assert own["privacyUrl"] == "https://debrief.example.org/privacy"
    assert own["termsOfUseUrl"] == "https://debrief.example.org/terms"
    out = tmp_path / "debrief.zip"
    args = ["--privacy-url", "https://intranet.example.org/dp/debrief", "--terms-url", "https://intranet.example.org/t"]
    assert main(["teams", "package", "--app-id", APP_ID, "--out", str(out), "--url", "https://d.example.org", *args]) == 0
    with zipfile.ZipFile(out) as package:
        content = json.loads(package.read("manifest.json"))
    assert content["developer"]["privacyUrl"] == "https://intranet.example.org/dp/debrief"
    assert content["developer"]["termsOfUseUrl"] == "https://intranet.example.org/t"
    assert not list(schema_validator().iter_errors(content))


def test_the_name_limits_are_the_schemas() -> None:
    from adapters.teams.manifest import FULL_NAME_MAX, SHORT_NAME_MAX

    name = json.loads(SCHEMA_FILE.read_text())["properties"]["name"]["properties"]
    assert (name["short"]["maxLength"], name["full"]["maxLength"]) == (SHORT_NAME_MAX, FULL_NAME_MAX)


def test_a_long_name_is_cut_between_words_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "debrief.zip"
    long_name = "St Elsewhere Critical Care Debrief and Support"
    assert main(["teams", "package", "--app-id", APP_ID, "--out", str(out), "--name", long_name]) == 0
    with zipfile.ZipFile(out) as package:
        content = json.loads(package.read("manifest.json"))
    assert content["name"]["short"] == "St Elsewhere Critical Care"
    assert content["name"]["full"].startswith(long_name)
    assert not list(schema_validator().iter_errors(content))
    warning = capsys.readouterr().err.strip()
    assert warning.startswith("debrief-bot: warning: --name:") and "'St Elsewhere Critical Care'" in warning
    assert "\n" not in warning


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--name", ""], "--name: give the app a name"),
        (["--name", "   "], "--name: give the app a name"),
        (["--name", "Supercalifragilisticexpialidocious-debriefs"], "no space to cut it at"),
        (["--name", "word " * 25], "at most 100"),
        (["--privacy-url", "http://intranet.example.org/privacy"], "--privacy-url:"),
        (["--terms-url", "intranet/terms"], "--terms-url:"),
    ],
)
def test_bad_names_and_links_are_refused_with_one_line(
    tmp_path: Path, args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["teams", "package", "--app-id", APP_ID, "--out", str(tmp_path / "x.zip"), *args]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("debrief-bot: ") and "\n" not in error and says in error
    assert not (tmp_path / "x.zip").exists()
