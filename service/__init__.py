"""Scoring service: a thin FastAPI layer over the classifier model."""
