"""The bash command suite (tests/cmd/*.sh, in the style of Kubernetes' test/cmd): each
script runs with bash against a fresh PKUBE_HOME and must exit 0."""
from __future__ import annotations

import glob
import os
import subprocess

import pytest

from tests.conftest import BIN_DIR

pytestmark = pytest.mark.e2e
CMD_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cmd")
SUITES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(CMD_DIR, "*.sh")) if not p.endswith("/lib.sh"))


def test_suites_exist():
    assert {"core.sh", "apps.sh"} <= set(SUITES)


@pytest.mark.parametrize("suite", SUITES)
def test_cmd_suite(cluster, suite):
    env = dict(cluster.env, PATH=BIN_DIR + os.pathsep + cluster.env.get("PATH", ""),
               PKUBECTL=os.path.join(BIN_DIR, "pkubectl"))
    r = subprocess.run(["bash", os.path.join(CMD_DIR, suite)], capture_output=True, text=True, env=env,
                       cwd=os.path.dirname(cluster.home), timeout=900)
    assert r.returncode == 0, f"{suite} failed (rc {r.returncode}):\n{r.stdout[-6000:]}\n{r.stderr[-6000:]}"
    assert "tests passed" in r.stdout
