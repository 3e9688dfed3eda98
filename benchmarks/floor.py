"""The throughput floor: parse each line with orjson and write it back.

    python benchmarks/floor.py events.jsonl > /dev/null

No tool that reads every message as JSON and writes one line per message can
be faster than this loop, so `pintag dry-run`'s time is judged against it.
"""

import gzip
import sys

import orjson


def main(path: str) -> None:
    """Copy `path` (plain or gzipped NDJSON) to stdout, through orjson."""
    with open(path, "rb", buffering=1 << 16) as raw:
        gzipped = raw.peek(2)[:2] == b"\x1f\x8b"
        lines = gzip.GzipFile(fileobj=raw) if gzipped else raw
        loads, dumps = orjson.loads, orjson.dumps
        write = sys.stdout.buffer.write
        for line in lines:
            write(dumps(loads(line)) + b"\n")


if __name__ == "__main__":
    main(sys.argv[1])
