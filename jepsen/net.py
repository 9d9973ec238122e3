"""Network partitions: iptables DROP rules between pairs of node addresses on loopback.

All rules live in one chain of this run (JEPSEN-<pid>), jumped to from INPUT, so healing is a
flush and clean-up deletes the chain; nothing else on the machine is touched.
"""
import os
import shutil
import subprocess


def _iptables(*args, check=True):
    return subprocess.run(["iptables", "-w", "5", *args], capture_output=True, text=True, check=check,
                          timeout=15)


class Network:
    def __init__(self):
        self.chain = "JEPSEN-%d" % os.getpid()
        self.installed = False
        self.cut_pairs = []

    @staticmethod
    def unavailable_reason():
        """None when partitions can be made, else why not."""
        if os.environ.get("JEPSEN_NO_IPTABLES"):
            return "disabled by JEPSEN_NO_IPTABLES (partitions skipped)"
        if os.geteuid() != 0:
            return "not root: iptables rules need root (partitions skipped)"
        if shutil.which("iptables") is None:
            return "iptables is not installed (apt-get install iptables; partitions skipped)"
        try:
            _iptables("-L", "INPUT", "-n")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
            return "iptables does not work here: %s" % (getattr(error, "stderr", "") or error).strip()
        return None

    def install(self):
        remove_orphan_chains()
        _iptables("-N", self.chain)
        self.installed = True
        _iptables("-I", "INPUT", "-j", self.chain)

    def cut(self, groups):
        """Drop traffic between nodes of different groups (lists of hosts)."""
        for index, group in enumerate(groups):
            for other in groups[index + 1:]:
                for a in group:
                    for b in other:
                        self._drop(a, b)
                        self._drop(b, a)

    def _drop(self, source: str, destination: str):
        _iptables("-A", self.chain, "-s", source, "-d", destination, "-j", "DROP")
        self.cut_pairs.append((source, destination))

    def heal(self):
        if self.installed:
            _iptables("-F", self.chain, check=False)
        self.cut_pairs = []

    def uninstall(self):
        if not self.installed:
            return
        _iptables("-D", "INPUT", "-j", self.chain, check=False)
        _iptables("-F", self.chain, check=False)
        _iptables("-X", self.chain, check=False)
        self.installed = False


def remove_orphan_chains():
    """Delete JEPSEN-<pid> chains left by runs that were killed outright (their pid is gone)."""
    listing = _iptables("-S", check=False).stdout.splitlines()
    chains = {line.split()[1] for line in listing if line.startswith("-N JEPSEN-")}
    for chain in chains:
        pid = chain.split("-", 1)[1]
        if pid.isdigit() and not os.path.exists("/proc/%s" % pid):
            _iptables("-D", "INPUT", "-j", chain, check=False)
            _iptables("-F", chain, check=False)
            _iptables("-X", chain, check=False)
