"""Seeded sample data for the embedded default, the tests and the bench (`samples.landing`)."""
