"""A worker dies with the scen that started it, kill -9 of scen included."""

import os
import signal
import subprocess
import sys
import time

WORKER = """
import time
from scen.observe import die_with_parent, install_interrupt_handlers
install_interrupt_handlers()
die_with_parent(poll_seconds=0.1)
try:
    time.sleep(600)
except KeyboardInterrupt:
    raise SystemExit(130)
"""
# The "scen": starts the worker as scen.runner.run_child does (a session of its own, so no
# terminal signal reaches it), prints its pid and waits.
PARENT = """
import subprocess, sys, time
worker = subprocess.Popen([sys.executable, "-c", sys.argv[1]], start_new_session=True)
print(worker.pid, flush=True)
time.sleep(600)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie has ended; only its parent's wait is due
        return f.read().split()[2] != "Z"


def test_a_worker_stops_when_scen_is_killed_with_sigkill():
    parent = subprocess.Popen([sys.executable, "-c", PARENT, WORKER], stdout=subprocess.PIPE,
                              text=True)
    worker = int(parent.stdout.readline())
    time.sleep(1.0)  # the worker's imports and handlers
    assert alive(worker)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(worker), "the worker outlived scen"
