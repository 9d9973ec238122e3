"""Workloads: what the clients do and which checker judges it."""
from jepsen.workloads.counter import Counter
from jepsen.workloads.expire import Expire
from jepsen.workloads.list_append import ListAppend
from jepsen.workloads.register import Register
from jepsen.workloads.sets import SetWorkload

WORKLOADS = {workload.name: workload for workload in (Register, SetWorkload, Counter, ListAppend, Expire)}
