"""Run a command and write its peak resident memory, in bytes, to a file.

    python -S benchmarks/peak.py PEAK_FILE COMMAND [ARGS]...

Linux starts a new process's peak-memory count from the memory of the process
that spawned it, so a command spawned by the benchmark runner (tens of MB of
generated data and imports) would report at least the runner's size. Spawned
from this small process instead, the command's own peak shows through. Run it
with -S: without site-packages the interpreter stays under 10 MB.
"""

import os
import sys


def main() -> None:
    """Spawn the command, reap it, record its peak, exit with its exit code."""
    peak_file, command = sys.argv[1], sys.argv[2:]
    pid = os.posix_spawnp(command[0], command, os.environ)
    _, status, usage = os.wait4(pid, 0)
    with open(peak_file, "w", encoding="ascii") as out:
        out.write(f"{usage.ru_maxrss * 1024}\n")  # Linux reports kilobytes
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
