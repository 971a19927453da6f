"""Govrate domain package: the rules of government service evaluation, shared by every function."""
