"""Hostile submissions graded in one batch together with a correct one: each is contained, scored only on
what it really computed, and the correct submission's report is the one it gets alone."""
import fcntl
import json
import os
import shutil
import socket
import textwrap
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from autograder import paths
from autograder.cohort.batch import run_batch
from autograder.config import Config
from autograder.grading.report import without_measurements
from autograder.sandbox.runner import Limits
from autograder.sandbox.confinement import namespaces_available

from conftest import REFERENCE

pytestmark = pytest.mark.slow
SELECT = ("relu_*", "affine_forward*", "affine_backward*")
CONFIG = Config(select=SELECT, limits=Limits(check_seconds=3, startup_seconds=5, memory_bytes=1024**3))
MARK = "AUTOGRADER_TEST_LEFTOVER"
# True where the child runs in namespaces (namespaces_available() gives '' then). Without them only the resource
# limits hold: writing outside the scratch folder and filling the disk are then possible, and the submissions
# that try may lose the points their tampering costs them.
ISOLATED = not namespaces_available()


def _relu(body):
    return f"def relu_forward(x):\n{textwrap.indent(textwrap.dedent(body), '    ')}\n"


HOSTILE = {
    # name: (code appended to layers.py, functions that may lose points)
    "loop_in_function": (_relu("while True:\n    pass"), {"relu_forward", "relu_backward"}),
    "loop_at_import": ("while True:\n    pass\n", "all"),
    "sleep_forever": (_relu("import time\ntime.sleep(10**6)"), {"relu_forward", "relu_backward"}),
    "memory_exhaustion": (_relu("import numpy as np\nblocks = []\nwhile True:\n    blocks.append(np.ones(10**8))"),
                          {"relu_forward", "relu_backward"}),
    "fork_and_leave_processes": (_relu(f"""
        import os, subprocess
        for _ in range(20):
            subprocess.Popen(["sleep", "1000"], start_new_session=True, env={{"{MARK}": "1"}})
        for _ in range(200):
            try:
                if os.fork() == 0:
                    import time; time.sleep(1000)
            except OSError:
                break
        return x.clip(min=0), x"""), {"relu_forward", "relu_backward"}),
    "sys_exit": (_relu("import sys\nsys.exit(1)"), {"relu_forward", "relu_backward"}),
    "os_exit": (_relu("import os\nos._exit(0)"), {"relu_forward", "relu_backward"}),
    "segfault": (_relu("import ctypes\nctypes.string_at(0)"), {"relu_forward", "relu_backward"}),
    "kill_parent": (_relu("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nreturn x.clip(min=0), x"),
                    {"relu_forward", "relu_backward"}),
    # relu_forward answers, then its process dies a moment later, during whichever check runs next: an affine check
    # that dies so is run again in a new process and keeps its points (tests/test_runner_retry.py: deterministic).
    "delayed_self_kill": (_relu("import os, signal, threading\n"
                                "if not getattr(os, 'armed', False):\n"
                                "    os.armed = True\n"
                                "    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGKILL)).start()\n"
                                "return x.clip(min=0), x"), {"relu_forward", "relu_backward"}),
    "print_hundreds_of_mb": (_relu("import os\nchunk = 'x' * (1 << 20)\nfor _ in range(100):\n    print(chunk)\n"
                                   "    os.write(1, chunk.encode())\nreturn x.clip(min=0), x"), {"relu_forward", "relu_backward"}),
    "monkeypatch_numpy": ("import numpy as _np\n_np.allclose = lambda *a, **k: True\n_np.max = lambda *a, **k: 0.0\n"
                          "_np.abs = lambda x, *a, **k: x * 0\n" + _relu("return x * 0, x"),
                          {"relu_forward", "relu_backward"}),
    "patch_comparison_helpers": ("try:\n    import autograder.catalog.judges as _c\n    _c.rel_error = lambda *a: 0.0\n"
                                 "except Exception:\n    pass\n" + _relu("return x, x"), {"relu_forward", "relu_backward"}),
    "read_fixtures_and_reference": (_relu(f"""
        import numpy as np
        for path in {[str(REFERENCE / "cs231n" / "layers.py"), str(REFERENCE.parent / "fixtures" / "hidden.npz")]!r}:
            with open(path, "rb") as handle:
                handle.read()
        return x.clip(min=0), x"""), {"relu_forward", "relu_backward"}),
    "write_into_grader_and_reports": (_relu("""
        import os
        for path in TARGETS:
            try:
                with open(path, "w") as handle:
                    handle.write("pwned")
            except OSError:
                pass
        return x.clip(min=0), x"""), set()),
    "network_connection": (_relu("""
        import socket
        socket.create_connection(("127.0.0.1", PORT), timeout=2).sendall(b"leak")
        return x.clip(min=0), x"""), {"relu_forward", "relu_backward"}),
    "fill_the_disk_with_many_files": (_relu("""
        import os
        written = 0
        if os.path.exists("fill0.bin"):  # filled already by an earlier check in this child
            return x.clip(min=0), x
        try:
            for i in range(20):  # 1 GB in files of 50 MB, each below the file-size limit
                with open(f"fill{i}.bin", "wb") as handle:
                    handle.write(b"x" * (50 << 20))
                written += 50 << 20
        except OSError:
            pass
        if written > 512 << 20:  # the sandbox let it through: make it visible in the score
            return x * 0, x
        return x.clip(min=0), x"""), {"relu_forward", "relu_backward"} if not ISOLATED else set()),
    "write_to_dev_and_cgroups": (_relu("""
        import os
        escaped = []
        for path in ("/dev/autograder_leak", "/sys/fs/cgroup/pids/autograder_escape", "/sys/fs/cgroup/escape"):
            try:
                if path.startswith("/sys"):
                    os.mkdir(path)
                    os.rmdir(path)
                else:
                    with open(path, "w") as handle:
                        handle.write("x")
                    os.unlink(path)
                escaped.append(path)
            except OSError:
                pass
        if escaped:
            return x * 0, x
        return x.clip(min=0), x"""), {"relu_forward", "relu_backward"} if not ISOLATED else set()),
    "hard_coded_notebook_outputs": ("""
import numpy as _np
def affine_forward(x, w, b):
    out = _np.array([[1.49834967, 1.70660132, 1.91485297], [3.25553199, 3.5141327, 3.77273342]])
    return out, (x, w, b)
""", {"affine_forward", "affine_backward"}),
    "garbage_on_the_protocol_channel": ("import os as _os\nfor _fd in range(3, 12):\n    try:\n"
                                        "        _os.write(_fd, b'\\xff' * 64)\n    except OSError:\n        pass\n",
                                        "all"),
}


def _write(root, code):
    paths.copy_reference_package(root / "cs231n")
    with open(root / "cs231n" / "layers.py", "a") as handle:
        handle.write("\n\n" + code)


@pytest.fixture(scope="module")
def listener():
    """A loopback server that records whether anything connected (the network test's target)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    got = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                got.append(conn.recv(16))
                conn.close()
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], got
    stop.set()
    thread.join(2)
    server.close()


def _leftovers():
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and MARK.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory, listener):
    """Every hostile submission and a correct one graded in one batch (-j 2), then the correct one alone.

    Under ``pytest -n`` the tests of this module may land on several workers: the first one to get here grades
    (holding a lock), and writes what the tests need to a JSON file that the others read."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the session's folder, above every worker's own (without xdist: shared by sessions)
    with open(shared / "hostile.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        summary = shared / "hostile.json"
        if not summary.exists():
            data = _grade_hostile_batch(tmp_path_factory.mktemp("hostile"), listener)
            tmp = summary.with_suffix(".tmp")
            tmp.write_text(json.dumps(data))
            tmp.replace(summary)
    return SimpleNamespace(**json.loads(summary.read_text()))


def _grade_hostile_batch(tmp, listener):
    port, connections = listener
    subs, out, alone = tmp / "subs", tmp / "out", tmp / "alone"
    victims = [out / "correct" / "results.json", Path(__file__).resolve().parents[1] / "autograder" / "grading" / "pipeline.py",
               REFERENCE.parent / "fixtures" / "public.npz"]
    before = {p: p.read_bytes() for p in victims[1:]}
    _write(subs / "correct", "")
    for name, (code, _) in HOSTILE.items():
        code = code.replace("PORT", str(port)).replace("TARGETS", repr([str(v) for v in victims]))
        _write(subs / name, code)
    result = run_batch(subs, out, jobs=2, config=CONFIG, progress=False)
    leftovers = _leftovers()
    solo = tmp / "solo"  # the correct submission alone: no hostile one graded before or beside it
    shutil.copytree(subs / "correct", solo / "correct")
    correct_alone = run_batch(solo, alone, jobs=1, config=CONFIG, progress=False)
    reports = {name: json.loads((out / name / "results.json").read_text()) for name in ["correct", *HOSTILE]}
    return {"graded": sorted(result.graded), "graded_alone": sorted(correct_alone.graded), "reports": reports,
            "correct_alone": json.loads((alone / "correct" / "results.json").read_text()),
            "correct_final": json.loads((out / "correct" / "results.json").read_text()),
            "full": reports["correct"]["max_score"], "untouched": all(p.read_bytes() == before[p] for p in before),
            "connections": len(connections), "leftovers": leftovers}


def test_every_submission_is_graded_and_the_correct_one_as_if_alone(batch):
    assert batch.graded == sorted(["correct", *HOSTILE])
    assert batch.graded_alone == ["correct"]
    correct, same_alone = without_measurements(batch.reports["correct"]), without_measurements(batch.correct_alone)
    assert correct["score"] == batch.full > 0
    assert correct == same_alone
    assert batch.correct_final["score"] == batch.full


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_submission_is_contained_and_scored_on_what_it_computed(batch, name):
    data, allowed = batch.reports[name], HOSTILE[name][1]
    lost = {t["name"].split(":")[0] for t in data["tests"] if t["status"] == "failed"}
    if allowed == "all":
        assert data["score"] < batch.full
    else:
        assert lost <= allowed, lost
        assert data["score"] == batch.full or lost
    if name in ("loop_in_function", "sleep_forever"):
        assert any("time limit of 3 s exceeded" in t["output"] for t in data["tests"])
        # relu_forward costs its time limit once: the later checks that call it are not run, and say so
        assert any(t["output"] == "not checked: relu_forward timed out in an earlier check" for t in data["tests"])
        waited = data["extra_data"]["timings"]["cases"].values()
        assert 3 <= sum(waited) < 4.5, sorted(waited)
    if name in ("hard_coded_notebook_outputs", "monkeypatch_numpy", "patch_comparison_helpers"):
        assert data["score"] < batch.full
    if name == "fork_and_leave_processes":
        assert not batch.leftovers, "processes started by a submission outlived the batch"
        assert not _leftovers()
    if name in ("read_fixtures_and_reference", "network_connection", "write_into_grader_and_reports"):
        reason = namespaces_available()
        if reason:
            pytest.skip(f"namespaces unavailable ({reason}): reading, writing and network are not blocked")
        if name == "read_fixtures_and_reference":
            assert data["score"] < batch.full
        elif name == "network_connection":
            assert not batch.connections, "a child reached a loopback server outside its network namespace"
        else:
            assert batch.untouched, "a submission wrote into the grader's package or the fixtures"
