"""Logs in to a node with roles through the DataStax Python driver.

Usage: auth_roles.py HOST PORT USER PASSWORD
Prints one JSON object: what the role could read, and the error classes
and messages of what it could not do.
"""
import json
import sys

from cassandra import Unauthorized
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster, NoHostAvailable
from cassandra.policies import WhiteListRoundRobinPolicy

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = {}


def connect(pw):
    c = Cluster([host], port=port, protocol_version=4,
                auth_provider=PlainTextAuthProvider(username=user, password=pw),
                load_balancing_policy=WhiteListRoundRobinPolicy([host]))
    return c, c.connect()


try:
    c, _ = connect(password + "-wrong")
    out["wrong_password"] = "connected"
    c.shutdown()
except NoHostAvailable as e:
    out["wrong_password"] = " ".join(type(v).__name__ + ": " + str(v) for v in e.errors.values())

cluster, session = connect(password)
out["rows"] = sorted(r.k for r in session.execute("SELECT k FROM ks.t"))
try:
    session.execute("INSERT INTO ks.t (k) VALUES (99)")
    out["insert"] = "applied"
except Unauthorized as e:
    out["insert"] = "Unauthorized: " + str(e)
try:
    session.execute("DROP TABLE ks.t")
    out["drop"] = "applied"
except Unauthorized as e:
    out["drop"] = "Unauthorized: " + str(e)
out["keyspaces"] = sorted(cluster.metadata.keyspaces)
cluster.shutdown()
print(json.dumps(out))
