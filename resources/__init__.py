"""Doors to the outside world, each a Dagster ConfigurableResource with a local twin for the embedded default."""
