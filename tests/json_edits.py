"""What the importers' robustness tests edit in an input document: every place in it, and any
JSON value to put there."""
from hypothesis import strategies as st

JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
                           | st.text(max_size=12), lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


def leaves(document, path=()):
    """Every (path, value) of a JSON document, containers included."""
    yield path, document
    if isinstance(document, dict):
        for k, v in document.items():
            yield from leaves(v, (*path, k))
    elif isinstance(document, list):
        for i, v in enumerate(document):
            yield from leaves(v, (*path, i))
