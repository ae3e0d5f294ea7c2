"""`pkubectl autoscale (-f FILENAME | TYPE NAME | TYPE/NAME) [--min=MINPODS] --max=MAXPODS
[--cpu=CPU] [--memory=MEMORY]`: create an autoscaling/v2 HorizontalPodAutoscaler for a
Deployment, ReplicaSet, StatefulSet or ReplicationController (kubectl 1.37's
cmd/autoscale: `--cpu`/`--memory` take `70%` for Utilization or a quantity for
AverageValue, a bare number meaning millicores / MiB; `--cpu-percent` is deprecated and
still works). With no target the server's default (cpu 80 %) applies.
"""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from pkubectl.api.errors import ApiError
from pkubectl.cli import common
from pkubectl.cli.common import (CliError, ContextOpt, DryRunOpt, FilenameOpt, KubeconfigOpt, NamespaceOpt,
                                 OutputOpt, RecursiveOpt, err, out)

CPU_PERCENT_DEPRECATION = ("Flag --cpu-percent has been deprecated, Use --cpu with percentage or resource quantity "
                           "format (e.g., '70%' for utilization or '500m' for milliCPU).")
DEFAULT_UNIT = {"cpu": "m", "memory": "Mi"}


def parse_resource_input(text: str, resource: str) -> dict:
    """parseResourceInput: a MetricTarget for `70%`, `500m`, `200Mi` or a bare number."""
    from pkubectl.api import quantity

    text = text.strip()
    if not text:
        raise CliError("empty input")
    if text.endswith("%"):
        number = text[:-1]
        if not number.isdigit() or int(number) > 2 ** 31 - 1:
            raise CliError(f"invalid percentage value: {number}")
        return {"type": "Utilization", "averageUtilization": int(number)}
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is not None:
        text = f"{value:g}{DEFAULT_UNIT[resource]}"
    try:
        q = quantity.parse_quantity(text)
    except Exception:  # noqa: BLE001 - QuantityError and friends: kubectl's one message
        raise CliError(f"invalid resource {resource} value: {text}") from None
    return {"type": "AverageValue", "averageValue": str(q)}


def build_hpa(kind, target_name: str, name: str, min_: int, max_: int, cpu_percent: int, cpu: str | None,
              memory: str | None, namespace: str | None) -> dict:
    """createHorizontalPodAutoscalerV2."""
    meta: dict = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    spec: dict = {"maxReplicas": max_,
                  "scaleTargetRef": {"apiVersion": kind.api_version, "kind": kind.kind, "name": target_name}}
    if min_ > 0:
        spec["minReplicas"] = min_
    metrics = []
    if cpu_percent > 0:
        metrics.append({"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": cpu_percent}}})
    for res, text in (("cpu", cpu), ("memory", memory)):
        if text:
            metrics.append({"type": "Resource", "resource": {"name": res,
                                                             "target": parse_resource_input(text, res)}})
    if metrics:
        spec["metrics"] = metrics
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta, "spec": spec,
            "status": {"currentMetrics": None, "desiredReplicas": 0}}


def validate(min_: int, max_: int, cpu_percent: int, cpu: str | None, memory: str | None) -> None:
    if max_ < 1:
        raise CliError(f"--max=MAXPODS is required and must be at least 1, max: {max_}")
    if max_ < min_:
        raise CliError(f"--max=MAXPODS must be larger or equal to --min=MINPODS, max: {max_}, min: {min_}")
    if cpu_percent > 0 and cpu:
        raise CliError("--cpu-percent and --cpu are mutually exclusive")
    if cpu:
        parse_resource_input(cpu, "cpu")
    if memory:
        parse_resource_input(memory, "memory")


def run(inv, args, filename, recursive, name, min_, max_, cpu_percent, cpu, memory, mode, output) -> None:
    from pkubectl.api import registry
    from pkubectl.cli.workloads import resolve

    validate(min_, max_, cpu_percent, cpu, memory)
    printer = common.object_printer(output)
    objs = resolve(inv, args, filename, recursive)
    if not objs:
        raise CliError("no objects passed to autoscale")
    hpa_kind = registry.lookup("horizontalpodautoscalers")
    made = 0
    for kind, ns, target in objs:
        try:
            live = inv.api.get(kind, ns, target)
            if not kind.scalable:
                raise CliError(f"cannot autoscale a {kind.kind}: could not find scale subresource for "
                               f"{kind.group}/{kind.version}, Resource={kind.resource} in discovery information")
            obj = build_hpa(kind, live["metadata"]["name"], name or target, min_, max_, cpu_percent, cpu, memory,
                            ns if inv.explicit_namespace or filename else None)
            if mode == "client":
                result = obj
            else:
                result = inv.api.create(obj, ns, dry_run=mode == "server")
            made += 1
            if printer is not None:
                printer.print([result], False)
            else:
                verb = "created" if mode == "client" else "autoscaled"
                out(common.result_line(hpa_kind, obj["metadata"]["name"], verb, mode, output))
        except ApiError as e:
            inv.fail(e.kubectl_text())
        except CliError as e:
            inv.fail(f"error: {e.message}")
    if mode == "none" and made:
        from pkubectl.cli.converge import converge
        converge(inv)
    inv.finish()


def register(app: typer.Typer) -> None:
    @app.command("autoscale")
    def autoscale(args: Annotated[Optional[list[str]], typer.Argument(help="(-f FILENAME | TYPE NAME | TYPE/NAME)")] = None,
                  min_: Annotated[int, typer.Option("--min", help="The lower limit for the number of pods that can be set by the autoscaler. If it's not specified or negative, the server will apply a default value.")] = -1,
                  max_: Annotated[Optional[int], typer.Option("--max", help="The upper limit for the number of pods that can be set by the autoscaler. Required.")] = None,
                  cpu_percent: Annotated[int, typer.Option("--cpu-percent", help="The target average CPU utilization (represented as a percent of requested CPU) over all the pods. If it's not specified or negative, a default autoscaling policy will be used.", hidden=True)] = -1,
                  cpu: Annotated[Optional[str], typer.Option("--cpu", help='Target CPU utilization over all the pods. When specified as a percentage (e.g."70%" for 70% of requested CPU) it will target average utilization. When specified as quantity (e.g."500m" for 500 milliCPU) it will target average value. Value without units is treated as a quantity with miliCPU being the unit (e.g."500" is "500m").')] = None,
                  memory: Annotated[Optional[str], typer.Option("--memory", help='Target memory utilization over all the pods. When specified  as a percentage (e.g."60%" for 60% of requested memory) it will target average utilization. When specified as quantity (e.g."200Mi" for 200 MiB, "1Gi" for 1 GiB) it will target average value. Value without units is treated as a quantity with mebibytes being the unit (e.g."200" is "200Mi").')] = None,
                  name: Annotated[Optional[str], typer.Option("--name", help="The name for the newly created object. If not specified, the name of the input resource will be used.")] = None,
                  namespace: NamespaceOpt = None, filename: FilenameOpt = None, recursive: RecursiveOpt = False,
                  dry_run: DryRunOpt = None, output: OutputOpt = None,
                  save_config: Annotated[bool, typer.Option("--save-config", help="If true, the configuration of current object will be saved in its annotation.")] = False,
                  record: Annotated[bool, typer.Option("--record", hidden=True)] = False,
                  field_manager: Annotated[str, typer.Option("--field-manager", help="Name of the manager used to track field ownership.")] = "kubectl-autoscale",
                  context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Auto-scale a deployment, replica set, stateful set, or replication controller."""
        if max_ is None:
            raise CliError('required flag(s) "max" not set')
        if cpu_percent != -1:
            err(CPU_PERCENT_DEPRECATION)
        inv = common.globals_(namespace, context, kubeconfig)
        run(inv, args, filename, recursive, name, min_, max_, cpu_percent, cpu, memory,
            common.parse_dry_run(dry_run), output)
