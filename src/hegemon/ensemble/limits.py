"""Sizes that shape an ensemble run, in a module light enough for the CLI to import."""

DEFAULT_CHUNK_SIZE = 2000  # replicates per chunk: one vectorized model
# runs per chunk of a sweep or sensitivity analysis: those runs record only what their
# outcomes read (a fraction of a run's memory), so a chunk can hold more of them, and a
# larger model spends less of its time per step on the interpreter
SAMPLE_RUNS_CHUNK_SIZE = 5000
FULL_STORE_LIMIT = 10_000  # --store full is the default up to this many replicates
SAMPLE_REPLICATES = 4000  # summary quantiles are exact up to this many replicates
# a run of several chunks simulates those replicates in chunks of at most this many: their
# whole trajectories travel back to the process that writes the folder, and smaller pieces
# keep the run's peak memory down (results are the same whatever the chunking)
SAMPLE_CHUNK_SIZE = 500
# at most this many replicates in one run (or runs of a sweep or sensitivity analysis): about
# a day of work on two cores and 50,000 chunks of parts on disk; more seeds give more
MAX_REPLICATES = 100_000_000


def replicates_problem(replicates: int, what: str = "replicates") -> str | None:
    """Why ``replicates`` is not a number of replicates hegemon runs, or None."""
    if replicates < 1:
        return f"{what}: expected at least 1, got {replicates}"
    if replicates > MAX_REPLICATES:
        return (
            f"{what}: at most {MAX_REPLICATES:,} in one run, got {replicates:,}; "
            "run several ensembles with different --seed for more"
        )
    return None
