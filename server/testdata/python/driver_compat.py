"""Drives a wcdb node with the DataStax Python driver and prints what it saw.

Usage: driver_compat.py HOST PORT

Prints one JSON object on stdout; server/compat_python_test.go checks it.
Driver warnings go to stderr. Any exception ends the script with a
traceback and a non-zero status.
"""

import datetime
import decimal
import ipaddress
import json
import logging
import sys
import time
import uuid

from cassandra import AlreadyExists, InvalidRequest, ConsistencyLevel
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy
from cassandra.protocol import SyntaxException
from cassandra.query import SimpleStatement, BatchStatement
from cassandra.util import Date, Time

KS = "pydriver"


def column_kind(table, col):
    if col in [c.name for c in table.partition_key]:
        return "partition_key"
    if col in [c.name for c in table.clustering_key]:
        return "clustering"
    if table.columns[col].is_static:
        return "static"
    return "regular"


def timed(out, session, stmt):
    """Runs a DDL statement; the driver waits for schema agreement."""
    start = time.monotonic()
    session.execute(stmt)
    out["ddl_seconds"].append([stmt.split("(")[0].strip(), time.monotonic() - start])


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    out = {"ddl_seconds": []}

    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()),
        request_timeout=10,
    )
    cluster = Cluster(
        [host],
        port=port,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        connect_timeout=5,
        control_connection_timeout=5,
        max_schema_agreement_wait=5,
    )
    session = cluster.connect()
    out["protocol_version"] = cluster.protocol_version
    # The driver compresses with LZ4 when the lz4 module is installed.
    compressor = cluster.control_connection._connection.compressor
    out["compression"] = getattr(compressor, "__name__", "none").replace("_compress", "")
    try:
        import lz4  # noqa: F401
        out["lz4_available"] = True
    except ImportError:
        out["lz4_available"] = False

    meta = cluster.metadata
    out["cluster_name"] = meta.cluster_name
    out["partitioner"] = meta.partitioner
    out["hosts"] = [
        {
            "address": str(h.endpoint.address),
            "datacenter": h.datacenter,
            "rack": h.rack,
            "release_version": h.release_version,
            "is_up": bool(h.is_up),
        }
        for h in meta.all_hosts()
    ]
    out["keyspaces_at_connect"] = sorted(meta.keyspaces)

    timed(out, session, "DROP KEYSPACE IF EXISTS %s" % KS)
    timed(
        out,
        session,
        "CREATE KEYSPACE %s WITH replication = "
        "{'class': 'SimpleStrategy', 'replication_factor': 1}" % KS,
    )
    timed(
        out,
        session,
        """CREATE TABLE %s.events (
            p text, b int, c timeuuid,
            s text static,
            v int, tags set<text>, attrs map<text, int>, l list<bigint>,
            data blob, ts timestamp, d date, t time, u uuid, addr inet,
            dec decimal, vi varint, f float, dbl double, flag boolean,
            tiny tinyint, small smallint, fl frozen<list<int>>,
            tup tuple<int, text>, a ascii,
            PRIMARY KEY ((p, b), c)
        ) WITH CLUSTERING ORDER BY (c DESC) AND comment = 'python driver'"""
        % KS,
    )
    timed(
        out,
        session,
        "CREATE TABLE %s.pages (p int, c int, v text, PRIMARY KEY (p, c))" % KS,
    )
    timed(out, session, "ALTER TABLE %s.pages ADD extra text" % KS)

    # Schema as the driver's metadata sees it.
    cluster.refresh_schema_metadata(max_schema_agreement_wait=5)
    meta = cluster.metadata
    out["keyspaces"] = sorted(meta.keyspaces)
    ksm = meta.keyspaces[KS]
    out["replication"] = ksm.replication_strategy.export_for_schema()
    out["tables"] = sorted(ksm.tables)
    table = ksm.tables["events"]
    out["columns"] = {
        name: {
            "kind": column_kind(table, name),
            "type": col.cql_type,
            "reversed": bool(col.is_reversed),
        }
        for name, col in table.columns.items()
    }
    out["column_order"] = list(table.columns)
    out["table_comment"] = table.options.get("comment")
    out["export"] = ksm.export_as_string()

    # The export must replay as CQL against the node itself.
    copy = KS + "_copy"
    for stmt in ksm.export_as_string().replace(KS + ".", copy + ".").replace(
        "KEYSPACE " + KS + " ", "KEYSPACE " + copy + " "
    ).split(";"):
        if stmt.strip():
            session.execute(stmt)
    cluster.refresh_schema_metadata(max_schema_agreement_wait=5)
    out["export_replayed"] = (
        cluster.metadata.keyspaces[copy].export_as_string().replace(copy, KS)
        == cluster.metadata.keyspaces[KS].export_as_string()
    )
    session.execute("DROP KEYSPACE " + copy)

    # Prepared statements round-trip values of many types.
    session.set_keyspace(KS)
    ins = session.prepare(
        "INSERT INTO events (p, b, c, s, v, tags, attrs, l, data, ts, d, t, u, addr,"
        " dec, vi, f, dbl, flag, tiny, small, fl, tup, a)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    out["prepared_pk_indexes"] = list(ins.routing_key_indexes or [])
    c1 = uuid.uuid1()
    row = {
        "p": "part-é",
        "b": 7,
        "c": c1,
        "s": "static value",
        "v": -42,
        "tags": {"a", "b"},
        "attrs": {"x": 1, "y": -2},
        "l": [1, 2, 2**40],
        "data": b"\x00\x01\xfe\xff",
        "ts": datetime.datetime(2024, 5, 6, 7, 8, 9, 123000),
        "d": Date(datetime.date(2024, 2, 29)),
        "t": Time(datetime.time(13, 14, 15, 123456)),
        "u": uuid.uuid4(),
        "addr": "2001:db8::1",
        "dec": decimal.Decimal("-1234.5678"),
        "vi": -(10**30),
        "f": 1.5,
        "dbl": 3.141592653589793,
        "flag": True,
        "tiny": -128,
        "small": 32767,
        "fl": [3, 2, 1],
        "tup": (1, "one"),
        "a": "ascii only",
    }
    cols = list(row)
    session.execute(ins, [row[k] for k in cols])
    bound = ins.bind([row[k] for k in cols])
    out["replicas_for_key"] = [str(h.endpoint.address) for h in meta.get_replicas(KS, bound.routing_key)]
    # The driver's Murmur3 token of the routing key is the node's token().
    out["driver_token"] = meta.token_map.token_class.from_key(bound.routing_key).value if meta.token_map else None
    out["node_token"] = session.execute(
        session.prepare("SELECT token(p, b) FROM events WHERE p = ? AND b = ?"), ["part-é", 7]
    ).one()[0]

    sel = session.prepare("SELECT * FROM events WHERE p = ? AND b = ? AND c = ?")
    got = session.execute(sel, ["part-é", 7, c1]).one()
    results = {}
    for k in cols:
        want, have = row[k], getattr(got, k)
        if k == "tags":
            have = set(have)
        elif k == "addr":
            want, have = ipaddress.ip_address(want), ipaddress.ip_address(have)
        elif k in ("l", "fl"):
            have = list(have)
        elif k == "attrs":
            have = dict(have)
        results[k] = "ok" if want == have else "got %r, want %r" % (have, want)
    out["roundtrip"] = results

    # A second clustering row shares the static column; UPDATE and DELETE.
    c2 = uuid.uuid1()
    upd = session.prepare("UPDATE events SET v = ?, tags = tags + ?, attrs[?] = ? WHERE p = ? AND b = ? AND c = ?")
    session.execute(upd, [5, {"z"}, "k", 9, "part-é", 7, c2])
    rows = list(session.execute(sel.bind(["part-é", 7, c2])))
    out["update"] = [[r.s, r.v, sorted(r.tags), dict(r.attrs)] for r in rows]
    session.execute(session.prepare("DELETE FROM events WHERE p = ? AND b = ? AND c = ?"), ["part-é", 7, c1])
    out["after_delete"] = [str(r.c) == str(c2) for r in session.execute("SELECT c FROM events WHERE p = 'part-é' AND b = 7")]

    # Paging with fetch_size: one partition and the whole table.
    pins = session.prepare("INSERT INTO pages (p, c, v) VALUES (?, ?, ?)")
    for start in range(0, 1500, 100):
        batch = BatchStatement(consistency_level=ConsistencyLevel.QUORUM)
        for i in range(start, start + 100):
            batch.add(pins, (i // 500, i % 500, "v%d" % i))
        session.execute(batch)

    def page_through(stmt, params=None):
        rs = session.execute(stmt, params)
        pages, seen = 1, []
        while True:
            seen.extend((r.p, r.c) for r in rs.current_rows)
            if not rs.has_more_pages:
                break
            rs.fetch_next_page()
            pages += 1
        return pages, seen

    pages, seen = page_through(SimpleStatement("SELECT p, c FROM pages WHERE p = 1", fetch_size=50))
    out["paging_partition"] = {
        "pages": pages,
        "rows": len(seen),
        "ordered": seen == [(1, c) for c in range(500)],
    }
    bound = session.prepare("SELECT p, c FROM pages").bind([])
    bound.fetch_size = 100
    pages, seen = page_through(bound)
    out["paging_table"] = {"pages": pages, "rows": len(seen), "distinct": len(set(seen))}
    out["iterated_rows"] = sum(1 for _ in session.execute(SimpleStatement("SELECT c FROM pages", fetch_size=7)))

    # Errors arrive as the driver's exception types.
    errors = {}
    for name, stmt, want in [
        ("already_exists", "CREATE TABLE pages (p int PRIMARY KEY)", AlreadyExists),
        ("syntax", "SELEC * FROM pages", SyntaxException),
        ("invalid", "SELECT * FROM nosuchtable", InvalidRequest),
    ]:
        try:
            session.execute(stmt)
            errors[name] = "no error"
        except want:
            errors[name] = "ok"
        except Exception as e:  # noqa: BLE001 - report the unexpected type
            errors[name] = "%s: %s" % (type(e).__name__, e)
    out["errors"] = errors

    cluster.shutdown()
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
