"""Plugins used by the tests; each is a tiny module, as a third party would write it."""
