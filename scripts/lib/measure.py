"""Runs a command and prints one JSON line: wall seconds, peak resident memory (MB) of the
command, exit status and its stdout. Used by scripts/bench."""
import json
import resource
import subprocess
import sys
import time

start = time.monotonic()
completed = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True)
seconds = time.monotonic() - start
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_kb / 1024, "status": completed.returncode, "stdout": completed.stdout}))
sys.exit(completed.returncode)
