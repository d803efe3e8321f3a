"""Schema checks: Kubernetes' own kinds with kubernetes-validate, CloudNativePG's with deploy/k8s/schemas (node)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import kubernetes_validate  # type: ignore[import-untyped]

from .manifests import K8S, REPOSITORY, Manifest

KUBERNETES_VERSION = "1.32"
SCHEMAS = K8S / "schemas"
TOOLS = REPOSITORY / ".tools" / "k8s-schemas"
# The custom resources the manifests may hold; each must be one deploy/k8s/schemas/validate.mjs has a model for.
CUSTOM_KINDS = frozenset(
    {
        ("postgresql.cnpg.io/v1", "Cluster"),
        ("postgresql.cnpg.io/v1", "Database"),
        ("postgresql.cnpg.io/v1", "ScheduledBackup"),
    }
)
_LOCK_FILES = ("package.json", "package-lock.json")


@dataclass(frozen=True)
class Outcome:
    """What a schema said of one object: valid, invalid (``error``), or not its business (``no_schema``)."""

    obj: Manifest
    error: str | None = None
    no_schema: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.obj.get("apiVersion")), str(self.obj.get("kind")))

    @property
    def label(self) -> str:
        return f"{self.obj.get('kind')}/{self.obj.get('metadata', {}).get('name')}"


def validate_kubernetes(obj: Manifest) -> Outcome:
    """Validate ``obj`` strictly (no unknown fields) against the Kubernetes 1.32 OpenAPI schemas."""
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return Outcome(obj, no_schema=True)
    except kubernetes_validate.ValidationError as error:
        path = "/".join(str(part) for part in error.path)
        return Outcome(obj, error=f"{path}: {error.message}")
    return Outcome(obj)


def _lock_digest() -> str:
    digest = hashlib.sha256()
    for name in _LOCK_FILES:
        digest.update((SCHEMAS / name).read_bytes())
    return digest.hexdigest()


def install_models(npm: str) -> Path:
    """Install the schema models into .tools/k8s-schemas with ``npm ci``, unless the same lock is installed."""
    stamp = TOOLS / "installed-lock.sha256"
    wanted = _lock_digest()
    if stamp.exists() and stamp.read_text().strip() == wanted and (TOOLS / "node_modules").is_dir():
        return TOOLS
    TOOLS.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    for name in _LOCK_FILES:
        shutil.copyfile(SCHEMAS / name, TOOLS / name)
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=TOOLS,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"npm ci in {TOOLS} failed:\n{done.stderr[-4000:]}")
    stamp.write_text(wanted + "\n")
    return TOOLS


@dataclass(frozen=True)
class CustomResourceValidator:
    """Runs deploy/k8s/schemas/validate.mjs with the models installed in ``modules``."""

    node: str
    modules: Path

    def validate(self, objects: list[Manifest]) -> list[Outcome]:
        """One outcome per object, in order; a kind the script has no model for is an error."""
        done = subprocess.run(
            [self.node, str(SCHEMAS / "validate.mjs"), "--modules", str(self.modules)],
            input=json.dumps(objects),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode not in (0, 1):
            raise AssertionError(f"validate.mjs failed ({done.returncode}):\n{done.stderr}")
        report = json.loads(done.stdout)
        assert len(report) == len(objects), f"validate.mjs reported {len(report)} of {len(objects)} objects"
        outcomes = [Outcome(obj, error=entry["error"]) for obj, entry in zip(objects, report, strict=True)]
        assert (done.returncode == 0) == all(o.error is None for o in outcomes), "exit status and report disagree"
        return outcomes
