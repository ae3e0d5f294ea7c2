"""`cp`: copy files and directories to and from containers, the way kubectl does it.

kubectl runs `tar` in the container through exec and does the other half itself; so does
this, through the runtime's exec (pkubelet/runtime/exec.py), which runs the command with
the container's env and inside its private mount namespace when it has one — so a path is
the container's view (a volume at its mountPath), not the host's. Hence kubectl's rules
carry over unchanged:

- `SRC POD:DIR` where DIR is a directory in the container copies into DIR/basename(SRC),
  else to the path itself; local globs are expanded; empty directories are kept;
- `POD:PATH DEST` writes PATH's contents at DEST (a directory's files go under DEST, not
  DEST/basename); entries that would land outside DEST, and symlinks, are skipped with
  kubectl's warnings; `tar`'s own messages (e.g. "Removing leading `/'") go to stdout, as
  kubectl passes them;
- a failing `tar` ends the command as exec does: `command terminated with exit code N`.

--retries exists for kubectl's resumable download over a flaky API connection; here the
copy never leaves the machine, so there is nothing to resume and the flag is accepted only.
"""
from __future__ import annotations

import glob
import os
import posixpath
import subprocess
import sys
import tarfile
import threading
from typing import Annotated, NamedTuple, Optional

import typer

from pkubectl.cli import common
from pkubectl.cli.common import CliError, ContainerOpt, ContextOpt, KubeconfigOpt, NamespaceOpt, err

SPEC_FORMAT = "filespec must match the canonical format: [[namespace/]pod:]file/path"


class FileSpec(NamedTuple):
    namespace: str
    pod: str  # "" for a local path
    path: str


def parse_spec(arg: str) -> FileSpec:
    """kubectl's extractFileSpec: `[[namespace/]pod:]path`."""
    i = arg.find(":")
    if i == 0:
        raise CliError(SPEC_FORMAT)
    if i < 0:
        return FileSpec("", "", arg)
    pod, path = arg[:i], arg[i + 1:]
    pieces = pod.split("/")
    if len(pieces) > 2:
        raise CliError(SPEC_FORMAT)
    return FileSpec(pieces[0] if len(pieces) == 2 else "", pieces[-1], path)


def strip_shortcuts(path: str) -> str:
    """kubectl's stripPathShortcuts: no leading `../`, no bare `.`/`..`, no leading `/`."""
    while path.startswith("../"):
        path = path[3:]
    if path in (".", ".."):
        path = ""
    return path[1:] if path.startswith("/") else path


# -- the container side ---------------------------------------------------------------
class Target(NamedTuple):
    namespace: str
    pod: str
    record: object  # the container's process.RunRecord


def container_target(inv, spec: FileSpec, container: str | None) -> Target:
    from pkubectl.api import registry
    from pkubectl.cli.pods import default_container, find_container, running_run

    namespace = spec.namespace or inv.namespace
    pod = inv.api.get(registry.by_kind("Pod"), namespace, spec.pod)
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        raise CliError(f"cannot exec into a container in a completed pod; current phase is {phase}")
    if container and find_container(pod, container) is None:
        raise CliError(f"container {container} not found in pod {spec.pod}")
    name = container or default_container(pod)
    record = running_run(inv.home, pod, name) if (pod.get("spec") or {}).get("nodeName") else None
    if record is None:
        raise CliError(f'unable to upgrade connection: container not found ("{name}")')
    return Target(namespace, spec.pod, record)


def start_in(target: Target, argv: list[str], **popen_kw) -> subprocess.Popen:
    from pkubelet.runtime import exec as rexec

    try:
        return rexec.popen_in(target.record, argv, **popen_kw)
    except rexec.ExecError as e:
        raise CliError(f"Internal error occurred: error executing command in container: {e.message}") from None


class Terminated(Exception):
    """The command in the container exited non-zero (kubectl exits with its code)."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def _finish(proc: subprocess.Popen) -> None:
    code = proc.wait()
    code = 128 - code if code < 0 else code
    if code:
        raise Terminated(code)


# -- local -> container ---------------------------------------------------------------
def add_to_tar(tar: tarfile.TarFile, src_dir: str, src_file: str, dest_file: str) -> None:
    """kubectl's recursiveTar: every match of src_dir/src_file, named dest_file in the archive."""
    for path in sorted(glob.glob(os.path.join(src_dir, src_file))) or [os.path.join(src_dir, src_file)]:
        info = tar.gettarinfo(path, arcname=dest_file)
        if info.isdir():
            entries = sorted(os.listdir(path))
            if not entries:
                tar.addfile(info)
            for entry in entries:
                add_to_tar(tar, src_dir, os.path.join(src_file, entry), posixpath.join(dest_file, entry))
            return
        if info.isreg():
            with open(path, "rb") as f:
                tar.addfile(info, f)
        else:
            tar.addfile(info)


def copy_to_pod(inv, src: FileSpec, dest: FileSpec, container: str | None, no_preserve: bool) -> None:
    if not os.path.lexists(src.path):
        raise CliError(f"{src.path} doesn't exist in local filesystem")
    target = container_target(inv, dest, container)
    dest_path = dest.path
    probe = start_in(target, ["test", "-d", dest_path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if probe.wait() == 0:  # an existing directory: copy into it
        dest_path = posixpath.join(dest_path, os.path.basename(os.path.normpath(src.path)))
    src_clean, dest_clean = os.path.normpath(src.path), posixpath.normpath(dest_path)
    argv = ["tar", "--no-same-permissions", "--no-same-owner", "-xmf", "-"] if no_preserve else ["tar", "-xmf", "-"]
    dest_dir = posixpath.dirname(dest_clean)
    if dest_dir:
        argv += ["-C", dest_dir]
    proc = start_in(target, argv, stdin=subprocess.PIPE)
    failure: list[BaseException] = []

    def feed() -> None:
        try:
            with tarfile.open(fileobj=proc.stdin, mode="w|", format=tarfile.GNU_FORMAT) as tar:
                add_to_tar(tar, os.path.dirname(src_clean), os.path.basename(src_clean),
                           posixpath.basename(dest_clean))
        except BrokenPipeError:
            pass  # tar in the container stopped reading: its exit code says why
        except OSError as e:
            failure.append(e)
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    writer.join()
    _finish(proc)
    if failure:
        raise CliError(str(failure[0]))


# -- container -> local ---------------------------------------------------------------
def _inside(dest: str, path: str) -> bool:
    rel = os.path.relpath(path, dest)
    return rel == "." or not (rel == ".." or rel.startswith(".." + os.sep))


def copy_from_pod(inv, src: FileSpec, dest: FileSpec, container: str | None) -> None:
    target = container_target(inv, src, container)
    # tar's stderr goes to our stdout, as kubectl wires it
    proc = start_in(target, ["tar", "cf", "-", src.path], stdout=subprocess.PIPE, stderr=sys.stdout.buffer)
    prefix = strip_shortcuts(posixpath.normpath(src.path.lstrip("/")))
    warned_symlink = False
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                if not member.name.startswith(prefix):
                    raise CliError("tar contents corrupted")
                rest = posixpath.normpath("/" + member.name[len(prefix):]).lstrip("/")
                target_path = os.path.normpath(os.path.join(dest.path, rest))
                if not _inside(os.path.normpath(dest.path), target_path):
                    err(f'warning: file "{target_path}" is outside target destination, skipping')
                    continue
                os.makedirs(os.path.dirname(target_path) or ".", mode=0o755, exist_ok=True)
                if member.isdir():
                    os.makedirs(target_path, mode=0o755, exist_ok=True)
                elif member.issym() or member.islnk():
                    if not warned_symlink:
                        err(f'warning: skipping symlink: "{target_path}" -> "{member.linkname}" (consider using '
                            f'"pkubectl exec -n "{target.namespace}" "{target.pod}" -- tar cf - "{src.path}" | '
                            f'tar xf -")')
                        warned_symlink = True
                    else:
                        err(f'warning: skipping symlink: "{target_path}" -> "{member.linkname}"')
                elif member.isreg():
                    data = tar.extractfile(member)
                    with open(target_path, "wb") as f:
                        while chunk := data.read(1 << 20):
                            f.write(chunk)
    except tarfile.ReadError:
        pass  # nothing (or not a tar) came out: tar's exit code tells what happened
    finally:
        proc.stdout.close()
    _finish(proc)


def run_cp(inv, args: list[str], container: str | None, no_preserve: bool) -> int:
    if len(args) != 2:
        raise CliError("source and destination are required")
    src, dest = parse_spec(args[0]), parse_spec(args[1])
    if src.pod and dest.pod:
        raise CliError("one of src or dest must be a local file specification")
    if not src.path or not dest.path:
        raise CliError("filepath can not be empty")
    try:
        if src.pod:
            copy_from_pod(inv, src, dest, container)
        elif dest.pod:
            copy_to_pod(inv, src, dest, container, no_preserve)
        else:
            raise CliError("one of src or dest must be a remote file specification")
    except Terminated as t:
        sys.stdout.flush()
        err(f"command terminated with exit code {t.code}")
        return t.code
    return 0


def register(app: typer.Typer) -> None:
    @app.command("cp")
    def cp(args: Annotated[Optional[list[str]], typer.Argument(help="<file-spec-src> <file-spec-dest>")] = None,
           container: ContainerOpt = None,
           no_preserve: Annotated[bool, typer.Option("--no-preserve", help="The copied file/directory's ownership and permissions will not be preserved in the container")] = False,
           retries: Annotated[int, typer.Option("--retries", help="Set number of retries to complete a copy operation from a container. Specify 0 to disable or any negative value for infinite retrying. The default is 0 (no retry).")] = 0,
           namespace: NamespaceOpt = None, context: ContextOpt = None, kubeconfig: KubeconfigOpt = None):
        """Copy files and directories to and from containers."""
        inv = common.globals_(namespace, context, kubeconfig)
        code = run_cp(inv, args or [], container, no_preserve)
        sys.stdout.flush()
        if code:
            raise typer.Exit(code)
