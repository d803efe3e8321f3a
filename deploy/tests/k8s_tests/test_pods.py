"""The hardened pod template: every workload runs non-root, read-only, without privileges, with resources and probes."""

from __future__ import annotations

from .manifests import OWN_COMPONENTS, Rendering, pod_spec

HARDENED = ("Deployment", "StatefulSet", "Job")
TMP = "/tmp"  # noqa: S108 - the pods' own /tmp, an emptyDir


def test_every_container_and_init_container_has_cpu_and_memory_requests_and_limits(variant: Rendering) -> None:
    missing = [
        f"{c.where}: {kind}.{resource}"
        for c in variant.containers(*HARDENED)
        for kind in ("requests", "limits")
        for resource in ("cpu", "memory")
        if resource not in c.spec.get("resources", {}).get(kind, {})
    ]

    assert missing == []


def test_every_deployment_container_has_a_liveness_probe_on_healthz_and_a_readiness_probe(
    variant: Rendering,
) -> None:
    containers = [c for c in variant.containers("Deployment") if not c.init]
    without = [c.where for c in containers if "livenessProbe" not in c.spec or "readinessProbe" not in c.spec]
    own_liveness = {
        c.where: c.spec["livenessProbe"].get("httpGet", {}).get("path")
        for c in containers
        if c.component in OWN_COMPONENTS
    }

    assert without == []
    assert {where: path for where, path in own_liveness.items() if path != "/healthz"} == {}


def test_liveness_never_asks_readyz_which_checks_the_database(variant: Rendering) -> None:
    checking = [
        c.where
        for c in variant.containers(*HARDENED)
        for probe in ("livenessProbe", "startupProbe")
        if "readyz" in str(c.spec.get(probe, {}).get("httpGet", {}).get("path", ""))
    ]

    assert checking == []


def test_every_pod_runs_as_non_root_with_the_runtime_default_seccomp_profile_and_no_token(variant: Rendering) -> None:
    problems = []
    for workload in variant.workloads(*HARDENED):
        pod = pod_spec(workload)
        context = pod.get("securityContext", {})
        name = f"{workload['kind']} {workload['metadata']['name']}"
        if context.get("runAsNonRoot") is not True or context.get("runAsUser", 0) == 0:
            problems.append(f"{name}: not runAsNonRoot with a non-zero runAsUser")
        if context.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{name}: no RuntimeDefault seccomp profile")
        if pod.get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: mounts a service account token")

    assert problems == []


def test_every_container_has_a_read_only_root_no_privilege_escalation_and_drops_all_capabilities(
    variant: Rendering,
) -> None:
    problems = []
    for c in variant.containers(*HARDENED):
        context = c.spec.get("securityContext", {})
        if context.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{c.where}: root file system writable")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{c.where}: privilege escalation allowed")
        if context.get("capabilities", {}).get("drop") != ["ALL"] or context.get("capabilities", {}).get("add"):
            problems.append(f"{c.where}: capabilities not dropped to none")
        if context.get("privileged") or context.get("runAsUser") == 0 or context.get("runAsNonRoot") is False:
            problems.append(f"{c.where}: overrides the pod's non-root user")

    assert problems == []


def test_zentrale_containers_write_only_to_an_empty_dir_at_tmp(variant: Rendering) -> None:
    problems = []
    for c in variant.own_containers():
        volumes = {v["name"]: v for v in c.pod.get("volumes", [])}
        mounts = {m["mountPath"]: m["name"] for m in c.spec.get("volumeMounts", [])}
        if "emptyDir" not in volumes.get(mounts.get(TMP, ""), {}):
            problems.append(f"{c.where}: no emptyDir at /tmp")
        writable = [path for path, m in mounts.items() if path != TMP and "emptyDir" in volumes.get(m, {})]
        problems += [f"{c.where}: writable volume at {path}" for path in writable]

    assert problems == []
