"""The engine: plain Python over DuckDB and Arrow. Never imports dagster."""
