"""The CPU thread policy settings() applies: one PyTorch thread per core no other program is busy on."""
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from helpers.device import THREADS_VARIABLE, busy_cores, choose_threads, set_cpu_threads
from helpers.course.errors import SettingsError


@pytest.mark.parametrize("cpus, busy, expected", [
    (2, 0.0, 2), (2, 0.3, 2), (2, 0.8, 1), (2, 1.9, 1), (2, 3.5, 1),  # never below one thread
    (8, 2.0, 6), (8, 0.0, 8), (4, None, 4),                            # None: no /proc/stat (macOS, Windows)
])
def test_choose_threads_leaves_busy_cores_alone(cpus, busy, expected):
    assert choose_threads(cpus, busy) == expected


def _stat(busy_ticks: int, idle_ticks: int, cores: int = 2) -> str:
    header = f"cpu  {busy_ticks} 0 0 {idle_ticks} 0 0 0 0 0 0"
    return "\n".join([header, *(f"cpu{i} 0 0 0 0 0 0 0 0 0 0" for i in range(cores)), "intr 0"]) + "\n"


def test_busy_cores_reads_the_difference_of_two_samples(tmp_path, monkeypatch):
    stat = tmp_path / "stat"
    samples = iter([_stat(1000, 1000), _stat(1150, 1050)])  # 150 busy of 200 ticks on 2 cores: 1.5 cores busy
    monkeypatch.setattr(time, "sleep", lambda seconds: stat.write_text(next(samples)))
    stat.write_text(next(samples))
    assert busy_cores(window_s=0.0, stat=str(stat)) == pytest.approx(1.5)


def test_busy_cores_is_none_without_proc_stat(tmp_path):
    assert busy_cores(window_s=0.0, stat=str(tmp_path / "missing")) is None


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs Linux's /proc/stat")
def test_busy_cores_sees_a_process_spinning_beside_us():
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # let it start
        busy = busy_cores(window_s=0.5)
    finally:
        spinner.kill()
        spinner.wait()
    assert busy is not None and busy >= 0.8  # one core spinning (plus whatever else runs)


def test_set_cpu_threads_obeys_the_variable_and_restores_torch(monkeypatch):
    before = torch.get_num_threads()
    try:
        assert set_cpu_threads({THREADS_VARIABLE: "1"}) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("bad", ["0", "two", "-1", "1.5"])
def test_set_cpu_threads_rejects_bad_values_in_one_sentence(bad):
    with pytest.raises(SettingsError, match=f"{THREADS_VARIABLE} must be a whole number of threads"):
        set_cpu_threads({THREADS_VARIABLE: bad})


def test_settings_sets_and_reports_the_thread_count(monkeypatch):
    from helpers.course import config

    config.settings.cache_clear()
    before = torch.get_num_threads()
    monkeypatch.setenv(THREADS_VARIABLE, "1")
    try:
        cfg = config.settings()
        assert cfg.threads == 1 and torch.get_num_threads() == 1
        assert cfg.summary().endswith("(1 CPU thread)")
    finally:
        config.settings.cache_clear()
        torch.set_num_threads(before)


def test_an_omp_num_threads_the_user_set_is_kept():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert set_cpu_threads({"OMP_NUM_THREADS": "1"}) == 1 and torch.get_num_threads() == 1
        assert set_cpu_threads({"OMP_NUM_THREADS": "1", THREADS_VARIABLE: "2"}) == 2  # ours wins when both are set
    finally:
        torch.set_num_threads(before)
