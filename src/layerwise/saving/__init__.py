"""Files: ``save`` and ``load`` (one ``.npz``, read with ``allow_pickle=False``, never a
pickle), the header read without loading, and scikit-learn objects in skops' safe format.

Inside: ``_api`` (models, and the dispatch to the rest), ``_rebuild`` (a model rebuilt from
its checked file), ``_sklearn`` (scikit-learn objects), ``_sklearn_v1`` (the first format of
those, still read), ``_archive`` (the ``.npz`` reading every loader shares), ``_loadcheck`` (a
description checked before anything is built) and ``_trust`` (the types a file may name).
"""

from layerwise.saving._api import FORMAT, FORMAT_VERSION, load, read_header, save, trusted_types

__all__ = ["FORMAT", "FORMAT_VERSION", "save", "load", "read_header", "trusted_types"]
