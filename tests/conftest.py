import copy
import os
import sys

import pytest

from helpers import PLANTED
from interfacegan import config as configuration

# Snakemake's jobs run `interfacegan`: the one of this venv (as `make` puts it on PATH).
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]


@pytest.fixture
def planted_config():
    """A small planted-world config (a fresh copy per test), validated."""
    return configuration.validate(copy.deepcopy(PLANTED))
