"""`python -m scen.script_worker SPEC RESULT`: a user's script in a process of its own.

scen.script starts this with KERAS_BACKEND set, so the script's Keras is on the backend the run
asks for; see scen.script.worker_main for what it writes and its exit status.
"""

import sys

from scen.script import worker_main

if __name__ == "__main__":
    sys.exit(worker_main(*sys.argv[1:]))
