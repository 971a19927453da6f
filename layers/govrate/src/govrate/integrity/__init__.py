"""Integrity of the evaluations: abuse limits of the unauthenticated paths."""
