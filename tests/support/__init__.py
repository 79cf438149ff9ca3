"""Helpers shared by the test packages (one place, imported as `tests.support`)."""
