"""CAST, arithmetic, GROUP BY, ISO durations and now() into a uuid through
the DataStax Python driver.

Usage: expressions.py HOST PORT
Prints one JSON object: the column names and values (as str) of a row of
arithmetic and casts, the groups of a paged GROUP BY, a duration written
in ISO 8601, the version of a uuid written with now(), and the class and
message of the errors of a division by zero and a re-added column.
"""
import json
import sys

from cassandra.cluster import Cluster
from cassandra.policies import WhiteListRoundRobinPolicy
from cassandra.query import SimpleStatement

host, port = sys.argv[1], int(sys.argv[2])
cluster = Cluster([host], port=port, protocol_version=4,
                  load_balancing_policy=WhiteListRoundRobinPolicy([host]))
session = cluster.connect()
session.execute("CREATE KEYSPACE expy WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
session.execute("CREATE TABLE expy.t (k int, c int, v int, f float, d decimal, ts timestamp, du duration, u uuid, PRIMARY KEY (k, c))")
ins = session.prepare("INSERT INTO expy.t (k, c, v, f, d, ts, du, u) VALUES (?, ?, ?, 1.5, 8.5, '2016-09-27 16:15:00+0000', P1DT2H, now())")
for c in range(10):
    session.execute(ins, (c % 3, c, c * 10))
out = {}

rs = session.execute("SELECT v + 1, c * f, d / 2, CAST(v AS text), CAST(f AS int), ts + 1h, -v, (v - c) % 7 "
                     "FROM expy.t WHERE k = 1 AND c = 4")
out["names"] = list(rs.column_names)
out["values"] = [str(x) for x in rs.one()]

stmt = SimpleStatement("SELECT k, count(*), sum(v), max(v) FROM expy.t WHERE k IN (0, 1, 2) GROUP BY k", fetch_size=2)
out["groups"] = [[r[0], r[1], r[2], r[3]] for r in session.execute(stmt)]
stmt = SimpleStatement("SELECT k, c, count(*) FROM expy.t WHERE k = 0 GROUP BY k, c", fetch_size=3)
out["fine_groups"] = len(list(session.execute(stmt)))

session.execute("UPDATE expy.t SET du = P0001-02-03T04:05:06 WHERE k = 0 AND c = 0")
row = session.execute("SELECT du, u FROM expy.t WHERE k = 0 AND c = 0").one()
out["duration"] = [row.du.months, row.du.days, row.du.nanoseconds]
out["uuid_version"] = row.u.version


def error_of(q):
    try:
        session.execute(q)
    except Exception as e:  # the driver's error classes
        return [type(e).__name__, str(e)]
    return None


out["div_zero"] = error_of("SELECT v / 0 FROM expy.t WHERE k = 1")
session.execute("ALTER TABLE expy.t DROP f")
out["readd"] = error_of("ALTER TABLE expy.t ADD f text")
print(json.dumps(out))
cluster.shutdown()
