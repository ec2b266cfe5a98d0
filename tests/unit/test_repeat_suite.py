"""scripts/repeat_suite.py: it reads JUnit reports and executed notebooks, and it notices every kind of difference."""
import importlib.util
import json
import sys
from pathlib import Path

from helpers.course.results import result_bundle

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("repeat_suite", ROOT / "scripts" / "repeat_suite.py")
repeat_suite = importlib.util.module_from_spec(spec)
sys.modules["repeat_suite"] = repeat_suite  # dataclasses look their module up by name
spec.loader.exec_module(repeat_suite)
Run = repeat_suite.Run

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
  <testcase classname="tests.test_a" name="test_ok" time="0.1"/>
  <testcase classname="tests.test_a" name="test_broken" time="0.1"><failure message="assert 1 == 2"/></testcase>
  <testcase classname="tests.test_b" name="test_later" time="0.0"><skipped message="no GPU"/></testcase>
  <testcase classname="tests.test_b" name="test_setup" time="0.0"><error message="fixture"/></testcase>
</testsuite></testsuites>"""


def result(name: str, value: float, unit: str = "") -> dict:
    return result_bundle(name, value, unit)["application/vnd.course.result+json"]


def run(number: int, outcomes=None, results=None) -> Run:
    outcomes = {"unit:t::a": "passed", "notebooks:n::cell 1": "passed"} if outcomes is None else outcomes
    results = [result("accuracy", 88.5, "%"), result("training time", 31.0, "s")] if results is None else results
    return Run(number, 0, 100.0, outcomes, {"unit tests": 70, "notebooks": 900},
               {"05_finetune": {"seconds": 90.5, "results": results}})


def test_junit_outcomes_reads_every_kind_of_outcome(tmp_path):
    path = tmp_path / "unit.xml"
    path.write_text(JUNIT)
    assert repeat_suite.junit_outcomes([path]) == {
        "unit:tests.test_a::test_ok": "passed", "unit:tests.test_a::test_broken": "failed",
        "unit:tests.test_b::test_later": "skipped", "unit:tests.test_b::test_setup": "error"}


def test_stage_times_reads_makes_timing_lines():
    log = "collected 3 items\n== unit tests: 71 s\n...\n== notebooks: 1185 s\n== site in a browser: 29 s\n"
    assert repeat_suite.stage_times(log) == {"unit tests": 71, "notebooks": 1185, "site in a browser": 29}


def test_notebook_results_reads_run_time_and_reported_values(tmp_path):
    notebook = {"metadata": {"course": {"run_seconds": 12.5}}, "cells": [
        {"cell_type": "code", "outputs": [{"output_type": "display_data",
                                           "data": result_bundle("validation F1", 64.4, "%")}]}]}
    (tmp_path / "08_question_answering.ipynb").write_text(json.dumps(notebook))
    found = repeat_suite.notebook_results(tmp_path)
    assert found["08_question_answering"]["seconds"] == 12.5
    assert [(r["name"], r["value"]) for r in found["08_question_answering"]["results"]] == [("validation F1", 64.4)]


def test_identical_runs_have_no_differences_and_times_may_vary():
    slower = run(2, results=[result("accuracy", 88.5, "%"), result("training time", 45.0, "s")])
    assert repeat_suite.differences(run(1), slower) == []
    assert repeat_suite.bit_identical([run(1), slower]) == (1, 1)


def test_a_changed_outcome_or_a_missing_test_is_a_difference():
    flaky = run(2, outcomes={"unit:t::a": "failed"})
    found = repeat_suite.differences(run(1), flaky)
    assert "unit:t::a: passed in run 1, failed in run 2" in found
    assert "notebooks:n::cell 1: passed in run 1, absent in run 2" in found


def test_a_changed_result_is_a_difference_a_rounding_one_is_not():
    drifted = run(2, results=[result("accuracy", 87.0, "%"), result("training time", 31.0, "s")])
    assert repeat_suite.differences(run(1), drifted) == ["05_finetune: accuracy was 88.5 in run 1, 87.0 in run 2"]
    rounding = run(3, results=[result("accuracy", 88.5 * (1 + 1e-7), "%"), result("training time", 31.0, "s")])
    assert repeat_suite.differences(run(1), rounding) == []
    assert repeat_suite.bit_identical([run(1), rounding]) == (0, 1)


def test_a_notebook_that_did_not_run_is_a_difference():
    missing = run(2)
    missing.notebooks = {}
    assert repeat_suite.differences(run(1), missing) == ["05_finetune: executed in run 1 only"]


def test_report_states_the_verdict_times_and_differences():
    same = repeat_suite.report([run(1), run(2), run(3)], [])
    assert "every run passed" in same and "| notebooks (s) | 900 | 900 | 900 |" in same
    assert "| 05_finetune | 90.5 | 90.5 | 90.5 | accuracy 88.5%; training time 31 s |" in same
    assert "1 of the 1 results" in same and same.rstrip().endswith("None.")
    failed = run(2)
    failed.returncode = 2
    differ = repeat_suite.report([run(1), failed], ["unit:t::a: passed in run 1, failed in run 2"])
    assert "the runs differ or failed" in differ and "- unit:t::a: passed in run 1, failed in run 2" in differ


def test_a_bar_in_a_result_name_does_not_break_the_table():
    shown = repeat_suite.report([run(1, results=[result("max |ours - PyTorch|", 0.0)]), run(2)], [])
    assert "| max \\|ours - PyTorch\\| 0 |" in shown


def test_fewer_than_two_runs_is_refused(capsys):
    import pytest

    with pytest.raises(SystemExit):
        repeat_suite.main(["--runs", "1"])
    assert "--runs must be at least 2" in capsys.readouterr().err
