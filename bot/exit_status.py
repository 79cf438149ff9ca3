"""The exit statuses of every `citebot` command, defined once (README "Exit status").

Scripts read them, so each number means one thing whatever the command: the CLI, the doctor
and the Slack and Discord servers all return these names. It imports nothing, so the CLI can
use it without loading the answerer.
"""

EXIT_OK = 0
# The command ran, but not all of it went through: some input was skipped (ingest,
# watch --once) or a check failed (doctor).
EXIT_INCOMPLETE = 1
# A configuration value or token is missing or refused, the store failed, a usage error,
# or (ask) a question could not be answered: the message says which.
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT: Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `yes | head -1`
