"""CPU accounting from /proc: who used the machine's cores during a run.

The server's process tree, the local PostgreSQL, the load generator, every other
process, and what the hypervisor gave to other machines (steal) — in jiffies, turned
into cores used over a run's duration.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
NOISY_OTHER_CPU = 0.2  # cores used by others (other + steal) above which a run is noisy


def busy_jiffies() -> tuple[int, int]:
    """CPU time the machine has spent busy so far (all processes), and the time the
    hypervisor gave our virtual CPUs to someone else (steal), in jiffies."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]] + [0] * 8
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    return user + nice + system + irq + softirq, steal


def database_jiffies() -> int:
    """CPU time used so far by local PostgreSQL processes (the database server)."""
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    head, rest = f.read().rsplit(")", 1)
            except OSError:
                continue
            if head.split("(", 1)[1] == "postgres":
                fields = rest.split()
                total += int(fields[11]) + int(fields[12])
    return total


def tree_jiffies(root_pid: int) -> int:
    """CPU time (user + system) used by a process and its live children, in jiffies."""
    total, parents = 0, {root_pid}
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    for pid, (ppid, _) in stats.items():
        if ppid == root_pid:
            parents.add(pid)
    for pid in parents:
        total += stats.get(pid, (0, 0))[1]
    return total


def own_jiffies() -> int:
    """CPU time used so far by this Python process (e.g. a load generator's threads)."""
    times = os.times()
    return round((times.user + times.system) * CLK_TCK)


def trees_jiffies(pids: dict[str, int]) -> dict[str, int]:
    """`tree_jiffies` of each named process, and this process's own as "load generator"."""
    return {**{name: tree_jiffies(pid) for name, pid in pids.items()},
            "load generator": own_jiffies()}


def ms_per(before: dict[str, int], after: dict[str, int], count: int) -> dict[str, float]:
    """CPU milliseconds per unit of work (e.g. per chat turn), by name."""
    return {name: round((after[name] - before[name]) * 1000 / CLK_TCK / max(count, 1), 1)
            for name in before}


@dataclass
class Snapshot:
    """The counters at one moment, around a load generator run as a child process."""

    machine: int
    steal: int
    server: int
    database: int
    children_s: float  # CPU seconds of our finished children (the load generator)


def snapshot(server_pid: int, postgresql: bool) -> Snapshot:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine, steal = busy_jiffies()
    return Snapshot(machine, steal, tree_jiffies(server_pid),
                    database_jiffies() if postgresql else 0, usage.ru_utime + usage.ru_stime)


def cores_used(before: Snapshot, after: Snapshot, seconds: float) -> dict[str, float]:
    """Cores used between two snapshots: server, load generator (client), database,
    every other process, steal."""
    client = after.children_s - before.children_s
    server = (after.server - before.server) / CLK_TCK
    machine = (after.machine - before.machine) / CLK_TCK
    database = (after.database - before.database) / CLK_TCK
    return {
        "steal_cpu_cores": (after.steal - before.steal) / CLK_TCK / seconds,
        "db_cpu_cores": database / seconds,
        "client_cpu_cores": client / seconds,
        "server_cpu_cores": max(0.0, server) / seconds,  # < 0 when a worker died
        # Whatever else ran on the machine meanwhile (other jobs skew the numbers).
        "other_cpu_cores": max(0.0, machine - server - client - database) / seconds,
    }


def noisy(other_cores: float, steal_cores: float) -> bool:
    return other_cores + steal_cores > NOISY_OTHER_CPU
