"""Availability: rolling updates that never drop below the wanted pods, disruption budgets and autoscalers."""

from __future__ import annotations

from .manifests import COMPONENT, Rendering, selects, template_labels

AUTOSCALED = frozenset({"api", "worker", "gateway"})


def test_deployments_roll_out_without_taking_a_pod_away_first(variant: Rendering) -> None:
    wrong = {
        d["metadata"]["name"]: d["spec"].get("strategy")
        for d in variant.of_kind("Deployment")
        if d["spec"].get("strategy", {}).get("rollingUpdate", {}).get("maxUnavailable") != 0
    }

    assert wrong == {}


def test_every_deployment_has_a_disruption_budget_of_one_selecting_its_pods_alone(variant: Rendering) -> None:
    budgets = variant.of_kind("PodDisruptionBudget")
    problems = []
    for deployment in variant.of_kind("Deployment"):
        labels = template_labels(deployment)
        name = deployment["metadata"]["name"]
        mine = [b for b in budgets if selects(b["spec"]["selector"], labels)]
        if len(mine) != 1 or mine[0]["spec"].get("maxUnavailable") != 1:
            problems.append(f"{name}: {len(mine)} budgets selecting it, wanted one with maxUnavailable 1")
    for budget in budgets:
        selected = [
            w["metadata"]["name"]
            for w in variant.workloads()
            if selects(budget["spec"]["selector"], template_labels(w))
        ]
        if len(selected) != 1:
            problems.append(f"PodDisruptionBudget {budget['metadata']['name']} selects {selected}")

    assert problems == []


def test_every_api_worker_and_gateway_deployment_has_a_cpu_autoscaler_that_owns_its_replicas(
    variant: Rendering,
) -> None:
    autoscalers = {
        h["spec"]["scaleTargetRef"]["name"]: h
        for h in variant.of_kind("HorizontalPodAutoscaler")
        if h["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    }
    problems = []
    for deployment in variant.of_kind("Deployment"):
        name = deployment["metadata"]["name"]
        if deployment["metadata"]["labels"].get(COMPONENT) not in AUTOSCALED:
            continue
        autoscaler = autoscalers.pop(name, None)
        if autoscaler is None or autoscaler["apiVersion"] != "autoscaling/v2":
            problems.append(f"{name}: no autoscaling/v2 HorizontalPodAutoscaler")
            continue
        if {m["resource"]["name"] for m in autoscaler["spec"]["metrics"] if m["type"] == "Resource"} != {"cpu"}:
            problems.append(f"{name}: the autoscaler does not scale on CPU")
        # kubectl apply would reset the autoscaler's count to a replicas field on every run.
        if "replicas" in deployment["spec"]:
            problems.append(f"{name}: sets replicas although its autoscaler owns them")

    assert problems == []
    assert autoscalers == {}, f"autoscalers without their Deployment: {sorted(autoscalers)}"


def test_dev_runs_one_replica_of_each_and_lets_the_autoscalers_add_one(dev: Rendering) -> None:
    ranges = {
        h["metadata"]["name"]: (h["spec"]["minReplicas"], h["spec"]["maxReplicas"])
        for h in dev.of_kind("HorizontalPodAutoscaler")
    }
    fixed = {
        d["metadata"]["name"]: d["spec"]["replicas"]
        for d in dev.workloads("Deployment", "StatefulSet")
        if "replicas" in d["spec"]
    }

    assert set(ranges.values()) == {(1, 2)}
    assert set(fixed.values()) <= {1}, fixed


def test_prod_runs_at_least_two_of_every_stateless_part_and_three_gateways(prod: Rendering) -> None:
    minimum = {h["metadata"]["name"]: h["spec"]["minReplicas"] for h in prod.of_kind("HorizontalPodAutoscaler")}
    fixed = {
        d["metadata"]["name"]: d["spec"]["replicas"] for d in prod.of_kind("Deployment") if "replicas" in d["spec"]
    }

    assert min(minimum.values()) >= 2
    assert minimum["gateway"] == 3
    assert all(replicas >= 2 for replicas in fixed.values()), fixed


def test_prod_spreads_each_deployment_over_zones_and_nodes(prod: Rendering) -> None:
    spread = {
        d["metadata"]["name"]: {
            c["topologyKey"]
            for c in d["spec"]["template"]["spec"].get("topologySpreadConstraints", [])
            if "app.kubernetes.io/name" in c.get("matchLabelKeys", [])
        }
        for d in prod.of_kind("Deployment")
    }

    assert {
        name for name, keys in spread.items() if keys != {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    } == set()
