"""README's two commands stay true: CI runs the test command, and the main-job command
(apply the example, wait for the rollout, see it serve) works on a fresh state dir."""
from __future__ import annotations

import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def readme_commands() -> list[str]:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"```bash\n(.+?)\n```", text, re.S)[:2]


def test_ci_runs_the_readme_test_command():
    main_job, test_cmd = readme_commands()
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as f:
        ci = f.read()
    assert test_cmd.strip() in ci


def test_main_job_command_serves(cluster):
    main_job, _ = readme_commands()
    # The install part is what this test run already did; run everything after it,
    # from the repository root, with the daemon allowed (it serves the NodePort).
    steps = main_job.split(" && ")
    after_install = [s for s in steps if not s.startswith(("python3 -m venv", ". .venv", "pip install"))]
    env = dict(cluster.env)
    env.pop("PKUBE_NO_DAEMON", None)
    env["PATH"] = os.path.dirname(__import__("sys").executable) + os.pathsep + env.get("PATH", "")
    r = subprocess.run(["bash", "-c", " && ".join(after_install)], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0:  # say what the cluster saw, so a failure on CI can be read
        seen = subprocess.run(["bash", "-c", "pkubectl get all,endpoints,events -o wide; tail -20 $PKUBE_HOME/daemon.log"],
                              env=env, capture_output=True, text=True, timeout=60)
        raise AssertionError("\n".join((r.stdout, r.stderr, seen.stdout, seen.stderr)))
    assert re.search(r"^hello from hello-[a-z0-9]+-[a-z0-9]{5}$", r.stdout, re.M), r.stdout
