"""Classification data: emails parsed to subject + body, deduplicated, split stratified and disjoint."""
import email.mime.multipart
import email.mime.text

import pytest

from helpers.course import assets
from helpers.data.classification import LABEL_NAMES, deduplicate, email_text, load_classification, split_sizes, strip_html, subsample
from helpers.data.splits import to_dataset_dict

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


def test_subsample_is_stratified_and_fixed():
    from datasets import ClassLabel, Features, Value

    features = Features({"text": Value("string"), "label": ClassLabel(names=list(LABEL_NAMES))})
    data = to_dataset_dict({"text": ["x", "y", "z", "w"] * 5, "label": [0, 1, 0, 0] * 5}, {"train": list(range(20))},
                           features)
    small = subsample(data["train"], 8, seed=0)
    assert len(small) == 8 and sum(small["label"]) == 2  # stratified: a quarter spam
    assert subsample(data["train"], 0) is data["train"]


def test_spam_assassin_splits():
    data = load_classification(str(assets.path("spam-assassin")))
    assert list(data) == ["train", "validation", "test"]
    assert data["train"].features["label"].names == list(LABEL_NAMES)  # SST-2's schema: text, ClassLabel
    assert data["train"].features["text"].dtype == "string"
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


# --- SST-2 at source=hub, tried on a stand-in with the hub's layout -----------------------------

def _sst2_stand_in():
    """stanfordnlp/sst2's layout: sentence/label/idx; train rows are phrases of review sentences
    (sub-phrases of one sentence are rows of their own), validation whole sentences, test unlabelled."""
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    features = Features({"idx": Value("int32"), "sentence": Value("string"),
                         "label": ClassLabel(names=["negative", "positive"])})

    def split(rows):
        return Dataset.from_dict({"idx": list(range(len(rows))), "sentence": [t for t, _ in rows],
                                  "label": [y for _, y in rows]}, features=features)

    train = []
    for review in range(30):
        words = [f"t{review}w{k}" for k in range(6)]  # words of this review only, so a shared phrase = a shared review
        # the sentence and its phrases (contiguous spans of 2+ words), all with the sentence's label
        train += [(" ".join(words[i:j]), review % 2) for i in range(len(words)) for j in range(i + 2, len(words) + 1)]
    held = [(" ".join(f"h{k}w{j}" for j in range(6)), k % 2) for k in range(40)]
    train.append(held[3])       # one held-out sentence also sits in train verbatim
    validation = held + [held[5]]  # and one appears twice in the official validation split
    test = [(f"s{k}w0 s{k}w1", -1) for k in range(12)]
    return DatasetDict({"train": split(train), "validation": split(validation), "test": split(test)}), held


def test_sst2_validation_and_test_share_no_review_with_train(monkeypatch):
    import datasets

    from helpers.data.classification import SST2_VALIDATION_FRACTION, load_sst2

    stand_in, held = _sst2_stand_in()
    monkeypatch.setattr(datasets, "load_dataset", lambda identifier: stand_in)
    data = load_sst2("stanfordnlp/sst2")
    assert set(data) == {"train", "validation", "test"}
    assert all(d.column_names == ["text", "label"] for d in data.values())
    train_texts = set(data["train"]["text"])
    for split in ("validation", "test"):
        for text in data[split]["text"]:  # no held-out sentence is, contains or lies inside a train phrase
            assert not any(text in phrase or phrase in text for phrase in train_texts), (split, text)
        assert -1 not in data[split]["label"]  # labels are public (SST-2's own test split is not used)
    validation, test = list(data["validation"]["text"]), list(data["test"]["text"])
    assert not set(validation) & set(test)
    assert sorted(validation + test) == sorted(t for t, _ in held)  # every official sentence once
    assert len(validation) == round(SST2_VALIDATION_FRACTION * len(held))
    assert sum(data["validation"]["label"]) == sum(data["test"]["label"]) == len(held) // 4  # stratified
    assert len(data["train"]) == len(stand_in["train"]) - 1  # only the verbatim held-out sentence left train


def test_text_noun_names_what_the_examples_are():
    from helpers.data.classification import text_noun

    assert text_noun(str(assets.path("spam-assassin"))) == "emails"
    assert text_noun("stanfordnlp/sst2") == text_noun("glue/SST2") == "sentences"  # never "emails" at the hub
    assert text_noun("someone/reviews") == "texts"
