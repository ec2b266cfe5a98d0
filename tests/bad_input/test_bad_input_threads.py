"""Bad input to the CPU thread policy (helpers.device): one sentence naming the argument."""
import pytest

from bad_input import assert_rejects, bad, case_id
from helpers import device
from helpers.course.errors import SettingsError

CASES = [
    bad(device.busy_cores, "type", "window_s", "0.3"),
    bad(device.busy_cores, "range", "window_s", -1.0),
    bad(device.busy_cores, "type", "stat", 0.1, 42),
    bad(device.choose_threads, "type", "cpus", 2.0, 0.0),
    bad(device.choose_threads, "range", "cpus", 0, 0.0),
    bad(device.choose_threads, "range", "busy", 2, -1.0),
    bad(device.set_cpu_threads, "type", "environ", ["TUTORIAL_THREADS=1"]),
    bad(device.set_cpu_threads, "range", "TUTORIAL_THREADS", {"TUTORIAL_THREADS": "0"}, error=SettingsError),
]

NOT_APPLICABLE = {
    "device.usable_cpus": {"type": "takes no arguments", "shape": "takes no arguments", "range": "takes no arguments"},
    "device.busy_cores": {"shape": "takes a number of seconds and a path, which have no shape"},
    "device.choose_threads": {"shape": "takes two numbers, which have no shape"},
    "device.set_cpu_threads": {"shape": "takes a mapping of environment variables, which has no shape"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_in_one_sentence(case):
    assert_rejects(case)
