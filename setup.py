# Thin shim for tools that still call `python setup.py`/`pip install -e .` through setuptools:
# all metadata lives in pyproject.toml ([project] and [tool.nbdev]).
from setuptools import setup
setup()
