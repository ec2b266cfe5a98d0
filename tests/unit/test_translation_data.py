"""Django catalogs -> clean WMT-style pairs: filtering, placeholders, dedup, fixed split, fidelity."""
import polib
import pytest
from transformers import BertTokenizerFast

from helpers.course import assets
from helpers.data.translation import (TranslationDataError, catalog_files, load_django_translation,
                                      english_key, load_translation, pairs_of, read_catalog_pairs, rejection,
                                      replace_placeholders, tokenizer_fidelity)

CATALOG = r'''
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"

msgid "Save"
msgstr "Opslaan"

msgid "Add %(name)s"
msgstr "%(name)s toevoegen"

msgid "Changed {fields} for {name}."
msgstr "{fields} voor {name} gewijzigd."

msgid "%s KB"
msgstr "%s KB"

#, fuzzy
msgid "Delete"
msgstr "Verwijderen"

msgid "Empty"
msgstr ""

msgid "one item"
msgid_plural "%(count)d items"
msgstr[0] "een item"
msgstr[1] "%(count)d items"

msgid "Read <a href=\"x\">the docs</a>"
msgstr "Lees <a href=\"x\">de documentatie</a>"

msgid "Mismatch %(a)s"
msgstr "Verschil"

msgctxt "month"
msgid "May"
msgstr "mei"

msgctxt "verb"
msgid "May"
msgstr "mag"
'''


@pytest.fixture()
def locale(tmp_path):
    folder = tmp_path / "conf" / "locale" / "nl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "django.po").write_text(CATALOG, encoding="utf-8")
    return tmp_path


def test_only_real_translations_are_kept_and_placeholders_dropped_by_default(locale):
    pairs, dropped = read_catalog_pairs(locale, "nl")
    assert pairs == [("Save", "Opslaan"), ("May", "mei")]
    assert dropped == {"fuzzy": 1, "untranslated": 1, "plural form": 1, "HTML": 1, "placeholders differ": 1,
                       "placeholders": 3, "duplicate English": 1}
    with pytest.raises(TranslationDataError, match="placeholders='keep'"):
        read_catalog_pairs(locale, "nl", placeholders="keep")


def test_english_strings_that_differ_only_in_case_or_spacing_are_one_string(tmp_path):
    assert english_key("  Email   Address ") == english_key("email address") == "email address"
    assert english_key("Today") != english_key("Today.")
    folder = tmp_path / "conf" / "locale" / "nl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "django.po").write_text('msgid "Today"\nmsgstr "Vandaag"\n\nmsgid "today"\nmsgstr "vandaag"\n\n'
                                      'msgid "Today."\nmsgstr "Vandaag."\n', encoding="utf-8")
    pairs, dropped = read_catalog_pairs(tmp_path, "nl")
    assert pairs == [("Today", "Vandaag"), ("Today.", "Vandaag.")]  # the first of "Today"/"today" wins
    assert dropped == {"duplicate English": 1}


def test_no_held_out_english_string_is_a_training_input_ignoring_case():
    try:
        folder = assets.path("django-locale")
    except assets.AssetError:
        pytest.skip("the django-locale asset is not prepared")
    data = load_django_translation(folder, "nl")
    keys = {name: {english_key(pair["en"]) for pair in data[name]["translation"]} for name in data}
    assert not keys["train"] & (keys["validation"] | keys["test"]) and not keys["validation"] & keys["test"]
    assert sum(len(k) for k in keys.values()) == sum(len(data[name]) for name in data)  # no key twice in a split


def test_placeholders_can_become_letters(locale):
    pairs, dropped = read_catalog_pairs(locale, "nl", placeholders="letters")
    assert pairs == [("Save", "Opslaan"), ("Add X", "X toevoegen"), ("Changed X for Y.", "X voor Y gewijzigd."),
                     ("X KB", "X KB"), ("May", "mei")]
    assert dropped == {"fuzzy": 1, "untranslated": 1, "plural form": 1, "HTML": 1, "placeholders differ": 1,
                       "duplicate English": 1}


@pytest.mark.parametrize("source,target,expected", [
    ("Add %(name)s", "%(name)s toevoegen", ("Add X", "X toevoegen")),
    ("%(a)s then %(b)s", "%(b)s na %(a)s", ("X then Y", "Y na X")),  # the same name, the same letter
    ("{} and {}", "{} en {}", ("X and X", "X en X")),
    ("%(count)d of %s", "%s: %(count)d", ("X of Y", "Y: X")),
    ("%(a)s", "nothing", None),
    ("no placeholder", "geen", ("no placeholder", "geen")),
])
def test_replace_placeholders(source, target, expected):
    assert replace_placeholders(source, target) == expected


def test_rejection_reasons():
    assert rejection(polib.POEntry(msgid="Save", msgstr="Opslaan")) is None
    assert rejection(polib.POEntry(msgid="Save", msgstr="Opslaan", obsolete=True)) == "obsolete"
    assert rejection(polib.POEntry(msgid="a\nb", msgstr="c\nd")) == "line breaks"
    assert rejection(polib.POEntry(msgid="x &amp; y", msgstr="x &amp; y")) == "HTML"


def test_dataset_has_wmt_schema(locale):
    pairs, _ = read_catalog_pairs(locale, "nl", placeholders="letters")
    data = load_django_translation(locale, "nl", placeholders="letters", validation=1, test=1)
    assert list(data) == ["train", "validation", "test"]
    assert data["train"].column_names == ["translation"] and len(data["train"]) == 3
    sources, references = pairs_of(data["test"], "nl")
    assert len(sources) == len(references) == 1 and (sources[0], references[0]) in pairs
    with pytest.raises(ValueError, match="validation=3 and test=2 from 5"):
        load_django_translation(locale, "nl", placeholders="letters", validation=3, test=2)


def test_missing_language_names_the_known_ones(locale):
    with pytest.raises(TranslationDataError, match="language='xx'.*nl"):
        catalog_files(locale, "xx")


def test_tokenizer_fidelity_measures_unknowns_case_and_round_trip():
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "de", "kat", "zat", "."]
    tokenizer = BertTokenizerFast(vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=True)
    got = tokenizer_fidelity(tokenizer, ["De kat zat.", "de kat", "de hond"])
    assert got["unk"] == pytest.approx(1 / 8)  # 'hond' of 4 + 2 + 2 tokens
    assert got["round_trip"] == pytest.approx(2 / 3) and got["exact"] == pytest.approx(1 / 3)
    assert got["tokens_per_text"] == pytest.approx(8 / 3)
    with pytest.raises(TranslationDataError, match="empty"):
        tokenizer_fidelity(tokenizer, [])


def test_the_real_django_catalogs():
    try:
        folder = assets.path("django-locale")
    except assets.AssetError:
        pytest.skip("the django-locale asset is not prepared")
    data = load_translation(str(folder), "nl")
    sizes = {name: len(split) for name, split in data.items()}
    assert sizes["validation"] == 60 and sizes["test"] == 120 and sizes["train"] > 400
    assert load_translation(str(folder), "nl")["test"][:5] == data["test"][:5]  # the split is fixed
    everything = [row["en"] for split in data.values() for row in split["translation"]]
    assert len(everything) == len(set(everything))  # no English string in two splits
