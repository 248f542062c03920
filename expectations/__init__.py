"""Great Expectations suites in code: one per canonical raw entity (`raw`) and one for the mart (`mart`)."""
