"""The Dagster layer: assets, checks, schedules, sensors, resources and the Definitions.

Thin by design: each asset gets its resources, calls one `pipeline` function and returns counts.
"""
