"""Save and load fitted scikit-learn objects that hold layerwise estimators, without pickle.

:func:`layerwise.save` and :func:`layerwise.load` hand these objects here: a fitted
``lw.MLPClassifier`` / ``lw.MLPRegressor``, or any fitted scikit-learn estimator built of
them and of scikit-learn's own: a ``Pipeline`` (nested ones too), ``ColumnTransformer``,
``FeatureUnion``, ``GridSearchCV``, ``StackingClassifier``, ``CalibratedClassifierCV`` ...
The file is an ``.npz`` archive read with ``allow_pickle=False``: a JSON description
(``__layerwise_sklearn__``) and the whole object in skops' safe format (``skops``), which
rebuilds only the types its reader trusts (see :mod:`layerwise.saving._trust` for those trusted
by construction; any other needs ``lw.load(path, trusted=[...])``).

``lw.save`` writes only what ``lw.load`` can read: it reads the object back before it
writes the file, and refuses (naming the step, and saying what to do) anything that would
not load, such as a lambda, a class skops cannot write, or a class defined in ``__main__``.
This module imports neither scikit-learn nor skops until a file of this kind is written
or read.

>>> import layerwise as lw, numpy as np, os, tempfile
>>> X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
>>> clf = lw.MLPClassifier((4,), solver="lbfgs", max_iter=2000, random_state=0).fit(X, y)
>>> path = os.path.join(tempfile.mkdtemp(), "clf.npz")
>>> lw.save(clf, path, metadata={"data": "noise"})
>>> again = lw.load(path)
>>> bool((again.predict_proba(X) == clf.predict_proba(X)).all()), again.metadata
(True, {'data': 'noise'})
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from typing import Any

import numpy as np

from layerwise._internal.files import atomic_write
from layerwise.saving import _archive, _sklearn_v1, _trust

__all__ = ["is_sklearn_object", "is_sklearn_file", "trusted_types", "save", "load", "read_header"]

FORMAT = "layerwise-sklearn"
FORMAT_VERSION = 2  # 1: flat Pipelines, estimators as JSON and arrays (still read)
_HEADER = "__layerwise_sklearn__"
_SKOPS = "skops"
_MAX_HEADER_BYTES = 64 << 20


def is_sklearn_object(obj: Any) -> bool:
    """True for a scikit-learn estimator of any kind (layerwise's estimators included)."""
    return any(
        c.__name__ == "BaseEstimator" and c.__module__ == "sklearn.base" for c in type(obj).__mro__
    )


def is_sklearn_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is an archive written by :func:`save` (False for anything else,
    including files that cannot be read: ``lw.load`` then reports why)."""
    if not os.path.isfile(path):  # a FIFO or a device: lw.load's own checks refuse it
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            return f"{_HEADER}.npy" in zf.namelist()
    except (OSError, zipfile.BadZipFile, ValueError, NotImplementedError):
        return False


def _skops() -> Any:
    try:
        import skops.io as sio
    except ImportError as exc:  # pragma: no cover - skops comes with the sklearn extra
        raise ImportError(
            "saving and loading scikit-learn objects needs skops; install it with: pip install "
            "'layerwise[sklearn]'"
        ) from exc
    return sio


def trusted_types(obj: Any) -> list[str]:
    """The types in ``obj`` that skops does not trust by default but layerwise trusts by
    construction (layerwise's, NumPy's dtypes, scikit-learn's own): what to pass as
    ``skops.io.load(..., trusted=...)`` or MLflow's ``skops_trusted_types=``.

    >>> import layerwise as lw, numpy as np
    >>> clf = lw.MLPRegressor(hidden_layer_sizes=(3,), solver="lbfgs").fit(np.eye(4), np.ones(4))
    >>> "layerwise.estimators._mlp.MLPRegressor" in lw.saving.trusted_types(clf)
    True
    """
    sio = _skops()
    untrusted = sio.get_untrusted_types(data=sio.dumps(obj))
    return sorted(name for name in untrusted if _trust.by_construction(name))


# ------------------------------------------------------------------ save
def _best_estimator_hint(obj: Any) -> str:
    if hasattr(obj, "best_estimator_"):
        return (
            f"; to keep only the refitted model, save the {type(obj).__name__}'s "
            "best_estimator_: lw.save(search.best_estimator_, path)"
        )
    return ""


def _dump(obj: Any) -> tuple[bytes, dict[str, str]]:
    """``obj`` in skops' format, read back once to be sure it loads, and the types it holds
    that need ``lw.load(..., trusted=...)``, each with the step that holds it."""
    sio = _skops()
    hint = _best_estimator_hint(obj)
    try:
        data = sio.dumps(obj)
    except Exception as exc:  # skops raises TypeError, its own, PicklingError...
        where = _trust.locate(obj, lambda node: _fails(sio.dumps, node))
        raise ValueError(
            f"lw.save cannot write {where}: skops, whose safe format lw.save uses, refuses it "
            f"({type(exc).__name__}: {exc}). Functions and classes in a saved object must be "
            "defined at the top level of an importable module (no lambda, no nested "
            f"function); replace that step, or save this object with joblib instead (a pickle: "
            f"load it only from people you trust){hint}"
        ) from None
    untrusted = sio.get_untrusted_types(data=data)
    needs = {}
    for name in untrusted:
        if _trust.by_construction(name):
            continue

        def holds(node: Any, n: str = name) -> bool:
            return n in sio.get_untrusted_types(data=sio.dumps(node))

        where = _trust.locate(obj, holds)
        if not _trust.importable(name):
            raise ValueError(
                f"lw.save cannot write {where}: it holds {name}, which another program could "
                "not import (defined in __main__, a script or a notebook, or not at the top "
                "level of a module), so lw.load could never rebuild it; move it into a module "
                f"(a .py file beside your script) and import it from there{hint}"
            )
        needs[name] = where
    try:
        sio.loads(data, trusted=untrusted)
    except Exception as exc:  # whatever fails now would fail in lw.load
        where = _trust.locate(obj, lambda node: _fails(_round_trip, node))
        raise ValueError(
            f"lw.save cannot write {where}: skops writes it but cannot read it back "
            f"({type(exc).__name__}: {exc}); replace that step, or save this object with "
            f"joblib instead (a pickle: load it only from people you trust){hint}"
        ) from None
    return data, needs


def _round_trip(node: Any) -> None:
    sio = _skops()
    data = sio.dumps(node)
    sio.loads(data, trusted=sio.get_untrusted_types(data=data))


def _fails(fn: Any, node: Any) -> bool:
    try:
        fn(node)
    except Exception:
        return True
    return False


def _versions() -> dict[str, str]:
    import sklearn
    import skops

    import layerwise

    return {"layerwise": layerwise.__version__, "scikit-learn": sklearn.__version__,
            "skops": skops.__version__, "numpy": np.__version__}  # fmt: skip


def save(
    obj: Any,
    path: str | os.PathLike[str],
    *,
    scaler: Any = None,
    history: Any = None,
    metadata: dict | None = None,
) -> None:
    """Write a fitted scikit-learn object (holding layerwise estimators or not) to ``path``.

    ``scaler`` and ``history`` belong to a Sequential's file: an estimator keeps its
    ``loss_curve_``, and a Pipeline its own scaler step. ``metadata`` (default: the
    object's ``metadata`` attribute, as on a loaded object) comes back as ``.metadata``.
    """
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    for name, value in (("scaler", scaler), ("history", history)):
        if value is not None:
            raise TypeError(
                f"lw.save({type(obj).__name__}, ...) takes no {name}=: put the scaler in the "
                "Pipeline as a step; an estimator keeps its loss_curve_ itself"
            )
    if metadata is None and isinstance(getattr(obj, "metadata", None), dict):
        metadata = obj.metadata
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict or None, got {type(metadata).__name__}")
    try:
        check_is_fitted(obj)
    except NotFittedError as exc:
        raise NotFittedError(
            f"lw.save saves fitted objects: {exc} (a Pipeline is fitted when its last step is)"
        ) from None
    _archive.to_json(metadata, "metadata")  # refused before the (slower) dump
    data, needs = _dump(obj)
    kind = type(obj)
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "estimator": f"{kind.__module__}.{kind.__qualname__}",
        "versions": _versions(),
        "steps": _trust.tree(obj),
        "trust": needs,
        "metadata": metadata,
    }
    text = _archive.to_json(header, "metadata")
    arrays = {
        _HEADER: np.frombuffer(text.encode("utf-8"), dtype=np.uint8),
        _SKOPS: np.frombuffer(data, dtype=np.uint8),
    }
    with atomic_write(path, "wb") as f:
        np.savez(f, allow_pickle=False, **arrays)  # two byte arrays: nothing to pickle


# ------------------------------------------------------------------ load
def _open(path: str | os.PathLike[str]) -> tuple[str, dict[str, Any], dict[str, np.ndarray]]:
    where = os.fspath(path)
    with open(where, "rb") as fh:
        data = fh.read()
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        member = archive[_HEADER]
        if member.dtype != np.uint8 or member.ndim != 1 or member.size > _MAX_HEADER_BYTES:
            raise ValueError(f"{where}: the description is not a UTF-8 text; save it again")
        try:
            text = member.tobytes().decode("utf-8")
            header = json.loads(text, object_hook=_archive.decode)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise ValueError(f"{where}: unreadable description ({exc}); save it again") from None
        arrays = {name: archive[name] for name in archive.files if name != _HEADER}
    if not isinstance(header, dict):
        header = {}
    version = header.get("version")
    if header.get("format") != FORMAT or version not in (1, FORMAT_VERSION):
        raise ValueError(
            f"{where}: format {header.get('format')!r} version {version!r} is not "
            f"{FORMAT!r} version 1 or {FORMAT_VERSION}; save it again with this layerwise "
            "(or upgrade layerwise, if a newer one wrote it)"
        )
    return where, header, arrays


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON description of a file written by :func:`save`, without loading the object:
    ``format``, ``version``, ``estimator`` (its class), ``versions`` (of the libraries that
    wrote it), ``steps`` (every estimator inside, by path), ``trust`` (types that
    ``lw.load`` will need in ``trusted=``) and ``metadata``."""
    return _open(path)[1]


def check_trusted(trusted: Any) -> set[str]:
    if trusted is None:
        return set()
    if isinstance(trusted, str) or not isinstance(trusted, list | tuple | set | frozenset):
        raise TypeError(
            "trusted must be a list of type names (such as ['mypackage.MyTransformer']) or "
            f"of the classes themselves, got {type(trusted).__name__} {trusted!r}"
        )
    return {_trust.type_name(t) for t in trusted}


def _loads(data: bytes, where: str, trusted: set[str], needs: dict[str, str]) -> Any:
    sio = _skops()
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # a damaged skops archive
        raise ValueError(f"{where}: the saved object is damaged ({exc}); save it again") from None
    missing = [t for t in untrusted if t not in trusted and not _trust.by_construction(t)]
    if missing:
        held = ", ".join(f"{t} (in {needs[t]})" if t in needs else t for t in missing)
        raise ValueError(
            f"{where}: holds types that layerwise does not trust by construction: {held}; "
            "loading would run their code. If you trust whoever wrote the file, check those "
            f"types and load it with lw.load({where!r}, trusted={missing!r}); refusing to "
            "load it"
        )
    try:
        with _trust.old_paths_quietly():
            return sio.loads(data, trusted=untrusted)
    except Exception as exc:  # skops' own errors, or a missing module
        raise ValueError(
            f"{where}: the saved object cannot be rebuilt ({type(exc).__name__}: {exc}); "
            "install the libraries it was saved with (see layerwise.saving.read_header(path)"
            "['versions']) or save it again"
        ) from None


def load(path: str | os.PathLike[str], *, trusted: Any = None) -> Any:
    """Read what :func:`save` wrote: the object, which predicts identically, with its
    ``metadata`` (a dict, empty when none was saved).

    ``trusted``: the names (or the classes) of types beyond those trusted by construction
    that the file may hold, as ``skops.io.load`` takes them.
    """
    names = check_trusted(trusted)
    where, header, arrays = _open(path)
    if header["version"] == 1:
        obj = _sklearn_v1.load(
            header, arrays, where, lambda data, step: _loads(data, where, names, {})
        )
    else:
        trust = header.get("trust")
        needs = trust if isinstance(trust, dict) else {}
        if _SKOPS not in arrays:
            raise ValueError(f"{where}: the saved object is missing; save it again")
        obj = _loads(arrays[_SKOPS].tobytes(), where, names, needs)
    metadata = header.get("metadata")
    obj.metadata = dict(metadata) if isinstance(metadata, dict) else {}
    return obj
