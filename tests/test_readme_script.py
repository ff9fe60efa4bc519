"""The README's "Your own script" example, verbatim: its train.py, its commands."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def section() -> str:
    text = README.read_text()
    return text.split("## Your own script", 1)[1].split("\n## ", 1)[0]


def test_readme_script_example_runs_as_written(tmp_path):
    text = section()
    (code,) = [c for c in re.findall(r"```python\n(.*?)```", text, re.S)
               if c.startswith("# train.py\n")]
    (tmp_path / "train.py").write_text(code)
    (commands,) = re.findall(r"```bash\n(.*?)```", text, re.S)
    ran = 0
    for line in commands.strip().splitlines():
        args = line.split()
        assert args[0] == ".venv/bin/scen"
        if "keras-jax" in args and importlib.util.find_spec("jax") is None:
            continue
        r = subprocess.run([sys.executable, "-m", "scen.cli.main", *args[1:]], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert "softmax_single_unit" in r.stdout  # what the README says it finds
        ran += 1
    assert ran >= 1
    assert len(list(tmp_path.glob("runs/train/*-fit1-torch-fp32-s0/result.json"))) == 1
