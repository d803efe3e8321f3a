"""The Dockerfile, read without Docker: stages, a slim non-root final image without compilers, the entrypoint.

No image is built here; these tests hold the Dockerfile to what the manifests rely on (the ``zentrale``
command, the ports, the user) and keep secrets and local environments out of the build context.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
VENV = "/opt/zentrale"
COMPILER = re.compile(r"(?<![\w.+-])(gcc|g\+\+|cc|c\+\+|clang|build-essential|python3?-dev)(?![\w+])")


@dataclass
class Stage:
    """One ``FROM`` and the instructions after it, as (keyword in upper case, arguments)."""

    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [arguments for word, arguments in self.instructions if word == keyword]


def instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        result.append((keyword.upper(), arguments.strip()))
        pending = ""
    return result


def stages(text: str) -> list[Stage]:
    found: list[Stage] = []
    for keyword, arguments in instructions(text):
        if keyword == "FROM":
            words = [word for word in arguments.split() if not word.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append(Stage(base=words[0], name=name))
        elif found:
            found[-1].instructions.append((keyword, arguments))
    return found


def dockerfile() -> list[Stage]:
    return stages(DOCKERFILE.read_text())


def final_stage() -> Stage:
    return dockerfile()[-1]


def environment(stage: Stage) -> dict[str, str]:
    """The ``ENV`` assignments of ``stage`` (``ENV A=1 B=2`` form)."""
    values: dict[str, str] = {}
    for arguments in stage.all("ENV"):
        for assignment in shlex.split(arguments):
            name, _, value = assignment.partition("=")
            values[name] = value
    return values


def test_the_image_is_built_in_stages() -> None:
    assert len(dockerfile()) >= 2


def test_the_builder_installs_the_locked_dependencies_without_dev_tools_into_the_venv_the_image_runs() -> None:
    builder = dockerfile()[0]
    syncs = [run for run in builder.all("RUN") if "uv sync" in run]
    assert syncs
    assert all("--frozen" in run and "--no-dev" in run for run in syncs)
    assert any("--no-editable" in run and "--no-install-project" not in run for run in syncs)
    assert not any("pgserver" in run or "--all-groups" in run for run in syncs)
    assert environment(builder).get("UV_PROJECT_ENVIRONMENT") == VENV


def test_the_final_image_is_slim_python_and_holds_only_the_venv() -> None:
    stage = final_stage()
    assert re.fullmatch(r"python:3\.11-slim(-[a-z]+)?", stage.base), stage.base
    copies = stage.all("COPY")
    assert copies
    assert all(re.fullmatch(rf"--from=\S+ {VENV} {VENV}", copy) for copy in copies), copies
    assert not stage.all("ADD")


def test_the_final_image_runs_as_a_numeric_user_that_is_not_root() -> None:
    users = final_stage().all("USER")
    assert users
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit()
    assert int(uid) != 0
    assert not gid or (gid.isdigit() and int(gid) != 0)


def test_the_final_image_installs_no_compiler() -> None:
    for run in final_stage().all("RUN"):
        assert not COMPILER.search(run), run


def test_the_final_image_starts_the_zentrale_command_declared_by_the_project() -> None:
    stage = final_stage()
    entrypoints = stage.all("ENTRYPOINT")
    assert entrypoints
    assert json.loads(entrypoints[-1]) == ["zentrale"]
    assert not stage.all("CMD")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["zentrale"] == "kit.launch:main"
    env = environment(stage)
    assert env["PATH"].split(":")[0] == f"{VENV}/bin"
    assert (env.get("PYTHONDONTWRITEBYTECODE"), env.get("PYTHONUNBUFFERED")) == ("1", "1")


def test_the_final_image_exposes_the_api_and_health_ports() -> None:
    exposed = {port.split("/")[0] for arguments in final_stage().all("EXPOSE") for port in arguments.split()}
    assert {"8080", "9090"} <= exposed


def ignore_patterns() -> list[str]:
    lines = (line.strip() for line in DOCKERIGNORE.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A ``.dockerignore`` pattern as a regular expression over paths relative to the context."""
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", pattern.strip("/").removeprefix("./"))
    wildcards = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts))


def is_ignored(path: str) -> bool:
    """Whether Docker leaves ``path`` (or a folder above it) out of the build context; the last match wins."""
    parents = ["/".join(path.split("/")[: depth + 1]) for depth in range(path.count("/") + 1)]
    ignored = False
    for pattern in ignore_patterns():
        keep = pattern.startswith("!")
        regex = _pattern_regex(pattern.removeprefix("!"))
        if any(regex.fullmatch(parent) for parent in parents):
            ignored = not keep
    return ignored


def test_local_environments_state_and_history_stay_out_of_the_build_context() -> None:
    for path in (".venv", ".git", ".zentrale", ".tools", ".zentrale/keys/signing-key.pem", ".venv/bin/python"):
        assert is_ignored(path), path


def test_what_the_build_needs_is_in_the_build_context() -> None:
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    needed = ["pyproject.toml", "uv.lock", *(f"{package}/__init__.py" for package in wheel["packages"])]
    needed += ["services/tickets/tickets/migrations/env.py", "services/knowledge/knowledge/search/stopwords_de.txt"]
    for path in needed:
        assert (ROOT / path).exists(), path
        assert not is_ignored(path), path
