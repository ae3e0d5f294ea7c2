"""The cluster's etcd: one SQLite file holding current objects and a revision log.

Every write takes the next global revision inside a short ``BEGIN IMMEDIATE``
transaction, so revisions are dense and commit order equals revision order (there
are no gaps for a watcher to wait on, unlike kine on a multi-writer database).
An object's ``metadata.resourceVersion`` is the revision of its last write.

Two tables carry the data (see ``schema.py``):

- ``objects``: the current value of each key, for gets and lists that never pay for
  history;
- ``log``: one row per write (ADDED / MODIFIED / DELETED with the new value), read
  from a revision onward by ``get -w`` and the control loops, and compacted.

The store knows nothing of kinds: a key is (resource, namespace, name), where
resource is the registry's plural[.group]. Optimistic concurrency is checked here so
that no caller can forget it.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from typing import NamedTuple

from state import schema

BUSY_TIMEOUT_MS = 30_000
# Revisions kept in the log after compaction; watchers further behind re-list.
COMPACT_RETAIN = 10_000
# Heartbeat objects (node leases) dominate writes (kine's lesson): their log rows
# older than this many revisions are dropped on every compaction.
COMPACT_EVERY = 1_000


class StoreError(Exception):
    """Base of the store's errors; the API layer turns them into Status errors."""


class NotFound(StoreError):
    pass


class AlreadyExists(StoreError):
    pass


class Conflict(StoreError):
    """The caller's resourceVersion is not the current one."""


class Compacted(StoreError):
    """A watch asked for revisions that compaction already removed."""


class Unavailable(StoreError):
    """The state directory cannot be written (read-only, disk full, wrong owner)."""


class Event(NamedTuple):
    revision: int
    type: str  # ADDED | MODIFIED | DELETED
    resource: str
    namespace: str
    name: str
    object: dict


def default_home() -> str:
    explicit = os.environ.get("PKUBE_HOME")
    if explicit:
        return explicit
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "pkube")


class Store:
    """A handle on one cluster's database. Cheap to open; one per process."""

    def __init__(self, home: str | None = None):
        self.home = home or default_home()
        self.path = os.path.join(self.home, "state.db")
        self._conn: sqlite3.Connection | None = None

    # -- connection -------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        _ensure_private_dir(self.home)
        if os.path.exists(self.path) and _read_only_fs(self.home):
            return self._open_read_only()
        fresh = not os.path.exists(self.path)
        if fresh:
            # Create the file 0600 before SQLite does (it would honour the umask).
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
                os.close(fd)
            except OSError as e:
                raise Unavailable(f"cannot create {self.path}: {e.strerror}") from None
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version != schema.VERSION:
                schema.migrate(conn, self.path)
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as e:
            raise Unavailable(f"cannot open the state database {self.path}: {e}") from None
        for suffix in ("-wal", "-shm"):
            p = self.path + suffix
            if os.path.exists(p):
                try:
                    os.chmod(p, 0o600)
                except OSError:
                    pass
        return conn

    def _open_read_only(self) -> sqlite3.Connection:
        """A state dir on a read-only file system still reads (`get`, `describe`); every
        write fails with a clear "read-only" error. `immutable` lets SQLite read a WAL
        database without creating its -shm file, which nobody can change there anyway."""
        from urllib.parse import quote

        try:
            conn = sqlite3.connect(f"file:{quote(self.path)}?mode=ro&immutable=1", uri=True,
                                   timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA user_version").fetchone()
        except sqlite3.DatabaseError as e:
            raise Unavailable(f"cannot open the state database {self.path} (read-only file system): {e}") from None
        return conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- reads --------------------------------------------------------------
    def revision(self) -> int:
        row = self.conn.execute("SELECT v FROM meta WHERE k='rev'").fetchone()
        return row[0] if row else 0

    def get(self, resource: str, namespace: str, name: str) -> dict:
        row = self.conn.execute(
            "SELECT data FROM objects WHERE resource=? AND namespace=? AND name=?",
            (resource, namespace, name)).fetchone()
        if row is None:
            raise NotFound(name)
        return json.loads(row[0])

    def list(self, resource: str, namespace: str | None = None) -> tuple[list[dict], int]:
        """Objects of one resource (all namespaces when namespace is None), by name,
        with the revision the list was read at (for a watch to start from)."""
        conn = self.conn
        conn.execute("BEGIN")
        try:
            rev = self.revision()
            if namespace is None:
                rows = conn.execute("SELECT data FROM objects WHERE resource=? ORDER BY namespace, name",
                                    (resource,)).fetchall()
            else:
                rows = conn.execute("SELECT data FROM objects WHERE resource=? AND namespace=? ORDER BY name",
                                    (resource, namespace)).fetchall()
        finally:
            conn.execute("COMMIT")
        return [json.loads(r[0]) for r in rows], rev

    def names(self, resource: str, namespace: str | None, prefix: str = "") -> list[str]:
        """Names only (completion's hot path: no JSON decoding)."""
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        if namespace is None:
            rows = self.conn.execute(
                "SELECT name FROM objects WHERE resource=? AND name LIKE ? ESCAPE '\\' ORDER BY name",
                (resource, like))
        else:
            rows = self.conn.execute(
                "SELECT name FROM objects WHERE resource=? AND namespace=? AND name LIKE ? ESCAPE '\\' ORDER BY name",
                (resource, namespace, like))
        return [r[0] for r in rows]

    def by_uid(self, uid: str) -> dict | None:
        row = self.conn.execute("SELECT data FROM objects WHERE uid=?", (uid,)).fetchone()
        return json.loads(row[0]) if row else None

    def events_since(self, revision: int, resources: tuple[str, ...] | None = None,
                     limit: int = 1000) -> list[Event]:
        """Log entries after `revision`, oldest first. Raises Compacted when the
        log no longer reaches back that far."""
        conn = self.conn
        compacted = conn.execute("SELECT v FROM meta WHERE k='compact_rev'").fetchone()
        if compacted and revision < compacted[0]:
            raise Compacted(f"required revision {revision} has been compacted (oldest {compacted[0]})")
        if resources:
            marks = ",".join("?" * len(resources))
            rows = conn.execute(
                f"SELECT rev, type, resource, namespace, name, data FROM log "
                f"WHERE rev > ? AND resource IN ({marks}) ORDER BY rev LIMIT ?",
                (revision, *resources, limit))
        else:
            rows = conn.execute(
                "SELECT rev, type, resource, namespace, name, data FROM log WHERE rev > ? ORDER BY rev LIMIT ?",
                (revision, limit))
        return [Event(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

    # -- writes -------------------------------------------------------------
    def transaction(self):
        """A ``BEGIN IMMEDIATE`` write transaction: the write lock is taken up
        front, so two writers queue on the busy timeout instead of deadlocking on
        a lock upgrade ("database is locked")."""
        return _Txn(self)

    def create(self, resource: str, namespace: str, name: str, obj: dict) -> dict:
        with self.transaction() as tx:
            return tx.create(resource, namespace, name, obj)

    def update(self, resource: str, namespace: str, name: str, obj: dict,
               expect_rv: str | None = None) -> dict:
        with self.transaction() as tx:
            return tx.update(resource, namespace, name, obj, expect_rv)

    def delete(self, resource: str, namespace: str, name: str, expect_rv: str | None = None) -> dict:
        with self.transaction() as tx:
            return tx.delete(resource, namespace, name, expect_rv)

    def compact(self, retain: int = COMPACT_RETAIN) -> int:
        """Drop log rows older than the newest `retain` revisions; checkpoint the
        WAL so it cannot grow without bound (kine's lesson). Returns rows removed."""
        with self.transaction() as tx:
            rev = tx.current_rev()
            floor = rev - retain
            removed = 0
            if floor > 0:
                removed = tx.conn.execute("DELETE FROM log WHERE rev <= ?", (floor,)).rowcount
                tx.conn.execute("INSERT OR REPLACE INTO meta(k, v) VALUES('compact_rev', ?)", (floor,))
            # Leases are heartbeats: only their latest row matters to anyone.
            removed += tx.conn.execute(
                "DELETE FROM log WHERE resource='leases.coordination.k8s.io' AND rev <= ?",
                (rev - 100,)).rowcount
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError:
            pass  # a reader holds the WAL; the next compaction checkpoints
        return removed


class _Txn:
    def __init__(self, store: Store):
        self.store = store
        self.conn = store.conn
        self._rev: int | None = None
        self._start_rev: int | None = None
        self.writes = 0

    def __enter__(self) -> "_Txn":
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise Unavailable(_explain(e, self.store.path)) from None
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            try:
                if self._rev is not None:
                    self.conn.execute("UPDATE meta SET v=? WHERE k='rev'", (self._rev,))
                self.conn.execute("COMMIT")
            except sqlite3.OperationalError as e:
                self._rollback()
                raise Unavailable(_explain(e, self.store.path)) from None
            # Compact whenever this commit crossed a multiple of COMPACT_EVERY (a
            # batched commit may jump several revisions at once).
            if self._rev is not None and self._rev // COMPACT_EVERY != self._start_rev // COMPACT_EVERY:
                self.store.compact()
        else:
            self._rollback()
            if issubclass(exc_type, sqlite3.OperationalError):
                # a write inside the transaction failed (read-only, disk full, I/O error)
                raise Unavailable(_explain(exc, self.store.path)) from None
        return False

    def _rollback(self) -> None:
        # SQLite has already rolled back by itself after some errors (SQLITE_FULL)
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.OperationalError:
                pass

    def current_rev(self) -> int:
        if self._rev is None:
            row = self.conn.execute("SELECT v FROM meta WHERE k='rev'").fetchone()
            return row[0]
        return self._rev

    def _next_rev(self) -> int:
        if self._start_rev is None:
            self._start_rev = self.current_rev()
        self._rev = self.current_rev() + 1
        return self._rev

    def get(self, resource: str, namespace: str, name: str) -> dict | None:
        row = self.conn.execute(
            "SELECT data FROM objects WHERE resource=? AND namespace=? AND name=?",
            (resource, namespace, name)).fetchone()
        return json.loads(row[0]) if row else None

    def list(self, resource: str, namespace: str | None = None) -> list[dict]:
        if namespace is None:
            rows = self.conn.execute("SELECT data FROM objects WHERE resource=?", (resource,))
        else:
            rows = self.conn.execute("SELECT data FROM objects WHERE resource=? AND namespace=?",
                                     (resource, namespace))
        return [json.loads(r[0]) for r in rows]

    def _write(self, type_: str, resource: str, namespace: str, name: str, obj: dict) -> dict:
        rev = self._next_rev()
        obj.setdefault("metadata", {})["resourceVersion"] = str(rev)
        data = json.dumps(obj, separators=(",", ":"))
        if type_ == "DELETED":
            self.conn.execute("DELETE FROM objects WHERE resource=? AND namespace=? AND name=?",
                              (resource, namespace, name))
        else:
            self.conn.execute(
                "INSERT OR REPLACE INTO objects(resource, namespace, name, uid, rev, data) VALUES(?,?,?,?,?,?)",
                (resource, namespace, name, obj["metadata"].get("uid", ""), rev, data))
        self.conn.execute("INSERT INTO log(rev, type, resource, namespace, name, data) VALUES(?,?,?,?,?,?)",
                          (rev, type_, resource, namespace, name, data))
        self.writes += 1
        return obj

    def create(self, resource: str, namespace: str, name: str, obj: dict) -> dict:
        if self.get(resource, namespace, name) is not None:
            raise AlreadyExists(name)
        return self._write("ADDED", resource, namespace, name, obj)

    def update(self, resource: str, namespace: str, name: str, obj: dict,
               expect_rv: str | None = None) -> dict:
        live = self.get(resource, namespace, name)
        if live is None:
            raise NotFound(name)
        if expect_rv and expect_rv != live["metadata"].get("resourceVersion"):
            raise Conflict(name)
        return self._write("MODIFIED", resource, namespace, name, obj)

    def delete(self, resource: str, namespace: str, name: str, expect_rv: str | None = None) -> dict:
        live = self.get(resource, namespace, name)
        if live is None:
            raise NotFound(name)
        if expect_rv and expect_rv != live["metadata"].get("resourceVersion"):
            raise Conflict(name)
        return self._write("DELETED", resource, namespace, name, live)


def _ensure_private_dir(path: str) -> None:
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as e:
        raise Unavailable(f"cannot create the state directory {path}: {e.strerror}") from None
    st = os.stat(path)
    if st.st_uid != os.getuid():
        # One user's cluster is never driven by another user (DESIGN: security).
        raise Unavailable(f"the state directory {path} belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o077:
        try:
            os.chmod(path, 0o700)
        except OSError as e:
            raise Unavailable(f"cannot make the state directory {path} private: {e.strerror}") from None


def _read_only_fs(path: str) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _explain(err: sqlite3.OperationalError, path: str) -> str:
    text = str(err)
    if "readonly" in text or "read-only" in text:
        where = " (read-only file system)" if _read_only_fs(os.path.dirname(path)) else ""
        return f"the state database {path} is read-only{where}"
    if "full" in text:
        return f"no space left to write the state database {path}"
    return f"state database {path}: {text}"


def now_rfc3339(ts: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts if ts is not None else time.time()))
