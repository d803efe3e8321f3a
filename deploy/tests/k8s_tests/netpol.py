"""What the NetworkPolicies of a rendering let through, as flows between workloads and outside peers.

A flow is (from, to, port): ``from`` and ``to`` are workload names of the namespace (``tickets-api``,
``zentrale-pg``) or outside peers written ``namespace:<name>/<pod selector>`` and ``ip:<cidr> except <…>``;
``port`` is ``TCP/8080``. A pod that no policy of a direction selects is open in that direction: ``*``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .manifests import Manifest, Rendering, pod_spec, selects

Flow = tuple[str, str, str]
ANY = "*"


@dataclass(frozen=True)
class Pod:
    workload: str
    labels: Mapping[str, str]
    ports: Mapping[str, int]


def pods(rendering: Rendering) -> list[Pod]:
    """Every pod the namespace runs, with its labels and named container ports."""
    named: dict[str, dict[str, int]] = {}
    for workload in rendering.workloads():
        ports: dict[str, int] = {}
        for container in pod_spec(workload).get("containers", []):
            ports.update({p["name"]: int(p["containerPort"]) for p in container.get("ports", []) if "name" in p})
        named[workload["metadata"]["name"]] = ports
    return [Pod(name, labels, named.get(name, {})) for name, labels in rendering.pod_labels()]


def _selector_text(selector: Mapping[str, Any] | None) -> str:
    if not selector:
        return ANY
    parts = [f"{key}={value}" for key, value in sorted(selector.get("matchLabels", {}).items())]
    parts += [f"{e['key']} {e['operator']} {e.get('values', [])}" for e in selector.get("matchExpressions", [])]
    return ",".join(parts) or ANY


def _peers(rule_peers: list[Manifest] | None, everyone: list[Pod]) -> set[str]:
    """The workloads or outside peers a rule's ``from``/``to`` names."""
    if not rule_peers:
        return {ANY}
    found: set[str] = set()
    for peer in rule_peers:
        if "ipBlock" in peer:
            block = peer["ipBlock"]
            excepted = ",".join(block.get("except", []))
            found.add(f"ip:{block['cidr']}" + (f" except {excepted}" if excepted else ""))
        elif "namespaceSelector" in peer:
            labels = peer["namespaceSelector"].get("matchLabels", {})
            namespace = labels.get("kubernetes.io/metadata.name", ANY)
            found.add(f"namespace:{namespace}/{_selector_text(peer.get('podSelector'))}")
        else:
            found.update(pod.workload for pod in everyone if selects(peer.get("podSelector"), pod.labels))
    return found


def _ports(rule_ports: list[Manifest] | None, resolve_on: Pod | None) -> set[str]:
    if not rule_ports:
        return {ANY}
    found: set[str] = set()
    for entry in rule_ports:
        port = entry.get("port", ANY)
        if isinstance(port, str) and port != ANY:
            port = resolve_on.ports.get(port, f"{port}?") if resolve_on is not None else f"{port}?"
        found.add(f"{entry.get('protocol', 'TCP')}/{port}")
    return found


@dataclass(frozen=True)
class Flows:
    """Everything the policies allow in (``ingress``: to, from, port) and out (``egress``: from, to, port)."""

    ingress: frozenset[Flow]
    egress: frozenset[Flow]


def policy_types(spec: Mapping[str, Any]) -> set[str]:
    """The directions a policy isolates; without ``policyTypes``: Ingress, and Egress when it has egress rules."""
    if "policyTypes" in spec:
        return set(spec["policyTypes"])
    return {"Ingress", "Egress"} if spec.get("egress") else {"Ingress"}


def flows(rendering: Rendering) -> Flows:
    everyone = pods(rendering)
    by_name = {pod.workload: pod for pod in everyone}
    policies = rendering.of_kind("NetworkPolicy")
    ingress: set[Flow] = set()
    egress: set[Flow] = set()
    for pod in everyone:
        selecting = [p["spec"] for p in policies if selects(p["spec"].get("podSelector"), pod.labels)]
        if not any("Ingress" in policy_types(spec) for spec in selecting):
            ingress.add((pod.workload, ANY, ANY))
        if not any("Egress" in policy_types(spec) for spec in selecting):
            egress.add((pod.workload, ANY, ANY))
        for spec in selecting:
            for rule in spec.get("ingress", []) if "Ingress" in policy_types(spec) else []:
                for source in _peers(rule.get("from"), everyone):
                    ingress.update((pod.workload, source, port) for port in _ports(rule.get("ports"), pod))
            for rule in spec.get("egress", []) if "Egress" in policy_types(spec) else []:
                for target in _peers(rule.get("to"), everyone):
                    ports = _ports(rule.get("ports"), by_name.get(target))
                    egress.update((pod.workload, target, port) for port in ports)
    return Flows(frozenset(ingress), frozenset(egress))
