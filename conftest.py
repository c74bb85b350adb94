"""The doctests in docs/*.md change directory and set CLASSIFY_MODELS as a reader would;
each page starts and ends with the working directory and environment it found."""

import os

import pytest


@pytest.fixture(autouse=True)
def _docs_restore_cwd_and_environment(request):
    if request.node.path.parent.name != "docs":
        yield
        return
    cwd, env = os.getcwd(), dict(os.environ)
    yield
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
