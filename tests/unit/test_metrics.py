"""Metrics agree with hand-computed values; the majority baseline and the plots behave."""
import matplotlib
import pytest
import torch

from helpers.metrics import classification_metrics, majority_predictions, plot_confusion_matrix

matplotlib.use("Agg")
NAMES = ["ham", "spam"]


def test_metrics_by_hand():
    truth = [0, 0, 0, 0, 1, 1, 1, 0]
    predicted = [0, 0, 1, 0, 1, 0, 1, 0]
    m = classification_metrics(truth, predicted, NAMES)
    # ham: 4 of 5 right, 1 predicted spam; spam: 2 of 3 right, 1 predicted ham
    assert m["confusion"] == [[4, 1], [1, 2]]
    assert m["accuracy"] == pytest.approx(6 / 8)
    assert m["per_class"]["spam"] == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "support": 3})
    assert m["per_class"]["ham"]["precision"] == pytest.approx(4 / 5)
    assert m["f1_macro"] == pytest.approx((4 / 5 + 2 / 3) / 2)
    assert m["recall_macro"] == pytest.approx((4 / 5 + 2 / 3) / 2)


def test_majority_baseline_has_zero_f1_on_the_minority_class():
    truth = [0] * 7 + [1] * 3
    predicted = majority_predictions([0, 0, 1], len(truth))
    m = classification_metrics(truth, predicted, NAMES)
    assert predicted == [0] * 10 and m["accuracy"] == pytest.approx(0.7)
    assert m["per_class"]["spam"]["f1"] == 0 and m["f1_macro"] == pytest.approx((2 * 0.7 / 1.7) / 2)


def test_tensors_are_accepted_and_classes_never_predicted_still_appear():
    m = classification_metrics(torch.tensor([0, 0]), torch.tensor([0, 0]), ["a", "b", "c"])
    assert m["confusion"] == [[2, 0, 0], [0, 0, 0], [0, 0, 0]]
    assert m["per_class"]["c"]["support"] == 0


@pytest.mark.parametrize("truth,predicted,message", [
    ([0, 1], [0], "same length"), ([], [], "non-empty"), ([0.5, 1.0], [0, 1], "integer"),
    ([[0, 1]], [[0, 1]], "1-d"),
])
def test_bad_inputs_are_named(truth, predicted, message):
    with pytest.raises(ValueError, match=message):
        classification_metrics(truth, predicted, NAMES)


def test_majority_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        majority_predictions([], 3)


def test_plots_label_their_axes():
    ax = plot_confusion_matrix([[4, 1], [1, 2]], NAMES)
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert any("80.0%" in t.get_text() for t in ax.texts)
    with pytest.raises(ValueError, match="2 x 2"):
        plot_confusion_matrix([[1, 2, 3]], NAMES)


# Every listed class counts in the macro averages, as scikit-learn's labels= does: a class absent from
# both y_true and y_pred scores 0 there (zero_division=0, also what sklearn's default "warn" gives).
SKLEARN_CASES = {
    "absent from both": ([0, 1, 0, 1, 1], [0, 1, 1, 1, 0], ["a", "b", "c"]),
    "two absent, perfect": ([0, 0], [0, 0], ["a", "b", "c"]),
    "never predicted": ([0, 1, 2, 2], [0, 1, 1, 1], ["a", "b", "c"]),
    "never true": ([0, 0, 1, 1], [0, 2, 1, 2], ["a", "b", "c", "d"]),
    "both classes occur": ([0, 0, 0, 0, 1, 1, 1, 0], [0, 0, 1, 0, 1, 0, 1, 0], NAMES),
}


@pytest.mark.parametrize("case", SKLEARN_CASES, ids=list(SKLEARN_CASES))
@pytest.mark.parametrize("zero_division", [0, "warn"])
def test_macro_averages_follow_sklearns_labels_semantics(case, zero_division):
    import warnings

    from sklearn.exceptions import UndefinedMetricWarning
    from sklearn.metrics import f1_score, precision_score, recall_score

    truth, predicted, names = SKLEARN_CASES[case]
    m = classification_metrics(truth, predicted, names)
    labels = list(range(len(names)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        for key, score in (("f1_macro", f1_score), ("precision_macro", precision_score),
                           ("recall_macro", recall_score)):
            expected = score(truth, predicted, labels=labels, average="macro", zero_division=zero_division)
            assert m[key] == pytest.approx(expected, abs=1e-12), key
    absent = [n for i, n in enumerate(names) if i not in truth and i not in predicted]
    assert all(m["per_class"][n] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0} for n in absent)


def test_an_absent_class_pulls_macro_f1_down_where_sklearn_without_labels_does_not():
    from sklearn.metrics import f1_score

    m = classification_metrics([0, 0], [0, 0], ["a", "b", "c"])
    assert f1_score([0, 0], [0, 0], average="macro") == 1.0       # sklearn's default: classes present only
    assert m["f1_macro"] == pytest.approx(1 / 3)                 # every listed class: 1, 0, 0
