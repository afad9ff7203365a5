"""Serving HTTP in the one event loop: listeners (uvicorn, or `http1` on hot paths), `/healthz`,
and the `Service` protocol every service implements for the composition root."""
