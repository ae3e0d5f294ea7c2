"""Schema of the state database, created and migrated with sqlite-utils.

sqlite-utils costs ~100 ms to import, so it is only imported when the file is new or
older than this code (``PRAGMA user_version`` differs); every other open pays nothing.
"""
from __future__ import annotations

import sqlite3

VERSION = 1


def migrate(conn: sqlite3.Connection, path: str) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] == VERSION:
            conn.execute("COMMIT")  # another process migrated while we waited
            return
        if "objects" not in db.table_names():
            db["objects"].create(
                {"resource": str, "namespace": str, "name": str, "uid": str, "rev": int, "data": str},
                pk=("resource", "namespace", "name"))
            db["objects"].create_index(["uid"])
        if "log" not in db.table_names():
            db["log"].create(
                {"rev": int, "type": str, "resource": str, "namespace": str, "name": str, "data": str},
                pk="rev")
            db["log"].create_index(["resource", "rev"])
        if "meta" not in db.table_names():
            db["meta"].create({"k": str, "v": int}, pk="k")
            db["meta"].insert_all([{"k": "rev", "v": 0}, {"k": "compact_rev", "v": 0}])
        conn.execute(f"PRAGMA user_version={VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
