"""User-defined types through the DataStax Python driver.

Usage: udt.py HOST PORT
Prints one JSON object: a user type read as the driver's named tuple
(fields by attribute), one bound from and read into a class registered
with register_user_type (prepared and simple statements), a nested
type in a list, a field update, the type's fields in the driver's
metadata (system_schema.types) before and after ALTER TYPE, and the
error of a DROP TYPE of a type in use.
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

try:
    session.execute("DROP TYPE udtpy.address")
    out["drop"] = None
except Exception as e:  # the driver's error classes
    out["drop"] = [type(e).__name__, str(e)]

print(json.dumps(out))
cluster.shutdown()
