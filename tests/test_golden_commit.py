"""A golden set is written all or nothing: killed (-9) at any file boundary of a commit, the
directory reads, to the next scen that opens it, as the whole old set or the whole new one."""

import json
import subprocess
import sys
import textwrap

import pytest

from scen import golden as g

CASES = [("toy-blobs", f"v{i}", "torch") for i in range(4)]

# The child commits a new set over the old one, and kills itself (SIGKILL: no handler, no
# cleanup) just before its `kill_at`-th file operation: a write, a rename or a removal.
CHILD = textwrap.dedent("""
    import json, os, signal, sys
    from pathlib import Path
    from scen import golden as g

    directory, kill_at = sys.argv[1], int(sys.argv[2])
    count = 0

    def counted(fn):
        def wrapper(*args, **kwargs):
            global count
            count += 1
            if count == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return fn(*args, **kwargs)
        return wrapper

    Path.write_text = counted(Path.write_text)
    Path.unlink = counted(Path.unlink)
    os.replace = counted(os.replace)
    cases = [("toy-blobs", f"v{i}", "torch") for i in range(4)]
    files = {g.path(directory, *c): json.dumps({"set": "new"}) for c in cases[1:]}
    g.commit(directory, files, remove=[g.path(directory, *cases[0])])
    print("operations", count)
""")


def old_set(directory) -> None:
    g.commit(directory, {g.path(directory, *c): json.dumps({"set": "old"}) for c in CASES})


def read_set(directory) -> list:
    return [(g.load(directory, *c) or {}).get("set") for c in CASES]


def test_a_commit_killed_at_any_file_boundary_leaves_the_old_set_or_the_new(tmp_path):
    full = tmp_path / "full"
    old_set(full)
    done = subprocess.run([sys.executable, "-c", CHILD, str(full), "0"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    operations = int(done.stdout.split()[-1])
    assert read_set(full) == [None, "new", "new", "new"]
    seen = set()
    for kill_at in range(1, operations + 1):
        directory = tmp_path / f"killed-{kill_at}"
        old_set(directory)
        child = subprocess.run([sys.executable, "-c", CHILD, str(directory), str(kill_at)],
                               capture_output=True, text=True, timeout=120)
        assert child.returncode == -9, child.stderr
        state = read_set(directory)
        assert state in (["old"] * 4, [None, "new", "new", "new"]), (kill_at, state)
        seen.add(tuple(state))
        assert not list(directory.rglob("*.new")) and not (directory / g.JOURNAL).exists()
    assert len(seen) == 2  # kills before the commit point and after it were both tried


def test_an_interrupt_while_staging_changes_no_file(tmp_path, monkeypatch):
    old_set(tmp_path)
    calls = []

    def interrupted(self, text):
        calls.append(self)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, text)

    original = type(tmp_path).write_text
    monkeypatch.setattr(type(tmp_path), "write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        g.commit(tmp_path, {g.path(tmp_path, *c): "{}" for c in CASES})
    monkeypatch.undo()
    assert read_set(tmp_path) == ["old"] * 4 and not list(tmp_path.rglob("*.new"))
