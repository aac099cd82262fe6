"""Sizes that shape an ensemble run, in a module light enough for the CLI to import."""

DEFAULT_CHUNK_SIZE = 2000  # replicates per chunk: one vectorized model
FULL_STORE_LIMIT = 10_000  # --store full is the default up to this many replicates
SAMPLE_REPLICATES = 4000  # summary quantiles are exact up to this many replicates
