"""Kubernetes command/args rules and $(VAR) expansion."""

import pytest

from pkubelet.runtime.command import build_argv, expand, expand_env_list
from pkubelet.runtime.images import ImageEntry

ENV = {"VAR": "value", "EMPTY": "", "POD_IP": "127.244.0.5"}


@pytest.mark.parametrize("text, expected", [
    pytest.param("$(VAR)", "value", id="reference"),
    pytest.param("a-$(VAR)-b", "a-value-b", id="embedded"),
    pytest.param("$(EMPTY)x", "x", id="empty-value"),
    pytest.param("$$(VAR)", "$(VAR)", id="escaped-reference"),
    pytest.param("$$", "$", id="escaped-operator"),
    pytest.param("$$$(VAR)", "$value", id="escape-then-reference"),
    pytest.param("$(UNKNOWN)", "$(UNKNOWN)", id="unknown-left-as-is"),
    pytest.param("$(VAR", "$(VAR", id="unterminated"),
    pytest.param("$VAR", "$VAR", id="shell-style-untouched"),
    pytest.param("cost: 5$", "cost: 5$", id="trailing-dollar"),
    pytest.param("$(VAR)$(POD_IP)", "value127.244.0.5", id="adjacent"),
    pytest.param("no refs", "no refs", id="plain"),
])
def test_expand(text, expected):
    assert expand(text, ENV) == expected


def test_env_entries_may_refer_to_earlier_ones_only():
    env = expand_env_list([("A", "1"), ("B", "$(A)-2"), ("C", "$(D)"), ("D", "4")])
    assert env == {"A": "1", "B": "1-2", "C": "$(D)", "D": "4"}


def test_env_entries_see_base_variables_and_override_them():
    env = expand_env_list([("X", "$(SVC_HOST)"), ("SVC_HOST", "mine")], base={"SVC_HOST": "10.0.0.1"})
    assert env == {"X": "10.0.0.1", "SVC_HOST": "mine"}


IMAGE = ImageEntry("img", entrypoint=("/entry",), cmd=("--default",))


@pytest.mark.parametrize("container, expected", [
    pytest.param({}, ["/entry", "--default"], id="image-defaults"),
    pytest.param({"args": ["--x=$(VAR)"]}, ["/entry", "--x=value"], id="args-replace-cmd"),
    pytest.param({"command": ["run"]}, ["run"], id="command-drops-image-cmd"),
    pytest.param({"command": ["run", "$(VAR)"], "args": ["$$(VAR)"]}, ["run", "value", "$(VAR)"],
                 id="command-and-args"),
    pytest.param({"command": [], "args": []}, ["/entry", "--default"], id="empty-lists-are-unset"),
])
def test_build_argv(container, expected):
    assert build_argv(container, IMAGE, ENV) == expected


def test_unmapped_image_with_a_command_runs_the_command():
    assert build_argv({"command": ["python3", "-V"]}, None, {}) == ["python3", "-V"]


def test_nothing_to_run_is_an_error():
    with pytest.raises(ValueError, match='container "c": no command specified'):
        build_argv({"name": "c"}, ImageEntry("img"), {})


def test_image_aliases_rename_the_program():
    image = ImageEntry("python:3", cmd=("/usr/bin/python3",), aliases=(("python", "/usr/bin/python3"),))
    assert build_argv({"command": ["python", "app.py"]}, image, {}) == ["/usr/bin/python3", "app.py"]
