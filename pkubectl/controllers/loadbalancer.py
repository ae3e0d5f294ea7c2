"""A local load-balancer add-on (what MetalLB or k3s' klipper-lb do on a laptop cluster).

Every Service of type LoadBalancer gets one ingress IP from the API's LoadBalancer range
(127.250.0.0/16, loopback, so it is reachable only from this machine); the proxy then
listens on it at each service port. `spec.loadBalancerIP`, when given and free, is honoured
(MetalLB's behaviour). A Service that stops being a LoadBalancer loses its ingress, so
`get svc` shows `<pending>` until an address is assigned and `<none>` afterwards, as with a
real cloud. Writes go through the status subresource and only on change.
"""
from __future__ import annotations

import ipaddress

from pkubectl.api import registry
from pkubectl.controllers import common

COMPONENT = "service-controller"


def _ingress_ips(svc: dict) -> list:
    return [i.get("ip") for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
            if i.get("ip")]


def _wanted_ip(api, svc: dict, taken: set) -> str:
    asked = (svc.get("spec") or {}).get("loadBalancerIP")
    if asked and asked not in taken:
        try:
            if ipaddress.ip_address(asked).is_loopback:
                return asked
        except ValueError:
            pass
    return api.allocate_loadbalancer_ip()


def sync(api) -> int:
    services, _ = api.list(registry.by_kind("Service"), None)
    taken = {ip for s in services for ip in _ingress_ips(s)}
    writes = 0
    for svc in services:
        if common.being_deleted(svc):
            continue
        is_lb = (svc.get("spec") or {}).get("type") == "LoadBalancer"
        current = _ingress_ips(svc)
        if is_lb and current:
            continue
        if not is_lb and not ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress"):
            continue
        new = dict(svc)
        status = dict(svc.get("status") or {})
        if is_lb:
            ip = _wanted_ip(api, svc, taken)
            taken.add(ip)
            status["loadBalancer"] = {"ingress": [{"ip": ip, "ipMode": "VIP"}]}
        else:
            status["loadBalancer"] = {}
        new["status"] = status
        if common.tolerant(api.update_status, new) is not None:
            writes += 1
            if is_lb:
                api.record_event(svc, "Normal", "IPAllocated", "Assigned IP [\"%s\"]" % ip,
                                 component=COMPONENT)
    return writes
