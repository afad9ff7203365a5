"""Build the optional compiled swarm (torrentstack.tracker._swarmcore); metadata is in pyproject.

`optional=True`: without a C compiler or Python headers the install still succeeds and the
tracker runs on the pure-Python swarm (slower; `torrentstack.tracker.native.core` is then None).
scripts/bootstrap installs gcc and the headers with apt-get when they are missing.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "torrentstack.tracker._swarmcore",
            ["src/torrentstack/tracker/_swarmcore.c"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
            optional=True,
        )
    ]
)
