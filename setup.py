# Older bench versions call setup.py; everything lives in pyproject.toml.
from setuptools import setup

setup()
