"""Find and run the installed console scripts (spinelraft-server, spinelraft-admin)."""
import os
import shutil
import subprocess
import sys

from tests.conftest import REPO


def console_script(name: str) -> str:
    """The script `pip install -e .` put beside this interpreter (the venv), else on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(beside):
        return beside
    found = shutil.which(name)
    assert found, "%s is not installed (pip install -e .)" % name
    return found


def run_script(name: str, *args, timeout_s: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([console_script(name), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout_s, stdin=subprocess.DEVNULL)
