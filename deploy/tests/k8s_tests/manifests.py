"""Rendering the kustomize variants and reading what the rendered objects say."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPOSITORY = Path(__file__).resolve().parents[3]
K8S = REPOSITORY / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
VARIANTS = ("base", *OVERLAYS)
SERVICES = ("tenants", "knowledge", "tickets", "metrics")
NAMESPACE = "zentrale"
PART_OF = "app.kubernetes.io/part-of"
NAME = "app.kubernetes.io/name"
COMPONENT = "app.kubernetes.io/component"
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "Job"})
# The components of Zentrale's own processes (the image ``zentrale``); the others run third-party images.
OWN_COMPONENTS = frozenset({"api", "worker", "migration", "gateway"})

Manifest = dict[str, Any]


def variant_path(variant: str) -> Path:
    """The kustomization folder of a variant: ``base`` or an overlay."""
    return K8S / "base" if variant == "base" else K8S / "overlays" / variant


def render(kubectl: str, variant: str) -> list[Manifest]:
    """Render ``variant`` with kustomize (``kubectl kustomize``) into its objects."""
    done = subprocess.run(
        [kubectl, "kustomize", str(variant_path(variant))], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"kubectl kustomize {variant} failed:\n{done.stderr}")
    return [document for document in yaml.safe_load_all(done.stdout) if document]


@dataclass(frozen=True)
class Container:
    """One container (or init container) of a workload's pod template."""

    workload: Manifest
    pod: Manifest
    spec: Manifest
    init: bool

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    @property
    def where(self) -> str:
        kind = "init container" if self.init else "container"
        return f"{self.workload['kind']} {self.workload['metadata']['name']}, {kind} {self.name}"

    @property
    def args(self) -> list[str]:
        return [str(arg) for arg in self.spec.get("args", [])]

    @property
    def component(self) -> str:
        return str(self.workload["metadata"].get("labels", {}).get(COMPONENT, ""))

    def port(self, name: str) -> int | None:
        """The number of the container port called ``name``."""
        for port in self.spec.get("ports", []):
            if port.get("name") == name:
                return int(port["containerPort"])
        return None


@dataclass
class Rendering:
    """The objects of one rendered variant, with look-ups the tests share."""

    variant: str
    objects: list[Manifest] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Manifest]:
        return [obj for obj in self.objects if obj["kind"] == kind]

    def named(self, kind: str, name: str) -> Manifest:
        found = [obj for obj in self.of_kind(kind) if obj["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.variant}: expected one {kind} {name}, found {len(found)}"
        return found[0]

    def maybe(self, kind: str, name: str) -> Manifest | None:
        found = [obj for obj in self.of_kind(kind) if obj["metadata"]["name"] == name]
        return found[0] if found else None

    def workloads(self, *kinds: str) -> list[Manifest]:
        wanted = set(kinds) or WORKLOAD_KINDS
        return [obj for obj in self.objects if obj["kind"] in wanted]

    def containers(self, *kinds: str) -> Iterator[Container]:
        """Every container and init container of the workloads of ``kinds`` (default: all workloads)."""
        for workload in self.workloads(*kinds):
            pod = pod_spec(workload)
            for spec in pod.get("initContainers", []):
                yield Container(workload, pod, spec, init=True)
            for spec in pod.get("containers", []):
                yield Container(workload, pod, spec, init=False)

    def own_containers(self) -> Iterator[Container]:
        """The containers that run Zentrale's image (a service's API, worker, migration, or the gateway)."""
        return (c for c in self.containers() if c.component in OWN_COMPONENTS)

    def config_map(self, name: str) -> Mapping[str, str]:
        return {str(key): str(value) for key, value in self.named("ConfigMap", name).get("data", {}).items()}

    def pod_labels(self) -> list[tuple[str, dict[str, str]]]:
        """(workload name, pod labels) of every pod the namespace will run, CloudNativePG's instances included."""
        pods = [(w["metadata"]["name"], template_labels(w)) for w in self.workloads()]
        for cluster in self.of_kind("Cluster"):
            name = cluster["metadata"]["name"]
            pods.append((name, {"cnpg.io/cluster": name, "cnpg.io/podRole": "instance", "role": "primary"}))
        return pods


def pod_spec(workload: Manifest) -> Manifest:
    spec: Manifest = workload["spec"]["template"]["spec"]
    return spec


def template_labels(workload: Manifest) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"].get("labels", {})
    return labels


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Whether a label selector (matchLabels and matchExpressions) selects ``labels``; {} selects all."""
    if selector is None:
        return False
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


_REFERENCE = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def references(value: str) -> set[str]:
    """The variables a value refers to as ``$(NAME)`` (Kubernetes expands them; ``$$(NAME)`` is literal)."""
    return set(_REFERENCE.findall(value))


def expand(value: str, env: Mapping[str, str]) -> str:
    """Expand ``$(NAME)`` the way the kubelet does: known names only, the rest stays as written."""
    return _REFERENCE.sub(lambda match: env.get(match.group(1), match.group(0)), value)


def secret_value(secret: str, key: str) -> str:
    """A stand-in for a Secret's value: not a placeholder the settings refuse, safe inside a URL."""
    if key == "username":
        return secret.replace("-", "_")
    if key.endswith(".json"):
        return "{}"
    return f"S3cure{secret.title().replace('-', '')}{key.title()}"


def container_env(rendering: Rendering, container: Container) -> dict[str, str]:
    """The environment the kubelet gives ``container``: its ConfigMaps, then its own variables in order."""
    env: dict[str, str] = {}
    for source in container.spec.get("envFrom", []):
        reference = source.get("configMapRef")
        assert reference is not None, f"{container.where}: envFrom only from ConfigMaps, not {source}"
        env.update(rendering.config_map(reference["name"]))
    for variable in container.spec.get("env", []):
        name = variable["name"]
        if "value" in variable:
            env[name] = expand(str(variable["value"]), env)
            continue
        source = variable["valueFrom"]
        if "secretKeyRef" in source:
            env[name] = secret_value(source["secretKeyRef"]["name"], source["secretKeyRef"]["key"])
        elif "configMapKeyRef" in source:
            env[name] = rendering.config_map(source["configMapKeyRef"]["name"])[source["configMapKeyRef"]["key"]]
        else:
            env[name] = f"from-{name.lower()}"
    return env


def declared_env_names(rendering: Rendering, container: Container) -> dict[str, str]:
    """Every variable name set on ``container`` → where it comes from (its ConfigMap or its own env)."""
    names: dict[str, str] = {}
    for source in container.spec.get("envFrom", []):
        reference = source["configMapRef"]["name"]
        names.update(dict.fromkeys(rendering.config_map(reference), f"ConfigMap {reference}"))
    names.update({variable["name"]: "env" for variable in container.spec.get("env", [])})
    return names
