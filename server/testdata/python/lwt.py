"""Lightweight transactions and counters through the DataStax Python driver.

Usage: lwt.py HOST PORT
Prints one JSON object: was_applied and the current row of each
conditional statement, as the driver's LWT helpers give them, a SERIAL
read, and counters after increments (prepared, a counter batch).
"""
import json
import sys

from cassandra import ConsistencyLevel
from cassandra.cluster import Cluster
from cassandra.policies import WhiteListRoundRobinPolicy
from cassandra.query import SimpleStatement, BatchStatement, BatchType

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
session.execute("CREATE TABLE lwtpy.likes (post int PRIMARY KEY, n counter, views counter)")
inc = session.prepare("UPDATE lwtpy.likes SET n = n + ?, views = views + 1 WHERE post = ?")
for i in range(5):
    session.execute(inc, (2, 7))
counters = BatchStatement(batch_type=BatchType.COUNTER)
counters.add("UPDATE lwtpy.likes SET n = n - 1 WHERE post = 7")
counters.add("UPDATE lwtpy.likes SET views = views + 10 WHERE post = 8")
session.execute(counters)
out["counters"] = sorted([r.post, r.n, r.views] for r in session.execute("SELECT post, n, views FROM lwtpy.likes"))
cluster.shutdown()
print(json.dumps(out, sort_keys=True))
