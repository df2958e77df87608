"""Helpers for the tests of the form renderer, editor and viewer."""
