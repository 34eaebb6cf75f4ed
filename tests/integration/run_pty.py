# Runs a command on a pseudo-terminal (tests of what kiln shows a person); prints JSON: the exit
# status, every chunk the command wrote with its arrival time in seconds since the start, and
# when the command ended.
import json, os, pty, sys, time

start = time.monotonic()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
chunks = []
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:  # EIO: the command closed the terminal
        break
    if not data:
        break
    chunks.append([time.monotonic() - start, data.decode("utf-8", "replace")])
_, status = os.waitpid(pid, 0)
json.dump({"status": os.waitstatus_to_exitcode(status), "end": time.monotonic() - start,
           "chunks": chunks}, sys.stdout)
