"""User-defined types through the DataStax Python driver.

Usage: udt.py HOST PORT
Prints one JSON object: a user type read as the driver's named tuple
(fields by attribute), one bound from and read into a class registered
with register_user_type (prepared and simple statements), a nested
type in a list, a field update, the type's fields in the driver's
metadata (system_schema.types) before and after ALTER TYPE, types as map
keys and set elements, writetime() of a non-frozen type, and the error
of a DROP TYPE of a type in use.
"""
import json
import sys

from cassandra.cluster import Cluster
from cassandra.policies import WhiteListRoundRobinPolicy

host, port = sys.argv[1], int(sys.argv[2])
cluster = Cluster([host], port=port, protocol_version=4,
                  load_balancing_policy=WhiteListRoundRobinPolicy([host]))
session = cluster.connect()
session.execute("CREATE KEYSPACE udtpy WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
session.execute("CREATE TYPE udtpy.address (street text, zip int)")
session.execute("CREATE TYPE udtpy.person (name text, home frozen<address>)")
session.execute("CREATE TABLE udtpy.t (k int PRIMARY KEY, a address, fa frozen<address>, people list<frozen<person>>)")
out = {}

# Named tuples by default.
session.execute("INSERT INTO udtpy.t (k, a, people) VALUES (1, {street: 'Main', zip: 1}, "
                "[{name: 'ann', home: {street: 'x', zip: 3}}])")
row = session.execute("SELECT a, people FROM udtpy.t WHERE k = 1").one()
out["named"] = [type(row.a).__name__, row.a.street, row.a.zip, row.people[0].name, row.people[0].home.zip]


class Address(object):
    def __init__(self, street=None, zip=None):
        self.street = street
        self.zip = zip


cluster.register_user_type("udtpy", "address", Address)
ins = session.prepare("INSERT INTO udtpy.t (k, a, fa) VALUES (?, ?, ?)")
session.execute(ins, (2, Address("Second", 20), Address("Frozen", 21)))
session.execute("INSERT INTO udtpy.t (k, a) VALUES (%s, %s)", (3, Address("Third", 30)))
session.execute("UPDATE udtpy.t SET a.zip = %s WHERE k = 2", (22,))
got = []
for k in (2, 3):
    r = session.execute("SELECT a, fa FROM udtpy.t WHERE k = %s", (k,)).one()
    got.append([type(r.a).__name__, r.a.street, r.a.zip, r.fa.street if r.fa else None])
out["registered"] = got
out["field"] = list(session.execute("SELECT a.street, a.zip FROM udtpy.t WHERE k = 2").one())

# the driver refreshes its metadata from the Schema_change result
out["fields"] = cluster.metadata.keyspaces["udtpy"].user_types["address"].field_names
session.execute("ALTER TYPE udtpy.address ADD city text")
# the driver refreshes its metadata from the Schema_change result
out["fields_after"] = cluster.metadata.keyspaces["udtpy"].user_types["address"].field_names
out["describe"] = cluster.metadata.keyspaces["udtpy"].user_types["person"].as_cql_query()

# Types as map keys and set elements, literal and bound (the driver's
# tuples), a field of one held in a map, writetime() of a non-frozen one.
session.execute("CREATE TYPE udtpy.pt (x text, y int)")
session.execute("CREATE TABLE udtpy.m (k int PRIMARY KEY, byp map<frozen<pt>, int>, ps set<frozen<pt>>, u pt)")
session.execute("INSERT INTO udtpy.m (k, byp, ps) VALUES (1, {{x: 'b', y: 1}: 2, {x: 'a'}: 1}, {{x: 'z', y: 2}})")
upd = session.prepare("UPDATE udtpy.m USING TIMESTAMP 100 SET byp[?] = ?, ps = ps + ?, u.x = ? WHERE k = 2")
session.execute(upd, (("c", 3), 4, {("d", 5)}, "w"))
got = []
for k in (1, 2):
    r = session.execute("SELECT byp, ps FROM udtpy.m WHERE k = %s", (k,)).one()
    got.append([sorted([[p.x, p.y, v] for p, v in r.byp.items()], key=lambda e: e[0]), [[p.x, p.y] for p in r.ps]])
out["keys"] = got
out["in_map"] = session.execute("SELECT byp[{x: 'b', y: 1}], ps FROM udtpy.m WHERE k = 1").one()[0]
session.execute("CREATE TABLE udtpy.n (k int PRIMARY KEY, m map<int, frozen<pt>>)")
session.execute("INSERT INTO udtpy.n (k, m) VALUES (1, {7: {x: 'p', y: 8}})")
out["field_in_map"] = session.execute("SELECT m[7].y FROM udtpy.n WHERE k = 1").one()[0]
# (every field set: this driver cannot decode the null entries of a
# list, which Cassandra 5 sends for fields without a cell too)
session.execute("UPDATE udtpy.m USING TIMESTAMP 200 SET u.y = 6 WHERE k = 2")
out["writetime"] = session.execute("SELECT writetime(u) FROM udtpy.m WHERE k = 2").one()[0]

try:
    session.execute("DROP TYPE udtpy.address")
    out["drop"] = None
except Exception as e:  # the driver's error classes
    out["drop"] = [type(e).__name__, str(e)]

print(json.dumps(out))
cluster.shutdown()
