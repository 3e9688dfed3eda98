"""Fixtures shared by the test files."""

import pytest
from capi_double import CapiDouble


@pytest.fixture
def capi_double():
    """A Conversions API double on 127.0.0.1 (see tests/capi_double.py)."""
    with CapiDouble() as double:
        yield double
