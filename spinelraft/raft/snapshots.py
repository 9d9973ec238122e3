"""State-machine snapshots in RocksDB, plugged into pysyncobj's log compaction.

pysyncobj calls `serialize(tmp_file, raft_meta)` in its tick thread and renames tmp_file to the
dump file as soon as it returns; `check()` later reports when the snapshot is durable, and only
then does pysyncobj drop the compacted log entries. Writing a million keys takes seconds, which
would stall heartbeats, so `serialize` forks: the child writes the state (a copy-on-write image
taken between two applied entries) into a fresh RocksDB directory, and the parent writes only a
small metadata file naming both the snapshot being written and the last complete one.

On restart `load()` uses the pending snapshot if the child finished it (a COMPLETE marker), else
the last complete one: the log has not been truncated past that one (truncation waits for
`check()` to report success), so replaying the journal from there loses nothing.

pysyncobj also sends the dump file to a follower that lags behind the compacted log, so once a
snapshot is complete the dump file must be self-contained: the child also writes every record
into a transfer file, and `check()` swaps it in as the dump file when the child succeeds. A
follower that receives it loads the records from the file and stores them in its own RocksDB.

Dump file format: MAGIC, an 8-byte header length, a pickled header {"pending", "complete",
"embedded"}, then (when embedded) records as (4-byte length, key, 4-byte length, value).
"""
import logging
import os
import pickle
import shutil
import struct
import time

from rocksdict import AccessType, Options, Rdict, WriteBatch

from spinelraft.statemachine import snapshot as codec

log = logging.getLogger(__name__)

NOT_SERIALIZING, SERIALIZING, SUCCESS, FAILED = 0, 1, 2, 3  # pysyncobj SERIALIZER_STATE
COMPLETE_MARKER = "COMPLETE"
WRITE_BATCH_RECORDS = 10_000
MAGIC = b"SPINELRAFT-SNAPSHOT-1\n"


class SnapshotStore:
    def __init__(self, directory: str, machine_getter, machine_setter, dump_file: str = None):
        self.directory = directory
        self.dump_file = dump_file or os.path.join(directory, "dump")
        os.makedirs(directory, exist_ok=True)
        self._get_machine = machine_getter
        self._set_machine = machine_setter
        self._child_pid = 0
        self._pending = None  # (name, raft_meta) being written by the child
        self.complete = None  # (name, raft_meta) of the newest finished snapshot
        self.last_duration_s = 0.0
        self.last_keys = 0
        self._started_at = 0.0
        self.count = 0

    # -- pysyncobj hooks (tick thread) ------------------------------------------------------------
    def serialize(self, tmp_file: str, raft_meta):
        if self._child_pid:
            raise RuntimeError("a snapshot is already being written")
        last_applied = raft_meta[0]  # (command, index, term) of the last applied entry
        name = "snap-%020d-%d" % (last_applied[1], last_applied[2])
        self._started_at = time.monotonic()
        pid = os.fork()
        if pid == 0:  # child: write and leave without running any parent cleanup
            status = 1
            try:
                self._write_rocksdb(os.path.join(self.directory, name))
                self._write_dump(self._transfer_path(name), (name, raft_meta), embedded=True)
                status = 0
            except BaseException:  # noqa: BLE001 - report any failure through the exit code
                log.exception("snapshot child failed")
            finally:
                os._exit(status)
        self._child_pid = pid
        self._pending = (name, raft_meta)
        self._write_dump(tmp_file, None, embedded=False)
        log.info("snapshot %s started (pid %d)", name, pid)

    def check(self) -> int:
        if not self._child_pid:
            return NOT_SERIALIZING
        pid, status = os.waitpid(self._child_pid, os.WNOHANG)
        if pid == 0:
            return SERIALIZING
        self._child_pid = 0
        name = self._pending[0]
        if status != 0 or not os.path.exists(os.path.join(self.directory, name, COMPLETE_MARKER)):
            log.error("snapshot %s failed (status %d)", name, status)
            self._pending = None
            return FAILED
        self.complete, self._pending = self._pending, None
        os.replace(self._transfer_path(name), self.dump_file)  # now self-contained for followers
        self.last_duration_s = time.monotonic() - self._started_at
        self.count += 1
        self._remove_old_snapshots()
        log.info("snapshot %s complete in %.2f s", name, self.last_duration_s)
        return SUCCESS

    def deserialize(self, dump_file: str):
        """Load the newest complete snapshot into the machine; return pysyncobj's raft meta."""
        with open(dump_file, "rb") as handle:
            header = _read_header(handle)
            for key in ("pending", "complete"):
                entry = header.get(key)
                if not entry:
                    continue
                started = time.monotonic()
                path = os.path.join(self.directory, entry[0])
                if os.path.exists(os.path.join(path, COMPLETE_MARKER)):
                    machine = self._read_rocksdb(path)
                elif header.get("embedded") and key == "complete":
                    machine = codec.load_records(_read_records(handle))
                    self._write_rocksdb(path, machine)  # a follower keeps what it was sent
                else:
                    continue
                self._set_machine(machine)
                self.complete = entry
                log.info("loaded snapshot %s (%d keys) in %.2f s", entry[0],
                         sum(len(db) for db in machine.dbs), time.monotonic() - started)
                return entry[1]
        raise RuntimeError("no complete snapshot found: replaying the whole journal")

    # -- storage ------------------------------------------------------------------------------------
    def _transfer_path(self, name: str) -> str:
        return os.path.join(self.directory, name + ".transfer")

    def _write_dump(self, path: str, complete, embedded: bool):
        """The dump file: the header, and with `embedded` every record of the machine."""
        header = {"pending": None if embedded else self._pending,
                  "complete": complete if embedded else self.complete, "embedded": embedded}
        blob = pickle.dumps(header)
        with open(path, "wb") as handle:
            handle.write(MAGIC + struct.pack(">Q", len(blob)) + blob)
            if embedded:
                for key, value in codec.iter_records(self._get_machine()):
                    handle.write(struct.pack(">I", len(key)) + key + struct.pack(">I", len(value)) + value)
            handle.flush()
            os.fsync(handle.fileno())

    def _write_rocksdb(self, path: str, machine=None):
        shutil.rmtree(path, ignore_errors=True)
        db = Rdict(path, Options(raw_mode=True))
        try:
            batch = {}
            for key, value in codec.iter_records(machine or self._get_machine()):
                batch[key] = value
                if len(batch) >= WRITE_BATCH_RECORDS:
                    self._flush_batch(db, batch)
            self._flush_batch(db, batch)
            db.flush(True)
        finally:
            db.close()
        marker = os.path.join(path, COMPLETE_MARKER)
        with open(marker, "wb") as handle:
            os.fsync(handle.fileno())

    @staticmethod
    def _flush_batch(db, batch: dict):
        if not batch:
            return
        write_batch = WriteBatch(raw_mode=True)
        for key, value in batch.items():
            write_batch.put(key, value)
        db.write(write_batch)
        batch.clear()

    @staticmethod
    def _read_rocksdb(path: str):
        db = Rdict(path, Options(raw_mode=True), access_type=AccessType.read_only())
        try:
            return codec.load_records(db.items())
        finally:
            db.close()

    def _remove_old_snapshots(self):
        keep = {self.complete[0]} if self.complete else set()
        for name in os.listdir(self.directory):
            if name.startswith("snap-") and name not in keep:
                path = os.path.join(self.directory, name)
                if os.path.isdir(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)


def _read_header(handle) -> dict:
    if handle.read(len(MAGIC)) != MAGIC:
        raise RuntimeError("not a SpinelRaft snapshot file")
    (length,) = struct.unpack(">Q", handle.read(8))
    return pickle.loads(handle.read(length))


def _read_records(handle):
    while True:
        prefix = handle.read(4)
        if not prefix:
            return
        key = handle.read(struct.unpack(">I", prefix)[0])
        value = handle.read(struct.unpack(">I", handle.read(4))[0])
        yield key, value
