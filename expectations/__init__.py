"""Great Expectations suites as code, one per table, and the runner that validates before writing."""
