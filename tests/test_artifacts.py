import copy
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from helpers import PLANTED
from interfacegan import config as configuration
from interfacegan import pipeline
from interfacegan.artifacts import ArtifactError, atomic_path, provenance, read_h5, write_h5


def test_round_trip_with_provenance(tmp_path):
    view = pipeline.view(configuration.validate(copy.deepcopy(PLANTED) | {"seed": 5}), "sample")
    write_h5(tmp_path / "a.h5", {"x": np.arange(3), "names": ["a", "b"]}, provenance(view, "sample"))
    got = read_h5(tmp_path / "a.h5")
    np.testing.assert_array_equal(got["x"], np.arange(3))
    assert got["names"] == ["a", "b"]
    assert got["attrs"]["seed"] == 5 and got["attrs"]["generator"] == "planted"
    assert (
        got["attrs"]["config_digest"] == pipeline.content_digest(view, "sample")
        and got["attrs"]["interfacegan_version"]
    )
    assert json.loads(got["attrs"]["config"]) == {k: v for k, v in view.items() if k not in ("run", "files")}
    assert got["attrs"]["files_digest"] == view["files"]  # the content of the checkpoints and photos it rests on


def test_a_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.h5"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_a_killed_writer_leaves_no_complete_looking_file(tmp_path):
    target = tmp_path / "out.h5"
    writer = (
        "import sys, time\n"
        "from interfacegan.artifacts import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n"
        "    tmp.write_text('partial')\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", writer, str(target)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "writing"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == [f"out.h5.tmp.{process.pid}"]


def test_unreadable_artifacts_get_one_clear_error(tmp_path):
    with pytest.raises(ArtifactError, match="not found"):
        read_h5(tmp_path / "missing.h5")
    write_h5(tmp_path / "t.h5", {"x": np.zeros(100_000)}, {})
    data = (tmp_path / "t.h5").read_bytes()
    (tmp_path / "t.h5").write_bytes(data[: len(data) // 3])
    with pytest.raises(ArtifactError, match="unreadable"):
        read_h5(tmp_path / "t.h5")
    write_h5(tmp_path / "u.h5", {"x": np.zeros(3)}, {})
    with pytest.raises(ArtifactError, match="lacks dataset"):
        read_h5(tmp_path / "u.h5", "z")
