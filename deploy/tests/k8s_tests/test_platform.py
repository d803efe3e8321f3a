"""The overlays' promises: images, the one Ingress, NATS and PostgreSQL sized for dev and HA for prod."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from kit.local.nats import find_nats_server

from .manifests import NAMESPACE, SERVICES, Manifest, Rendering, pod_spec


def _image_tag(image: str) -> str | None:
    if "@sha256:" in image:
        return image.rsplit("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def test_prod_pins_every_image_and_none_is_latest(prod: Rendering) -> None:
    loose = {c.where: c.spec["image"] for c in prod.containers() if _image_tag(c.spec["image"]) in (None, "latest")}

    assert loose == {}


def test_each_overlay_runs_one_build_of_zentrale_its_own_tag(overlay: Rendering) -> None:
    tags = {_image_tag(c.spec["image"]) for c in overlay.own_containers()}

    assert len(tags) == 1
    assert (tags == {"dev"}) == (overlay.variant == "dev")


def test_overlays_put_everything_into_the_zentrale_namespace(overlay: Rendering) -> None:
    elsewhere = [
        f"{o['kind']}/{o['metadata']['name']}"
        for o in overlay.objects
        if o["kind"] != "Namespace" and o["metadata"].get("namespace") != NAMESPACE
    ]

    assert elsewhere == []
    assert (
        overlay.named("Namespace", NAMESPACE)["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        == "restricted"
    )


def test_every_object_is_part_of_zentrale(variant: Rendering) -> None:
    unlabeled = [
        f"{o['kind']}/{o['metadata']['name']}"
        for o in variant.objects
        if o["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") != "zentrale"
    ]

    assert unlabeled == []


def test_only_the_gateway_is_reachable_from_outside(overlay: Rendering) -> None:
    backends = {
        path["backend"]["service"]["name"]
        for ingress in overlay.of_kind("Ingress")
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    exposed = [
        s["metadata"]["name"] for s in overlay.of_kind("Service") if s["spec"].get("type", "ClusterIP") != "ClusterIP"
    ]
    ingress = overlay.named("Ingress", "gateway")

    assert backends == {"gateway"}
    assert exposed == []
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert all(rule.get("host") for rule in ingress["spec"]["rules"])
    assert [t.get("secretName") for t in ingress["spec"].get("tls", [])] != []


def test_every_process_runs_as_production_in_every_variant(variant: Rendering) -> None:
    assert variant.config_map("zentrale-config")["ZENTRALE_ENV"] == "production"


# NATS


def _replicas(rendering: Rendering, kind: str, name: str, field: str) -> int:
    return int(rendering.named(kind, name)["spec"][field])


@pytest.mark.parametrize(("name", "nats", "streams"), [("dev", 1, 1), ("prod", 3, 3)])
def test_nats_servers_and_stream_replicas_per_overlay(
    renderings: dict[str, Rendering], name: str, nats: int, streams: int
) -> None:
    rendering = renderings[name]

    assert _replicas(rendering, "StatefulSet", "nats", "replicas") == nats
    assert int(rendering.config_map("zentrale-config")["ZENTRALE_STREAM_REPLICAS"]) == streams


def _nats_config(rendering: Rendering) -> tuple[Manifest, dict[str, str]]:
    statefulset = rendering.named("StatefulSet", "nats")
    volumes = {v["name"]: v for v in pod_spec(statefulset)["volumes"]}
    return statefulset, dict(rendering.config_map(volumes["config"]["configMap"]["name"]))


def test_the_nats_configuration_is_valid_for_the_nats_server_the_tests_run(overlay: Rendering, tmp_path: Path) -> None:
    _, files = _nats_config(overlay)
    for name, text in files.items():
        (tmp_path / name).write_text(text)

    done = subprocess.run(
        [find_nats_server(), "-t", "-c", str(tmp_path / "nats.conf")],
        capture_output=True,
        text=True,
        env={**os.environ, "SERVER_NAME": "nats-0"},
        cwd=tmp_path,
        timeout=30,
        check=False,
    )

    assert done.returncode == 0, done.stderr


def test_nats_routes_name_each_server_of_the_statefulset_and_one_server_has_none(overlay: Rendering) -> None:
    statefulset, files = _nats_config(overlay)
    replicas, service = statefulset["spec"]["replicas"], statefulset["spec"]["serviceName"]
    routes = re.findall(r"nats://([a-z0-9.-]+):6222", files["cluster.conf"])

    assert routes == [f"nats-{i}.{service}" for i in range(replicas)] if replicas > 1 else routes == []
    assert ("cluster {" in files["cluster.conf"]) == (replicas > 1)
    assert "include ./cluster.conf" in files["nats.conf"]
    assert "jetstream" in files["nats.conf"]


def test_stream_replicas_never_exceed_the_nats_servers(overlay: Rendering) -> None:
    streams = int(overlay.config_map("zentrale-config")["ZENTRALE_STREAM_REPLICAS"])

    assert 1 <= streams <= _replicas(overlay, "StatefulSet", "nats", "replicas")


# PostgreSQL


@pytest.mark.parametrize(("name", "instances"), [("dev", 1), ("prod", 3)])
def test_postgres_instances_per_overlay(renderings: dict[str, Rendering], name: str, instances: int) -> None:
    assert _replicas(renderings[name], "Cluster", "zentrale-pg", "instances") == instances


def test_prod_postgres_spreads_over_nodes_replicates_synchronously_and_backs_up(prod: Rendering) -> None:
    spec = prod.named("Cluster", "zentrale-pg")["spec"]
    store = spec["backup"]["barmanObjectStore"]
    schedules = prod.of_kind("ScheduledBackup")

    assert spec["affinity"] == {
        "enablePodAntiAffinity": True,
        "podAntiAffinityType": "required",
        "topologyKey": "kubernetes.io/hostname",
    }
    assert spec["postgresql"]["synchronous"]["number"] >= 1
    assert store["destinationPath"].startswith("s3://")
    assert {store["s3Credentials"][key]["name"] for key in ("accessKeyId", "secretAccessKey")} == {"zentrale-pg-backup"}
    assert [(s["spec"]["cluster"]["name"], s["spec"]["method"]) for s in schedules] == [
        ("zentrale-pg", "barmanObjectStore")
    ]


def test_dev_postgres_keeps_no_backups(dev: Rendering) -> None:
    assert "backup" not in dev.named("Cluster", "zentrale-pg")["spec"]
    assert dev.of_kind("ScheduledBackup") == []


def test_each_service_has_its_database_owned_by_its_owner_role_and_a_runtime_role_from_its_secrets(
    overlay: Rendering,
) -> None:
    roles = {r["name"]: r for r in overlay.named("Cluster", "zentrale-pg")["spec"]["managed"]["roles"]}
    databases = {d["spec"]["name"]: d["spec"] for d in overlay.of_kind("Database")}
    privileged = ("superuser", "createdb", "createrole", "bypassrls", "replication")

    assert set(databases) == set(SERVICES)
    assert set(roles) == {f"{s}_{kind}" for s in SERVICES for kind in ("owner", "app")}
    for service in SERVICES:
        assert databases[service]["owner"] == f"{service}_owner"
        assert databases[service]["cluster"]["name"] == "zentrale-pg"
        assert databases[service]["databaseReclaimPolicy"] == "retain"
        assert roles[f"{service}_owner"]["passwordSecret"]["name"] == f"{service}-db-owner"
        assert roles[f"{service}_app"]["passwordSecret"]["name"] == f"{service}-db-runtime"
    assert [
        name for name, role in roles.items() if role.get("login") is not True or role.get("ensure") != "present"
    ] == []
    assert [name for name, role in roles.items() if any(role.get(flag) for flag in privileged)] == []
