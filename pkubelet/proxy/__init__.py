"""Userspace TCP service proxy (kube-proxy userspace mode) and port-forward helper.

The daemon turns Services/Endpoints into ServiceRules and calls Proxy.sync();
this package knows nothing about the API store.
"""
from .engine import DATAPATHS, DEFAULT_DATAPATH, Proxy
from .rules import ServiceRule

__all__ = ["DATAPATHS", "DEFAULT_DATAPATH", "Proxy", "ServiceRule"]
