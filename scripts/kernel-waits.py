#!/usr/bin/env python3
"""Where a process waits in the kernel: every 10 ms, the kernel stack of each of its threads
that is in uninterruptible sleep (state D: a disk, a page fault, a lock), one line per
thread and sample, `EPOCH_SECONDS THREAD_NAME frame <- caller <- ...`, until the process ends.

Usage: scripts/kernel-waits.py PID >FILE   (root: /proc/PID/task/TID/stack is root's only)
Used by scripts/benchmarks.sh (the soak) and scripts/stall-probe.sh to tell a stall in the
kernel (writeback, a fault) from one in the process."""
import os
import sys
import time

pid = sys.argv[1]
if os.geteuid() != 0:
    sys.exit("kernel-waits.py: kernel stacks are readable by root only")
while os.path.exists(f"/proc/{pid}"):
    now = time.time()
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        break
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
            # The state follows the name, which is in parentheses and may hold spaces.
            if stat[stat.rindex(")") + 2] != "D":
                continue
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip().replace(" ", "_")
            with open(f"/proc/{pid}/task/{tid}/stack") as f:
                frames = [line.split()[1].split("+")[0] for line in f if line.strip()]
            print(f"{now:.3f} {name} {' <- '.join(frames) or '?'}", flush=True)
        except (OSError, ValueError, IndexError):
            pass  # the thread ended or left state D while being read
    time.sleep(0.01)
