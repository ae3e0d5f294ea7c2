"""The image catalog: built-in mappings, user config, and the unmapped-image message."""

import shutil

import pytest

from pkubelet.runtime import images


@pytest.mark.parametrize("image", [
    "busybox", "busybox:1.36", "docker.io/library/busybox:latest", "docker.io/busybox",
    "alpine:3.20", "ubuntu", "debian:bookworm-slim", "busybox@sha256:" + "0" * 64,
])
def test_shell_images_run_sh(image):
    entry = images.resolve(image)
    assert (entry.entrypoint, entry.cmd) == ((), ("sh",))
    assert entry.pulled_message() == 'Successfully pulled image "%s" in 0s (mapped to %s)' % (
        image, shutil.which("sh"))


@pytest.mark.parametrize("image", ["registry.k8s.io/pause:3.9", "k8s.gcr.io/pause", "registry.k8s.io/pause"])
def test_pause_sleeps_forever(image):
    assert images.resolve(image).cmd == ("sleep", "infinity")


def test_python_is_the_host_python3_and_answers_to_python():
    entry = images.resolve("python:3.12-slim")
    assert entry.cmd[0].endswith("python3")
    assert dict(entry.aliases)["python"] == entry.cmd[0]


def test_similar_names_do_not_match():
    for image in ("myorg/busybox", "busyboxy", "example.com/nginx"):
        with pytest.raises(images.ImageNotMapped):
            images.resolve(image)


def test_unmapped_image_says_how_to_map_it(tmp_path):
    config = str(tmp_path / "images.yaml")
    with pytest.raises(images.ImageNotMapped) as info:
        images.resolve("myorg/app:1.0", config)
    assert info.value.reason == "ErrImagePull"
    assert info.value.message == (
        'image "myorg/app:1.0" has no local entrypoint: pkube runs containers as host processes. '
        "Give the container a `command`, or map the image in %s: "
        'images: {"myorg/app:*": {entrypoint: ["/path/to/program"], cmd: []}}' % config)


def test_missing_host_program_is_reported(monkeypatch):
    monkeypatch.setattr(images.shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(images.ImageNotMapped, match='maps to the host program "redis-server", which is not installed'):
        images.resolve("redis:7")


def test_user_config_adds_and_overrides(tmp_path):
    config = tmp_path / "images.yaml"
    config.write_text(
        'images:\n'
        '  "myorg/app:*": {entrypoint: ["/opt/app"], cmd: ["--serve"], workingDir: /srv, env: {MODE: x}}\n'
        '  busybox: {cmd: ["/bin/true"]}\n')
    app = images.resolve("myorg/app:2", str(config))
    assert (app.entrypoint, app.cmd, app.working_dir, app.env) == (
        ("/opt/app",), ("--serve",), "/srv", (("MODE", "x"),))
    assert app.source == "mapped by %s" % config
    assert images.resolve("myorg/app", str(config)).entrypoint == ("/opt/app",)  # :latest
    assert images.resolve("busybox:1.36", str(config)).cmd == ("/bin/true",)


def test_the_snippet_in_the_message_is_valid_config(tmp_path):
    import yaml

    with pytest.raises(images.ImageNotMapped) as info:
        images.resolve("localhost:5000/tool:dev")
    snippet = info.value.message.split(": ", 2)[-1]
    config = tmp_path / "images.yaml"
    config.write_text(snippet.replace("/path/to/program", "/bin/echo"))
    assert yaml.safe_load(snippet)["images"]
    assert images.resolve("localhost:5000/tool:dev", str(config)).entrypoint == ("/bin/echo",)


def test_an_unmapped_image_is_fine_when_the_container_has_a_command():
    assert images.resolve_for_container({"image": "myorg/app:1", "command": ["/bin/true"]}) is None
    assert images.resolve_for_container({"image": "busybox", "command": ["sh"]}).cmd == ("sh",)
    with pytest.raises(images.ImageNotMapped):
        images.resolve_for_container({"image": "myorg/app:1", "args": ["x"]})
