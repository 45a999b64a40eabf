"""Secondary indexes (CREATE INDEX, SAI) through the DataStax Python driver.

Usage: indexes.py HOST PORT
Prints one JSON object: the rows of indexed queries (equality, SAI range,
CONTAINS, CONTAINS KEY, a map entry, two indexes ANDed, paged with
fetch_size), the driver's index metadata (read from
system_schema.indexes) as CQL, and the error of a refused query.
"""
import json
import sys

from cassandra import InvalidRequest
from cassandra.cluster import Cluster
from cassandra.policies import WhiteListRoundRobinPolicy
from cassandra.query import SimpleStatement

host, port = sys.argv[1], int(sys.argv[2])
cluster = Cluster([host], port=port, protocol_version=4,
                  load_balancing_policy=WhiteListRoundRobinPolicy([host]))
session = cluster.connect()
session.execute("CREATE KEYSPACE idxpy WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
session.execute("CREATE TABLE idxpy.items (id int PRIMARY KEY, color text, size int, tags set<text>, props map<text, int>)")
insert = session.prepare("INSERT INTO idxpy.items (id, color, size, tags, props) VALUES (?, ?, ?, ?, ?)")
colors = ["red", "green", "blue"]
for i in range(60):
    session.execute(insert, (i, colors[i % 3], i % 10, {"t%d" % (i % 4)}, {"p%d" % (i % 2): i % 5}))
session.execute("CREATE INDEX ON idxpy.items (color)")
session.execute("CREATE CUSTOM INDEX size_sai ON idxpy.items (size) USING 'StorageAttachedIndex'")
session.execute("CREATE INDEX ON idxpy.items (tags)")
session.execute("CREATE INDEX props_keys ON idxpy.items (keys(props))")
session.execute("CREATE INDEX props_entries ON idxpy.items (entries(props))")


def ids(query, params=None):
    stmt = SimpleStatement(query, fetch_size=7)
    return sorted(row.id for row in session.execute(stmt, params))


out = {
    "color": ids("SELECT id FROM idxpy.items WHERE color = %s", ("green",)),
    "size_range": ids("SELECT id FROM idxpy.items WHERE size >= %s AND size < %s", (3, 5)),
    "tags": ids("SELECT id FROM idxpy.items WHERE tags CONTAINS %s", ("t1",)),
    "props_key": ids("SELECT id FROM idxpy.items WHERE props CONTAINS KEY %s", ("p1",)),
    "props_entry": ids("SELECT id FROM idxpy.items WHERE props['p0'] = %s", (4,)),
    "color_and_size": ids("SELECT id FROM idxpy.items WHERE color = %s AND size > %s", ("red", 5)),
}
prepared = session.prepare("SELECT id FROM idxpy.items WHERE color = ?")
out["prepared"] = sorted(row.id for row in session.execute(prepared, ("blue",)))
cluster.refresh_schema_metadata()
table = cluster.metadata.keyspaces["idxpy"].tables["items"]
out["indexes"] = sorted(ix.as_cql_query() for ix in table.indexes.values())
try:
    session.execute("SELECT id FROM idxpy.items WHERE color > 'a'")
    out["refused"] = None
except InvalidRequest as e:
    out["refused"] = str(e)
print(json.dumps(out))
cluster.shutdown()
