"""Network policies (prod): default deny, and exactly the paths Zentrale needs, open at both of their ends."""

from __future__ import annotations

from .manifests import SERVICES, Rendering
from .netpol import ANY, Flow, Flows, flows, pods

TCP = "TCP/{}".format
INGRESS_CONTROLLER = "namespace:ingress-nginx/*"
CNPG_OPERATOR = "namespace:cnpg-system/app.kubernetes.io/name=cloudnative-pg"
DNS = "namespace:kube-system/k8s-app=kube-dns"
APIS = [f"{s}-api" for s in SERVICES]
WORKERS = [f"{s}-worker" for s in SERVICES]
JOBS = [f"{s}-migrate" for s in SERVICES]
SERVICE_PODS = [*APIS, *WORKERS, *JOBS]
ANYWHERE_V4, ANYWHERE_V6 = "ip:0.0.0.0/0", "ip:::/0"
PUBLIC_V4 = "ip:0.0.0.0/0 except 10.0.0.0/8,100.64.0.0/10,127.0.0.0/8,169.254.0.0/16,172.16.0.0/12,192.168.0.0/16"
PUBLIC_V6 = "ip:::/0 except ::1/128,fc00::/7,fe80::/10"


def _expected_ingress() -> set[Flow]:
    """Who may open a connection to whom: nothing else reaches any pod (workers and Jobs: nothing at all)."""
    allowed = {("gateway", INGRESS_CONTROLLER, TCP(8080))}
    allowed |= {(api, "gateway", TCP(8080)) for api in APIS}
    allowed |= {("nats", client, TCP(4222)) for client in ["gateway", *SERVICE_PODS]}
    allowed |= {("nats", "nats", TCP(6222))}
    allowed |= {("zentrale-pg", client, TCP(5432)) for client in SERVICE_PODS}
    allowed |= {
        ("zentrale-pg", peer, port) for peer in (CNPG_OPERATOR, "zentrale-pg") for port in (TCP(5432), TCP(8000))
    }
    allowed |= {("otel-collector", client, TCP(4318)) for client in ["gateway", *SERVICE_PODS]}
    return allowed


def _expected_outside_egress() -> set[Flow]:
    """What leaves the namespace: DNS for all; HTTPS for the gateway (identity providers), the tenants worker
    (webhooks, public addresses only), PostgreSQL (Kubernetes API, backups) and the collector (its backend)."""
    allowed = {
        (pod, DNS, port)
        for pod in ["gateway", *SERVICE_PODS, "nats", "zentrale-pg", "otel-collector"]
        for port in ("UDP/53", "TCP/53")
    }
    allowed |= {
        ("gateway", "ip:0.0.0.0/0 except 169.254.0.0/16", TCP(443)),
        ("gateway", "ip:::/0 except fe80::/10", TCP(443)),
        ("tenants-worker", PUBLIC_V4, TCP(443)),
        ("tenants-worker", PUBLIC_V6, TCP(443)),
    }
    allowed |= {("zentrale-pg", block, TCP(port)) for block in (ANYWHERE_V4, ANYWHERE_V6) for port in (443, 6443)}
    allowed |= {
        ("otel-collector", block, TCP(port)) for block in (ANYWHERE_V4, ANYWHERE_V6) for port in (443, 4317, 4318)
    }
    return allowed


def _required_paths() -> set[Flow]:
    """Connections Zentrale cannot work without: (from, to, port), to be allowed at both ends."""
    needed = {("gateway", api, TCP(8080)) for api in APIS} | {("gateway", "nats", TCP(4222))}
    needed |= {
        (pod, target, TCP(port))
        for pod in [*APIS, *WORKERS]
        for target, port in (("zentrale-pg", 5432), ("nats", 4222))
    }
    needed |= {(job, "zentrale-pg", TCP(5432)) for job in JOBS}
    needed |= {("nats", "nats", TCP(6222)), ("zentrale-pg", "zentrale-pg", TCP(5432))}
    needed |= {(pod, "otel-collector", TCP(4318)) for pod in ["gateway", *APIS, *WORKERS]}
    return needed


def _prod_flows(prod: Rendering) -> tuple[Flows, set[str]]:
    return flows(prod), {pod.workload for pod in pods(prod)}


def test_prod_denies_everything_by_default(prod: Rendering) -> None:
    deny_all = [
        p["metadata"]["name"]
        for p in prod.of_kind("NetworkPolicy")
        if p["spec"]["podSelector"] == {}
        and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]

    assert deny_all == ["default-deny"]


def test_dev_has_no_network_policies(dev: Rendering) -> None:
    assert dev.of_kind("NetworkPolicy") == []


def test_prod_lets_in_only_the_ingress_controller_to_the_gateway_the_gateway_to_the_apis_and_clients_to_the_platform(
    prod: Rendering,
) -> None:
    allowed, _ = _prod_flows(prod)

    assert set(allowed.ingress) - _expected_ingress() == set(), "reachable beyond the design"
    assert _expected_ingress() - set(allowed.ingress) == set(), "designed but not reachable"


def test_prod_lets_out_of_the_namespace_only_dns_and_the_https_each_part_needs(prod: Rendering) -> None:
    allowed, workloads = _prod_flows(prod)
    outside = {flow for flow in allowed.egress if flow[1] not in workloads}

    assert outside - _expected_outside_egress() == set(), "leaves the namespace beyond the design"
    assert _expected_outside_egress() - outside == set(), "designed but blocked"
    assert not any(ANY in flow for flow in allowed.egress)


def test_prod_allows_each_connection_inside_the_namespace_at_both_ends(prod: Rendering) -> None:
    allowed, workloads = _prod_flows(prod)
    sent = {(source, target, port) for source, target, port in allowed.egress if target in workloads}
    received = {(source, target, port) for target, source, port in allowed.ingress if source in workloads}

    assert sent - received == set(), "allowed out but refused at the other end"
    assert received - sent == set(), "allowed in but never allowed out"


def test_prod_keeps_every_connection_zentrale_needs_open(prod: Rendering) -> None:
    allowed, _ = _prod_flows(prod)
    open_paths = set(allowed.egress) & {(source, target, port) for target, source, port in allowed.ingress}

    assert _required_paths() - open_paths == set()
