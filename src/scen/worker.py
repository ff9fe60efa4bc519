"""`python -m scen.worker SPEC RUN_DIR RESULT`: one run in a process of its own.

scen.runner starts this with KERAS_BACKEND already set, so Keras here is imported on the
backend the run asks for.
"""

import json
import sys

from scen import scenario as scenarios
from scen.runner import RunSpec, run_here


def main(spec_path: str, run_dir: str, result_path: str) -> None:
    with open(spec_path) as f:
        spec = RunSpec(**json.load(f))
    result = run_here(spec, scenarios.get(spec.scenario), run_dir)
    with open(result_path, "w") as f:
        f.write(result.to_json())


if __name__ == "__main__":
    main(*sys.argv[1:])
