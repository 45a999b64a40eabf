"""Lightweight transactions through the DataStax Python driver.

Usage: lwt.py HOST PORT
Prints one JSON object: was_applied and the current row of each
conditional statement, as the driver's LWT helpers give them, and a
SERIAL read.
"""
import json
import sys

from cassandra import ConsistencyLevel
from cassandra.cluster import Cluster
from cassandra.policies import WhiteListRoundRobinPolicy
from cassandra.query import SimpleStatement, BatchStatement

host, port = sys.argv[1], int(sys.argv[2])
cluster = Cluster([host], port=port, protocol_version=4,
                  load_balancing_policy=WhiteListRoundRobinPolicy([host]))
session = cluster.connect()
session.execute("CREATE KEYSPACE lwtpy WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
session.execute("CREATE TABLE lwtpy.accounts (owner text, id int, balance int, PRIMARY KEY (owner, id))")
out = {}


def cas(name, stmt, params=None):
    rs = session.execute(stmt, params)
    row = rs.one()
    out[name] = {"applied": rs.was_applied, "row": {k: v for k, v in row._asdict().items()} if row is not None else None}


cas("insert", "INSERT INTO lwtpy.accounts (owner, id, balance) VALUES ('ann', 1, 100) IF NOT EXISTS")
cas("insert_again", "INSERT INTO lwtpy.accounts (owner, id, balance) VALUES ('ann', 1, 5) IF NOT EXISTS")
prepared = session.prepare("UPDATE lwtpy.accounts SET balance = ? WHERE owner = ? AND id = ? IF balance = ?")
cas("update_stale", prepared, (50, "ann", 1, 99))
cas("update", prepared, (50, "ann", 1, 100))
batch = BatchStatement()
batch.add("UPDATE lwtpy.accounts SET balance = 40 WHERE owner = 'ann' AND id = 1 IF balance = 50")
batch.add("INSERT INTO lwtpy.accounts (owner, id, balance) VALUES ('ann', 2, 10) IF NOT EXISTS")
cas("batch", batch)
serial = SimpleStatement("SELECT balance FROM lwtpy.accounts WHERE owner = 'ann' AND id = 1",
                         consistency_level=ConsistencyLevel.SERIAL)
out["serial_balance"] = session.execute(serial).one().balance
cas("delete", "DELETE FROM lwtpy.accounts WHERE owner = 'ann' AND id = 2 IF EXISTS")
cas("delete_again", "DELETE FROM lwtpy.accounts WHERE owner = 'ann' AND id = 2 IF EXISTS")
cluster.shutdown()
print(json.dumps(out, sort_keys=True))
