"""deploy/: the reverse proxies forward exactly the server's public paths, and the other files keep their promises.

No container engine runs on these machines, so `.ci/run` lints the
Dockerfile with hadolint and verifies the systemd units with
systemd-analyze; this file checks what those tools cannot: that a path
the server serves is public in both proxy examples or deliberately private,
that /metrics and /healthz are private in both, and that no secret is
written into the image or the compose file.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from adapters.server import create_app
from bot.settings import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
PRIVATE = {"/healthz", "/metrics"}
"""Served by the bot, never forwarded by the proxy: probe and scrape them from inside."""


def served_paths(tmp_path: Path) -> set[str]:
    """Every path the server routes with everything switched on, a `{token}` filled in."""
    settings = Settings.load(
        database_url=f"sqlite:///{tmp_path / 'deploy.db'}",
        debrief_secret="deploy-test-secret-0123456789abcdefghij",
        slack_client_id="1.2",
        slack_client_secret="client-secret",
        slack_signing_secret="signing-secret",
        microsoft_app_id="00000000-0000-0000-0000-000000000001",
        microsoft_app_password="password",
        host="127.0.0.1",
    )
    app = create_app(settings, housekeeping=False, followups=False)
    paths = set()
    for resource in app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter") or info.get("prefix")
        if path:
            paths.add(re.sub(r"\{[^}]+\}", "abc", path))
    return paths


def caddy_public(path: str) -> bool:
    text = (DEPLOY / "Caddyfile").read_text()
    (matcher,) = re.findall(r"@public path (.+)", text)
    return any(path.startswith(p[:-1]) if p.endswith("*") else path == p for p in matcher.split())


def nginx_public(path: str) -> bool:
    """Whether a `location` other than the catch-all 404 forwards `path` (exact `=` or prefix locations)."""
    text = (DEPLOY / "nginx" / "debrief-bot.conf").read_text()
    for exact, where, body in re.findall(r"location (=\s*)?(\S+) \{([^}]*)\}", text):
        if "proxy_pass" not in body:
            continue
        if (exact and path == where) or (not exact and path.startswith(where)):
            return True
    return False


def test_both_proxies_forward_every_public_path_and_no_private_one(tmp_path: Path) -> None:
    paths = served_paths(tmp_path)
    assert {"/slack/events", "/api/messages", "/charts/abc.png", "/exports/abc.csv", "/privacy", "/terms"} <= paths
    assert paths >= PRIVATE
    for path in sorted(paths - PRIVATE):
        assert caddy_public(path), f"deploy/Caddyfile does not forward {path}: add it, or add it to PRIVATE here"
        assert nginx_public(path), f"deploy/nginx/debrief-bot.conf does not forward {path}: add it, or to PRIVATE"
    for path in PRIVATE | {"/metrics/", "/healthz?x", "/", "/admin"}:
        assert not caddy_public(path) and not nginx_public(path), f"{path} must not be public"


def test_compose_runs_two_replicas_sharing_one_env_file_and_publishes_only_the_proxy() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    compose = yaml.safe_load(text)
    services = compose["services"]
    bots = [name for name, service in services.items() if service.get("image", "").startswith("debrief-bot")]
    assert len(bots) >= 2
    assert len({tuple(services[name]["env_file"]) for name in bots}) == 1
    assert all(services[name]["environment"]["HOST"] == "0.0.0.0" for name in bots)
    assert [name for name, service in services.items() if service.get("ports")] == ["proxy"]
    assert "postgres" in services["db"]["image"]
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    assert not re.search(r"(SECRET|TOKEN|PASSWORD)\s*[:=]", code), "secrets belong in the env files, not in compose.yaml"
    for example in ("debrief.env.example", "db.env.example"):
        assert not re.search(r"^(DEBRIEF_SECRET|POSTGRES_PASSWORD)=\S", (DEPLOY / example).read_text(), re.M)


def test_the_image_runs_the_console_script_unprivileged_with_a_health_check_and_no_secret() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, re.M)
    assert len(stages) >= 2 and "slim" in re.search(r"ARG PYTHON_IMAGE=(\S+)", text).group(1)  # type: ignore[union-attr]
    assert re.search(r"^USER 10001", text, re.M)
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, re.M)
    assert 'ENTRYPOINT ["debrief-bot"]' in text
    for line in re.findall(r"^(?:ENV|ARG)\b.*(?:\n\s+.*)*", text, re.M):
        assert not re.search(r"SECRET|TOKEN|PASSWORD", line), line


def test_the_systemd_unit_is_hardened() -> None:
    unit = (DEPLOY / "systemd" / "debrief-bot.service").read_text()
    for setting in (
        "DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "StateDirectory=debrief-bot",
        "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=\n", "EnvironmentFile=/etc/debrief-bot/",
        "Environment=HOST=127.0.0.1",
    ):  # fmt: skip
        assert setting in unit, setting
    assert "DEBRIEF_SECRET" not in "\n".join(line for line in unit.splitlines() if not line.startswith("#"))
