"""The image catalog: what "pulling" an image means when containers are host processes.

There is no registry. An image name maps to a local ENTRYPOINT/CMD (as in a Dockerfile),
for example busybox -> /bin/sh and python:3.12 -> the host's python3. The built-in table
below covers the images that Kubernetes examples use; users add or override entries in a
YAML file (the kubelet passes its path, e.g. $PKUBE_HOME/images.yaml):

    images:
      "myorg/app:*": {entrypoint: ["/opt/app/bin/app"], cmd: ["--serve"], workingDir: /opt/app}

Patterns are shell globs matched against the image name in several spellings (as written,
without registry, without "library/", with and without tag), so "nginx" also matches
"docker.io/library/nginx:1.27". A pattern without a tag matches every tag.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import shutil
import sys


@dataclasses.dataclass(frozen=True)
class ImageEntry:
    """An image's local meaning: Docker's ENTRYPOINT, CMD, WORKDIR and ENV."""

    image: str
    entrypoint: tuple = ()
    cmd: tuple = ()
    working_dir: str | None = None
    env: tuple = ()  # (name, value) pairs, applied before the container's own env
    aliases: tuple = ()  # (name, host path): e.g. "python" on an image that has it, not the host
    source: str = ""  # how it was mapped, for the Pulled event

    def pulled_message(self) -> str:
        """The message of the kubelet's "Pulled" event."""
        return 'Successfully pulled image "%s" in 0s (%s)' % (self.image, self.source)


class ImageNotMapped(Exception):
    """No local entrypoint for an image: the pod waits with reason ErrImagePull."""

    reason = "ErrImagePull"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _python3() -> str:
    # The host python3 rather than sys.executable: a venv's python would expose pkube's own
    # packages to the container. sys.executable only when no python3 is on PATH.
    return shutil.which("python3") or sys.executable


# pattern -> (cmd, host program that must exist).  ENTRYPOINT is empty for all of these,
# as in the official images, so `args` replaces the whole command line.  The program is
# looked up lazily: a catalog entry whose program is missing is reported, not hidden.
BUILTIN = {
    "busybox": (["sh"], "sh"),
    "alpine": (["sh"], "sh"),
    "ubuntu": (["sh"], "sh"),
    "debian": (["sh"], "sh"),
    "python": (["python3"], "python3"),
    "registry.k8s.io/pause": (["sleep", "infinity"], "sleep"),
    "k8s.gcr.io/pause": (["sleep", "infinity"], "sleep"),
    "gcr.io/google_containers/pause*": (["sleep", "infinity"], "sleep"),
    "nginx": (["nginx", "-g", "daemon off;"], "nginx"),
    "redis": (["redis-server"], "redis-server"),
    "node": (["node"], "node"),
    "perl": (["perl"], "perl"),
    "bash": (["bash"], "bash"),
}

# Programs that official images have under another name than the host may.
ALIASES = {
    "python3": (("python", "python3"), _python3),
}


def spellings(image: str) -> list:
    """The names an image can be matched by, most specific first."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    repo, tag = (name[:colon], name[colon + 1:]) if colon > slash else (name, "latest")
    first, _, rest = repo.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = "docker.io", repo
    if registry == "docker.io" and "/" not in path:
        path = "library/" + path
    short = path[len("library/"):] if registry == "docker.io" and path.startswith("library/") else path
    names = [image, name, f"{registry}/{path}:{tag}", f"{path}:{tag}", f"{short}:{tag}"]
    names += [f"{registry}/{path}", path, short]
    return list(dict.fromkeys(names))


def _matches(pattern: str, names: list) -> bool:
    # spellings() includes tagless names, so a pattern without a tag matches every tag.
    return any(fnmatch.fnmatchcase(name, pattern) for name in names)


_user_cache: dict = {}


def load_user_config(path: str | None) -> dict:
    """The `images:` mapping of the user's config file ({} when absent); cached by mtime."""
    if not path:
        return {}
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return {}
    cached = _user_cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    import yaml

    with open(path) as f:
        doc = yaml.safe_load(f) or {}
    images = doc.get("images") or {} if isinstance(doc, dict) else {}
    if not isinstance(images, dict):
        raise ImageNotMapped("%s: `images` must be a mapping of image pattern to entry" % path)
    _user_cache[path] = (mtime, images)
    return images


def resolve(image: str, user_config_path: str | None = None) -> ImageEntry:
    """The local entry for ``image``; raises ImageNotMapped with instructions when none fits."""
    names = spellings(image)
    for pattern, spec in load_user_config(user_config_path).items():
        if _matches(str(pattern), names):
            spec = spec or {}
            return ImageEntry(
                image=image,
                entrypoint=tuple(str(a) for a in spec.get("entrypoint") or ()),
                cmd=tuple(str(a) for a in spec.get("cmd") or ()),
                working_dir=spec.get("workingDir"),
                env=tuple((str(k), str(v)) for k, v in (spec.get("env") or {}).items()),
                source="mapped by %s" % user_config_path)
    for pattern, (cmd, program) in BUILTIN.items():
        if _matches(pattern, names):
            return _builtin_entry(image, pattern, cmd, program, user_config_path)
    raise ImageNotMapped(
        'image "%s" has no local entrypoint: pkube runs containers as host processes. '
        "Give the container a `command`, or map the image in %s: %s"
        % (image, user_config_path or "the images config file", _snippet(image)))


def resolve_for_container(container: dict, user_config_path: str | None = None) -> ImageEntry | None:
    """The image entry for a container spec; None when the image is unmapped but the
    container has its own `command` (then that command runs as a host program).
    Raises ImageNotMapped only when there would be nothing to run."""
    try:
        return resolve(str(container.get("image") or ""), user_config_path)
    except ImageNotMapped:
        if container.get("command"):
            return None
        raise


def _builtin_entry(image, pattern, cmd, program, user_config_path) -> ImageEntry:
    alias_names, find = ALIASES.get(program, ((), None))
    path = find() if find else shutil.which(program)
    if not path:
        raise ImageNotMapped(
            'image "%s" maps to the host program "%s", which is not installed. Install it, '
            "give the container a `command`, or map the image in %s: %s"
            % (image, program, user_config_path or "the images config file", _snippet(image)))
    aliases = tuple((name, path) for name in alias_names)
    if aliases and cmd[0] == program:
        cmd = [path] + cmd[1:]
    return ImageEntry(image=image, cmd=tuple(cmd), aliases=aliases,
                      source="mapped to %s" % path)


def _snippet(image: str) -> str:
    """A one-line YAML snippet (flow style, so it fits in an event) mapping the image."""
    name = image.split("@", 1)[0]
    colon = name.rfind(":")
    repo = name[:colon] if colon > name.rfind("/") else name
    return 'images: {"%s:*": {entrypoint: ["/path/to/program"], cmd: []}}' % repo
