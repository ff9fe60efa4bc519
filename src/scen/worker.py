"""One run in a process of its own, on the Keras backend its environment sets:

    python -m scen.worker SPEC RUN_DIR RESULT     a scenario's run (scen.runner starts it)
    python -m scen.worker script SPEC RESULT      a user's script (scen.script starts it)

Its parent sets KERAS_BACKEND, so Keras here is imported on the backend the run asks for.
A scenario's run exits 0 with RESULT written (also for a run interrupted inside training), 2
with `error: ...` as the last line of stderr for a user-facing error, 130 for an interrupt
outside training (RUN_DIR then says so); a script's: see scen.script.worker_main.
"""

import json
import os
import sys

from scen import scenario as scenarios
from scen.observe import die_with_parent, install_interrupt_handlers
from scen.runner import RunSpec, mark_interrupted, run_here


def main(spec_path: str, run_dir: str, result_path: str) -> None:
    install_interrupt_handlers()
    die_with_parent()  # a kill -9 of scen must not leave this worker running
    with open(spec_path) as f:
        spec = RunSpec(**json.load(f))
    try:
        result = run_here(spec, scenarios.get(spec.scenario), run_dir)
    except scenarios.ScenError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        if not os.path.exists(os.path.join(run_dir, "result.json")):
            mark_interrupted(spec, run_dir)
        sys.exit(130)
    with open(result_path, "w") as f:
        f.write(result.to_json())


if __name__ == "__main__":
    if sys.argv[1:2] == ["script"]:
        from scen.script import worker_main

        sys.exit(worker_main(*sys.argv[2:]))
    main(*sys.argv[1:])
