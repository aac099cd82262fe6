"""Scale limits: the number of replicates has an upper bound, given in one line, and chunk
ranges are computed when they are needed, never all up front (issue 18, item 1)."""

from __future__ import annotations

import time
import tracemalloc

import pytest
from test_bad_scenarios import run_cli

import hegemon
from hegemon.ensemble.limits import MAX_REPLICATES
from hegemon.ensemble.runner import chunks, run_chunks
from hegemon.errors import BadInput


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command", ["run", "compare", "sweep", "sensitivity"])
def test_a_huge_replicate_count_is_refused_in_one_line(tmp_path, command):
    out = tmp_path / "out"
    extra = {
        "run": ["baseline"],
        "compare": ["baseline", "no_peacekeepers"],
        "sweep": ["baseline", "--param", "actors.Russia.resolve=0:1:2"],
        "sensitivity": ["baseline", "-n", "2"],
    }[command]
    started = time.monotonic()
    result = run_cli(command, *extra, "-r", "1000000000000", "--workers", "1", "-q",
                     "--no-figures", "-o", out)  # fmt: skip
    assert time.monotonic() - started < 20
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and f"{MAX_REPLICATES:,}" in lines[0], lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_the_api_refuses_a_huge_replicate_count_too():
    with pytest.raises(BadInput, match="at most"):
        hegemon.run("baseline", replicates=MAX_REPLICATES + 1)


def test_chunk_ranges_are_lazy():
    tracemalloc.start()
    try:
        blocks = chunks(2_000_000, 1)
        assert len(blocks) == 2_000_000
        assert blocks[0] == (0, 1) and blocks[-1] == (1_999_999, 2_000_000)
        assert chunks(5, 2)[2] == (4, 5) and list(chunks(5, 2)) == [(0, 2), (2, 4), (4, 5)]
        found = run_chunks(lambda lo, hi: hi - lo, blocks, skip={0, 1})
        assert [next(found) for _ in range(3)] == [(2, 1), (3, 1), (4, 1)]
        found.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, f"{peak:,} bytes: chunk ranges were built up front"
