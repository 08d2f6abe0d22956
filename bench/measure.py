"""Run one command; print its exit code, wall time, CPU time and peak memory on one line.

    python -I -S measure.py TIMEOUT STDIN STDOUT STDERR -- COMMAND [ARG...]
    0 0.412 0.398 23348 0      (exit code, wall s, user+system CPU s, peak RSS KiB, timed out)

The benchmark starts this small interpreter (``-I -S``: no site, nothing imported) to fork
each command from, because Linux counts the parent's resident memory at the time of the
fork into the child's ``ru_maxrss``: forked from the benchmark itself, even ``cat`` would
seem to use tens of MB. What remains is this process's own few MB, reported as the floor.
A command still running after TIMEOUT seconds is killed and reported as timed out.
"""

import os
import signal
import sys
import time


def main() -> int:
    timeout = float(sys.argv[1])
    stdin, stdout, stderr = sys.argv[2:5]
    command = sys.argv[sys.argv.index("--") + 1:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            for fd, path, flags in ((0, stdin, os.O_RDONLY),
                                    (1, stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                    (2, stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
                os.dup2(os.open(path, flags, 0o644), fd)
            os.execv(command[0], command)
        finally:
            os._exit(127)
    expired = []

    def kill(*_: object) -> None:
        expired.append(True)
        os.kill(pid, signal.SIGKILL)

    signal.signal(signal.SIGALRM, kill)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    signal.setitimer(signal.ITIMER_REAL, 0)
    code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    sys.stdout.write(f"{code} {wall:.6f} {cpu:.6f} {usage.ru_maxrss} {int(bool(expired))}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
