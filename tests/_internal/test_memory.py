"""layerwise._internal.memory: sizes are checked against the memory the process may really use.

The oracle of the limit readers is the files they read, written here by hand (a
``/proc/meminfo``, a ``/proc/self/status``, cgroup v1 and v2 trees); the oracle of the
refusals is a real child process under ``resource.setrlimit(RLIMIT_AS, ...)``, in which a
size that passed the check but did not fit would end in NumPy's MemoryError.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from layerwise._internal import memory as _memory
from layerwise._internal import validation as _validation

GiB = 1 << 30


# ------------------------------------------------------------------ the readers
def test_host_limit_reads_memavailable(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 8000000 kB\nMemFree: 100 kB\nMemAvailable: 2000000 kB\n")
    limit = _memory.host_limit(meminfo)
    assert limit.available == 2000000 * 1024 and "host" in limit.name
    assert _memory.host_limit(tmp_path / "absent").available > 0  # physical memory instead


def test_rlimit_headroom_is_the_limit_less_what_is_used(tmp_path):
    resource = pytest.importorskip("resource")
    status = tmp_path / "status"
    status.write_text("Name: python\nVmSize:  1000 kB\nVmData:  300 kB\n")
    code = textwrap.dedent(
        f"""
        import resource
        from layerwise._internal import memory as _memory
        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, resource.RLIM_INFINITY))
        resource.setrlimit(resource.RLIMIT_DATA, (6 << 30, resource.RLIM_INFINITY))
        for limit in _memory.rlimit_limits({str(status)!r}):
            print(limit.available, limit.name)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    name = "the process limit RLIMIT_AS (ulimit -v, 8.0 GiB)"
    assert lines[0].split(" ", 1) == [str(8 * GiB - 1000 * 1024), name]
    assert lines[1].startswith(f"{6 * GiB - 300 * 1024} the process limit RLIMIT_DATA")
    assert resource.RLIMIT_AS  # the names read above exist on this system


def _cgroup_tree(tmp_path, version: int, limits: dict[str, tuple[str, str]]):
    """A fake cgroup mount with folders ``limits`` (relative path -> (limit, usage))."""
    files = ("memory.max", "memory.current")
    if version == 1:
        files = ("memory.limit_in_bytes", "memory.usage_in_bytes")
    root = tmp_path / "cg"
    for rel, (limit, usage) in limits.items():
        folder = root / rel
        folder.mkdir(parents=True, exist_ok=True)
        (folder / files[0]).write_text(limit + "\n")
        (folder / files[1]).write_text(usage + "\n")
    mountinfo = tmp_path / "mountinfo"
    kind = "cgroup2 cgroup2 rw" if version == 2 else "cgroup cgroup rw,memory"
    mountinfo.write_text(f"35 31 0:32 / {root} rw,relatime - {kind}\n")
    proc = tmp_path / "cgroup"
    proc.write_text("0::/job/step\n" if version == 2 else "4:memory:/job/step\n1:cpu:/\n")
    return proc, mountinfo, root


@pytest.mark.parametrize("version", [1, 2])
def test_cgroup_limit_is_the_tightest_over_the_cgroup_and_its_parents(tmp_path, version):
    unlimited = "max" if version == 2 else str(2**63 - 4096)
    proc, mountinfo, root = _cgroup_tree(
        tmp_path,
        version,
        {
            "": (unlimited, "0"),
            "job": (str(4 * GiB), str(3 * GiB)),
            "job/step": (str(2 * GiB), str(GiB // 2)),
        },
    )
    [limit] = _memory.cgroup_limits(proc, mountinfo, root)
    # the step leaves 1.5 GiB, its parent job only 1 GiB: the parent's limit applies
    assert limit.available == GiB
    name = "memory.max" if version == 2 else "memory.limit_in_bytes"
    assert f"cgroup v{version} {name} (4.0 GiB" in limit.name and str(root / "job") in limit.name


@pytest.mark.parametrize("version", [1, 2])
def test_no_cgroup_limit_where_none_is_set(tmp_path, version):
    unlimited = "max" if version == 2 else str(2**63 - 4096)
    proc, mountinfo, root = _cgroup_tree(tmp_path, version, {"job/step": (unlimited, "123")})
    assert _memory.cgroup_limits(proc, mountinfo, root) == []
    assert _memory.cgroup_limits(tmp_path / "absent", mountinfo, root) == []


def test_cgroup_namespace_reads_the_mount_root(tmp_path):
    # inside a container the cgroup path names a folder the container cannot see
    proc, mountinfo, root = _cgroup_tree(tmp_path, 2, {"": (str(GiB), str(GiB // 4))})
    proc.write_text("0::/kubepods/pod-1234/abc\n")
    [limit] = _memory.cgroup_limits(proc, mountinfo, root)
    assert limit.available == GiB - GiB // 4


def test_the_refusal_names_the_limit_that_applied(monkeypatch):
    tight = _memory.Limit("the container's cgroup v2 memory.max (1.0 GiB, /sys/fs/cgroup)", GiB)
    monkeypatch.setattr(
        _memory, "limits", lambda: [_memory.Limit("the host's available memory", 64 * GiB), tight]
    )
    assert _validation.available_memory() == GiB
    _validation.check_allocation(GiB // 8, "float32", "a small array")  # 512 MiB allowed
    with pytest.raises(ValueError) as info:
        _validation.check_allocation(GiB // 4 + 1, "float32", "a big array")
    text = str(info.value)
    assert text.startswith("a big array needs 1.0 GiB (268,435,457 values of float32)")
    assert "512.0 MiB this process can give it now" in text
    assert "left under the container's cgroup v2 memory.max (1.0 GiB" in text


# ------------------------------------------------------------------ a real limited process
_CHILD = r"""
import json, resource, sys, tempfile
import numpy as np
import layerwise as lw
from layerwise._internal import memory as _memory
from layerwise.cli import main
from layerwise.playground._session import Session
from layerwise.playground._validate import PlaygroundError
import contextlib, io

vm = _memory._status_kib("/proc/self/status")["VmSize"]
resource.setrlimit(resource.RLIMIT_AS, (vm + HEADROOM, resource.RLIM_INFINITY))
out = tempfile.mkdtemp()
X = np.random.default_rng(0).standard_normal((20, 2))
y = np.arange(20) % 2

def cli(*argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main([*argv, "--epochs", "1", "--quiet", "--out", out])
    if status != 2:
        raise AssertionError(f"exit status {status}: {err.getvalue()}")
    raise ValueError(err.getvalue().strip())

def playground():
    s = Session("limited-0001")
    try:
        s.set_state({"units": [10**8]})
    finally:
        s.close()

cases = {
    "Dense": lambda: lw.Sequential([lw.Dense(10**9)], input_dim=2),
    "mlp": lambda: lw.mlp(2, [10**8], 1),
    "widen": lambda: lw.mlp(2, [4], 1, seed=0).widen(0, 10**8),
    "datasets.load": lambda: lw.datasets.load("moons", n_samples=10**8),
    "one_hot": lambda: lw.datasets.one_hot(np.arange(10**4), 10**5),
    "cli --hidden": lambda: cli("train", "moons", "--hidden", "100000000"),
    "cli --n-samples": lambda: cli("train", "moons", "--n-samples", "100000000"),
    "cli compare": lambda: cli("compare", "moons", "--hidden", "4", "100000000"),
    "MLPClassifier": lambda: lw.MLPClassifier(hidden_layer_sizes=(10**8,)).fit(X, y),
    "MLPRegressor": lambda: lw.MLPRegressor(hidden_layer_sizes=(10**8,)).fit(X, y * 1.0),
    "playground units": playground,
}
for name, call in cases.items():
    try:
        call()
        result = ["no error", ""]
    except MemoryError as exc:
        result = ["MemoryError", str(exc)]
    except Exception as exc:
        result = [type(exc).__name__, str(exc)]
    print(json.dumps([name, *result]), flush=True)
# what fits still works under the same limit
model = lw.mlp(2, [64, 32], 1, seed=0)
model.fit(X, y * 1.0, loss="mse", epochs=2, verbose=False)
print(json.dumps(["fits", "ok", ""]))
"""


def test_every_size_taking_entry_point_refuses_cleanly_under_rlimit_as():
    pytest.importorskip("resource")
    pytest.importorskip("sklearn")
    pytest.importorskip("starlette")
    code = _CHILD.replace("HEADROOM", str(512 << 20))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    results = {name: (kind, text) for name, kind, text in map(json.loads, out.stdout.splitlines())}
    assert results.pop("fits") == ("ok", "")
    assert len(results) == 11
    for name, (kind, text) in results.items():
        assert kind in ("ValueError", "PlaygroundError"), (name, kind, text)
        if name == "playground units":  # the page's own width limit comes first
            assert text == "units must be an integer in [1, 32], got 100000000"
        else:
            assert "RLIMIT_AS (ulimit -v" in text, (name, text)
            assert "choose smaller sizes" in text
