"""Classification data: emails parsed to subject + body, deduplicated, split stratified and disjoint."""
import email.mime.multipart
import email.mime.text

import pytest

from helpers import assets
from helpers.data import (LABEL_NAMES, deduplicate, email_text, load_classification, split_indices, split_sizes,
                          strip_html, subsample, to_dataset_dict)

RAW = """From: someone@example.com
To: you@example.com
Subject: Cheap watches
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Buy now =E2=80=94 only today.=20
Visit   us!
"""


def test_headers_are_dropped_and_quoted_printable_decoded():
    text = email_text(RAW)
    assert text.splitlines()[0] == "Cheap watches"
    assert "From:" not in text and "=20" not in text and "Buy now" in text and "Visit us!" in text


def test_multipart_prefers_plain_text_and_decodes_base64():
    message = email.mime.multipart.MIMEMultipart("alternative")
    message["Subject"] = "Hello"
    message.attach(email.mime.text.MIMEText("plain body", "plain", "utf-8"))  # base64 for utf-8
    message.attach(email.mime.text.MIMEText("<p>html body</p>", "html", "utf-8"))
    assert email_text(message.as_string()) == "Hello\nplain body"


def test_html_only_emails_lose_their_tags():
    message = email.mime.text.MIMEText("<html><style>p {}</style><b>Win</b> &amp; smile</html>", "html")
    message["Subject"] = "Offer"
    assert email_text(message.as_string()) == "Offer\nWin & smile"
    assert strip_html("<a href='x'>link</a>").strip() == "link"


def test_deduplicate_keeps_first_and_drops_empty():
    assert deduplicate(["a", "b", "a", "", "c"], [0, 1, 1, 0, 1]) == (["a", "b", "c"], [0, 1, 1])


def test_split_is_stratified_disjoint_and_fixed():
    labels = [0] * 70 + [1] * 30
    splits = split_indices(labels, validation=0.1, test=0.2, seed=0)
    assert split_indices(labels, validation=0.1, test=0.2, seed=0) == splits
    assert sorted(sum(splits.values(), [])) == list(range(100))
    assert {k: len(v) for k, v in splits.items()} == {"train": 70, "validation": 10, "test": 20}
    assert [sum(labels[i] for i in splits[k]) for k in ("train", "validation", "test")] == [21, 3, 6]


@pytest.mark.parametrize("validation,test", [(0.0, 0.2), (0.5, 0.5), (0.1, 1.2)])
def test_split_rejects_bad_fractions(validation, test):
    with pytest.raises(ValueError):
        split_indices([0, 1] * 10, validation, test)


def test_dataset_dict_schema_and_subsample():
    data = to_dataset_dict(["x", "y", "z", "w"] * 5, [0, 1, 0, 0] * 5, {"train": list(range(20))})
    assert data["train"].features["label"].names == list(LABEL_NAMES)
    small = subsample(data["train"], 8, seed=0)
    assert len(small) == 8 and sum(small["label"]) == 2  # stratified: a quarter spam
    assert subsample(data["train"], 0) is data["train"]


def test_spam_assassin_splits():
    data = load_classification(str(assets.path("spam-assassin")))
    sizes = split_sizes(data)
    assert sum(s["all"] for s in sizes.values()) <= 6046
    assert sizes["test"]["all"] >= 500
    texts = {split: set(d["text"]) for split, d in data.items()}
    assert not texts["train"] & texts["test"] and not texts["train"] & texts["validation"]
    assert not texts["validation"] & texts["test"]
    shares = [s["spam"] / s["all"] for s in sizes.values()]
    assert max(shares) - min(shares) < 0.01  # stratified
    assert not any(t.startswith(("From ", "Return-Path:", "Received:")) for t in data["test"]["text"][:200])
    assert data["train"].features["label"].names == ["ham", "spam"]
    assert load_classification(str(assets.path("spam-assassin")))["test"]["text"] == data["test"]["text"]


def test_identifier_must_be_given():
    with pytest.raises(ValueError, match="identifier"):
        load_classification("")
