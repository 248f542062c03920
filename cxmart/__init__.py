"""cxmart: contact-centre metrics pipeline: exports -> DuckDB -> dbt COPC metrics -> mart -> scorecard."""

__version__ = "0.1.0"
