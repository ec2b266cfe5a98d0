"""The data loaders: each gives the Hugging Face Hub dataset's schema, from the hub or from an offline asset.

``classification`` (SST-2 / SpamAssassin), ``corpus`` (Brown, for pre-training), ``qa`` (SQuAD / questions
built from news articles), ``translation`` (opus_books / Django catalogs), ``summarization``
(CNN/DailyMail / Python docstrings).
"""
