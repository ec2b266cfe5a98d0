"""Playgrounds: small ipywidgets a learner changes and sees respond at once, one module per notebook.

Each playground is three layers, so that everything but the widget wiring is a pure, tested function:

* a *view* function: the numbers for one setting of the controls (``attention_view(d_k=..., ...)``);
* an *HTML* function: that view as a small HTML fragment (a table, a heat map, a highlighted span);
* a *builder* (``attention_playground(...)``) that wires ipywidgets controls to the two through
  :class:`helpers.playgrounds.core.Playground`.

Where no widget front end exists (nbval, the static site, slides exported without a kernel) a
playground shows the output for its default settings, with one line saying how to make it live.

Modules: ``core`` (the Playground class) and ``markup`` (HTML pieces); then one per notebook:
``attention`` (01), ``encoder`` (02), ``tokenizer`` (03), ``fill_mask`` (04), ``freezing`` (05),
``classifier`` (06), ``translator`` (07), ``qa`` (08), ``summarizer`` (09), ``threshold`` (10).
"""
