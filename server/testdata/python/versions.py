"""Cell versions through the DataStax Python driver (docs/VERSIONS.md).

Usage: versions.py HOST PORT
Prints one JSON object: versions(contents) as the driver decodes the
map<bigint, text> (its keys in the order they came on the wire), a
prepared versions(contents, 2), and AS OF reads (a literal, a prepared
TIMESTAMP, and a time before the row existed).
"""
import json
import sys

from cassandra.cluster import Cluster
from cassandra.policies import WhiteListRoundRobinPolicy

host, port = sys.argv[1], int(sys.argv[2])
cluster = Cluster([host], port=port, protocol_version=4,
                  load_balancing_policy=WhiteListRoundRobinPolicy([host]))
session = cluster.connect()
session.execute("CREATE KEYSPACE verpy WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
session.execute("CREATE TABLE verpy.webtable (row text PRIMARY KEY, contents text, anchor text)"
                " WITH cell_versions = {'max_versions': '3'}")
for ts in (6, 3, 5):
    session.execute("INSERT INTO verpy.webtable (row, contents) VALUES ('com.cnn.www', %s) USING TIMESTAMP " + str(ts),
                    ("<html>%d" % ts,))
session.execute("INSERT INTO verpy.webtable (row, anchor) VALUES ('com.cnn.www', 'CNN') USING TIMESTAMP 9")
out = {}
r = session.execute("SELECT contents, versions(contents), versions(anchor) FROM verpy.webtable WHERE row = 'com.cnn.www'").one()
out["contents"] = r[0]
out["versions"] = [[k, v] for k, v in r[1].items()]
out["anchor_versions"] = [[k, v] for k, v in r[2].items()]
prepared = session.prepare("SELECT versions(contents, ?) FROM verpy.webtable WHERE row = ?")
out["newest_two"] = [[k, v] for k, v in session.execute(prepared, (2, "com.cnn.www")).one()[0].items()]
as_of = session.prepare("SELECT contents, anchor FROM verpy.webtable AS OF TIMESTAMP ? WHERE row = ?")
out["as_of_5"] = list(session.execute(as_of, (5, "com.cnn.www")).one())
out["as_of_literal"] = list(session.execute(
    "SELECT contents, anchor FROM verpy.webtable AS OF '1970-01-01 00:00:00.001+0000' WHERE row = 'com.cnn.www'").one())
out["as_of_2_rows"] = len(list(session.execute(as_of, (2, "com.cnn.www"))))
cluster.shutdown()
print(json.dumps(out, sort_keys=True))
