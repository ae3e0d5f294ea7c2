"""The `pkubelet` command: the node agent and the pkube daemon.

    pkubelet run                 the daemon in the foreground (all loops)
    pkubelet start               the daemon in the background; returns once it is up
                                 (run/start --service-node-port-range=30000-32767 sets the
                                 cluster's NodePort range once, kept in kube-system/pkube-config)
    pkubelet stop [--stop-pods]  stop the daemon (containers keep running unless --stop-pods/--all)
    pkubelet status              is the daemon running?
    pkubelet sync                one kubelet pass of the default node, then exit
    pkubelet node --name n2 ...  an extra node agent in the foreground
    pkubelet simulate --nodes N  simulated nodes (no processes; pods reported Running)

The state directory is $PKUBE_HOME (default ~/.local/state/pkube).
"""
from __future__ import annotations

import argparse
import os
import sys


def _home() -> str:
    from state.store import default_home

    return default_home()


def _labels(text: str) -> dict:
    out = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise SystemExit("error: invalid label %r: expected key=value" % part)
        out[key] = value
    return out


def _taints(text: str) -> list:
    """`k=v:NoSchedule,k2:NoExecute` -> taint objects (kubectl taint's spelling)."""
    out = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        kv, sep, effect = part.rpartition(":")
        if not sep or effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise SystemExit("error: invalid taint %r: expected key[=value]:Effect" % part)
        key, _, value = kv.partition("=")
        taint = {"key": key, "effect": effect}
        if value:
            taint["value"] = value
        out.append(taint)
    return out


def set_node_port_range(text: str | None) -> None:
    """--service-node-port-range: stored once in the kube-system ConfigMap pkube-config,
    which the API reads on every Service write (env PKUBE_SERVICE_NODE_PORT_RANGE is the
    fallback). Services made before keep their ports."""
    if not text:
        return
    from pkubectl.api import registry, server

    try:
        server.parse_node_port_range(text)
    except ValueError as err:
        raise SystemExit("error: --service-node-port-range: %s" % err)
    api = server.Api()
    kind, (ns, name) = registry.by_kind("ConfigMap"), server.CLUSTER_CONFIG
    cm = api.try_get(kind, ns, name)
    if cm is None:
        api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
                    "data": {server.NODE_PORT_RANGE_KEY: text}})
    elif (cm.get("data") or {}).get(server.NODE_PORT_RANGE_KEY) != text:
        cm["data"] = dict(cm.get("data") or {}, **{server.NODE_PORT_RANGE_KEY: text})
        api.update(cm)


def _check_home(home: str) -> None:
    """Refuse a state dir the store refuses (another user's, unwritable) before starting
    anything in the background; the store's Unavailable prints as `error: ...`."""
    from state.store import Store

    Store(home).conn.close()


def cmd_run(args) -> int:
    from pkubelet import daemon

    _check_home(_home())
    set_node_port_range(args.service_node_port_range)
    return daemon.Daemon(_home()).run()


def cmd_start(args) -> int:
    from pkubelet import daemon

    set_node_port_range(args.service_node_port_range)
    home = _home()
    pid = daemon.running_pid(home)
    if pid:
        print("pkubelet is already running (pid %s)" % pid)
        return 0
    _check_home(home)
    pid = daemon.spawn(home)
    if not pid:
        sys.stderr.write("error: pkubelet did not start; see %s\n" % os.path.join(home, daemon.LOGFILE))
        return 1
    print("pkubelet started (pid %d), log: %s" % (pid, os.path.join(home, daemon.LOGFILE)))
    return 0


def cmd_stop(args) -> int:
    from pkubelet import daemon

    home = _home()
    pid = daemon.stop(home)
    print("pkubelet stopped (pid %s)" % pid if pid else "pkubelet is not running")
    if args.stop_pods and os.path.isdir(home):
        n = daemon.stop_pods(home)
        print("stopped %d container%s" % (n, "" if n == 1 else "s"))
    return 0


def cmd_status(args) -> int:
    from pkubelet import daemon

    home = _home()
    pid = daemon.running_pid(home)
    if not pid:
        print("pkubelet is not running")
        return 3
    print("pkubelet is running (pid %s)" % pid)
    print("state: %s" % home)
    print("log:   %s" % os.path.join(home, daemon.LOGFILE))
    return 0


def cmd_sync(args) -> int:
    from pkubectl.api.server import Api

    from pkubelet import kubelet

    print(kubelet.Kubelet(Api(), args.name).sync_once())
    return 0


def cmd_node(args) -> int:
    from pkubelet import daemon, node

    agent_args = {"name": args.name, "address": args.address, "labels": _labels(args.labels),
                  "taints": _taints(args.taints),
                  "capacity": node.parse_capacity(args.capacity) or None}
    loops = daemon.node_agent_loops(agent_args, args.heartbeat_interval)
    return daemon.Daemon(_home(), loops, lock="node-%s.lock" % args.name, pidfile=False,
                         title="node agent %s" % args.name).run()


def cmd_simulate(args) -> int:
    from pkubelet import simulated

    return simulated.run(_home(), count=args.nodes, prefix=args.prefix,
                         capacity=args.capacity, heartbeat_interval=args.heartbeat_interval)


def parser() -> argparse.ArgumentParser:
    from pkubelet import node

    p = argparse.ArgumentParser(prog="pkubelet", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for verb, fn, text in (("run", cmd_run, "run the daemon in the foreground"),
                           ("start", cmd_start, "start the daemon in the background")):
        sp = sub.add_parser(verb, help=text)
        sp.add_argument("--service-node-port-range", default=None, metavar="FROM-TO",
                        help="NodePort range of the cluster, e.g. 30000-32767 (stored once)")
        sp.set_defaults(fn=fn)
    stop = sub.add_parser("stop", help="stop the daemon (containers keep running)")
    stop.add_argument("--stop-pods", "--all", dest="stop_pods", action="store_true",
                      help="also stop every container process")
    stop.set_defaults(fn=cmd_stop)
    sub.add_parser("status", help="show whether the daemon runs").set_defaults(fn=cmd_status)
    sync = sub.add_parser("sync", help="one kubelet pass, then exit")
    sync.add_argument("--name", default=node.DEFAULT_NODE)
    sync.set_defaults(fn=cmd_sync)
    n = sub.add_parser("node", help="run an extra node agent in the foreground")
    n.add_argument("--name", required=True)
    n.add_argument("--address", default=None, help="node address (default 127.0.1.N)")
    n.add_argument("--capacity", default="", help="e.g. cpu=2,memory=4Gi,pods=110 (default: measured)")
    n.add_argument("--labels", default="", help="extra labels, e.g. zone=a,disk=ssd")
    n.add_argument("--taints", default="", help="taints, e.g. dedicated=gpu:NoSchedule")
    n.add_argument("--heartbeat-interval", type=float, default=node.HEARTBEAT_INTERVAL)
    n.set_defaults(fn=cmd_node)
    s = sub.add_parser("simulate", help="register simulated nodes (KWOK-like)")
    s.add_argument("--nodes", type=int, default=10)
    s.add_argument("--prefix", default="sim-")
    s.add_argument("--capacity", default="cpu=32,memory=256Gi,pods=110")
    s.add_argument("--heartbeat-interval", type=float, default=node.HEARTBEAT_INTERVAL)
    s.set_defaults(fn=cmd_simulate)
    return p


def main(argv: list | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.fn(args) or 0
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # noqa: BLE001 - one line, never a traceback (PKUBE_DEBUG shows it)
        if os.environ.get("PKUBE_DEBUG"):
            raise
        from pkubectl.api.errors import ApiError

        if isinstance(err, ApiError):
            sys.stderr.write(err.kubectl_text() + "\n")
        else:
            sys.stderr.write("error: %s\n" % err)
        return 1


if __name__ == "__main__":
    sys.exit(main())
