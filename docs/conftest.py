"""The examples in these pages run as doctests; each page starts and ends with the cwd and environment it found."""

import os

import pytest


@pytest.fixture(autouse=True)
def _restore_cwd_and_environment():
    cwd, env = os.getcwd(), dict(os.environ)
    yield
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
