"""Exit codes, one meaning each."""

OK = 0  # every message sent (or would be) or skipped
FATAL = 1  # configuration, unreadable input, aborted run
USAGE = 2  # wrong flags or arguments (click's own code)
INCOMPLETE = 3  # some messages rejected or failed
INTERRUPTED = 130  # Ctrl-C or SIGTERM
