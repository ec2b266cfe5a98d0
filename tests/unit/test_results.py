"""helpers.course.results: a reported number is shown to the reader and recoverable from the executed notebook."""
import math

import nbformat
import pytest

from helpers import results


def test_bundle_has_text_and_json_twins():
    bundle = results.result_bundle("validation F1", 71.25, unit="%")
    assert bundle["text/plain"] == "📊 validation F1: 71.25%"
    assert bundle[results.MIME_TYPE] == {"name": "validation F1", "value": 71.25, "unit": "%"}


def test_a_colon_in_the_name_does_not_change_the_value_shown():
    assert results.formatted(0.08942) == "0.08942"
    assert results.result_bundle("'bank': cosine gap", 0.08942)["text/plain"] == "📊 'bank': cosine gap: 0.08942"


def test_units_other_than_percent_get_a_space():
    assert results.result_bundle("run time", 12.0, unit="s")["text/plain"] == "📊 run time: 12 s"


def test_collect_reads_results_back_from_an_executed_notebook():
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("results.report('BLEU', 12.5)")
    cell.outputs = [nbformat.v4.new_output("display_data", data=results.result_bundle("BLEU", 12.5)),
                    nbformat.v4.new_output("stream", text="other output\n")]
    notebook.cells = [nbformat.v4.new_markdown_cell("# title"), cell]
    assert results.collect(notebook) == [{"name": "BLEU", "value": 12.5, "unit": ""}]
    assert results.collect(nbformat.reads(nbformat.writes(notebook), as_version=4))[0]["value"] == 12.5


def test_report_prints_outside_jupyter_and_returns_the_value(capsys):
    assert results.report("accuracy", 0.5) == 0.5
    assert capsys.readouterr().out.strip() == "📊 accuracy: 0.5"


@pytest.mark.parametrize("name, value, unit, error, words", [
    ("", 1.0, "", ValueError, "name"),
    (3, 1.0, "", ValueError, "name"),
    ("loss", "low", "", TypeError, "value must be a number"),
    ("loss", None, "", TypeError, "value must be a number"),
    ("loss", math.nan, "", ValueError, "finite"),
    ("loss", 1.0, 5, TypeError, "unit"),
])
def test_bad_input_names_the_argument(name, value, unit, error, words):
    with pytest.raises(error, match=words):
        results.result_bundle(name, value, unit)


def test_collect_rejects_what_is_not_a_notebook():
    with pytest.raises(TypeError, match="notebook must be"):
        results.collect(42)
