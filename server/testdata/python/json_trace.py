"""JSON, tracing and size estimates through the DataStax Python driver,
on the keyspace pyj the Go test made (table t with 200 flushed rows, size
estimates recorded).

Usage: json_trace.py HOST PORT
Prints one JSON object: rows of SELECT JSON and toJson(), rows written
with INSERT JSON and fromJson() read back, the trace of a traced query
as get_query_trace() reads it, and system.size_estimates as Spark's
connector reads it.
"""
import json
import sys

from cassandra.cluster import Cluster
from cassandra.policies import WhiteListRoundRobinPolicy

host, port = sys.argv[1], int(sys.argv[2])
cluster = Cluster([host], port=port, protocol_version=4,
                  load_balancing_policy=WhiteListRoundRobinPolicy([host]))
session = cluster.connect()
out = {}

rs = session.execute("SELECT JSON k, v, m FROM pyj.t WHERE k = 7")
out["json_names"] = list(rs.column_names)
out["json"] = json.loads(rs.one()[0])
out["to_json"] = session.execute("SELECT toJson(m), toJson(v) FROM pyj.t WHERE k = 7").one()[0:2]

session.execute("""INSERT INTO pyj.t JSON '{"k": 1000, "v": "from json", "m": {"a": 1, "b": 2}}'""")
session.execute("INSERT INTO pyj.t (k, v, m) VALUES (1001, fromJson('\"from fromJson\"'), fromJson(%s))",
                ['{"z": 26}'])
ins = session.prepare("INSERT INTO pyj.t JSON ?")
session.execute(ins, ['{"k": 1002, "v": "prepared json"}'])
back = {}
for r in session.execute("SELECT k, v, m FROM pyj.t WHERE k IN (1000, 1001, 1002)"):
    back[str(r.k)] = [r.v, dict(r.m) if r.m else None]
out["written"] = back

rs = session.execute("SELECT v FROM pyj.t WHERE k = 3", trace=True)
trace = rs.get_query_trace(max_wait_sec=10)
out["trace"] = {
    "request_type": trace.request_type,
    "coordinator": str(trace.coordinator),
    "has_duration": trace.duration is not None,
    "parameters": dict(trace.parameters or {}),
    "events": [e.description for e in trace.events],
    "sources": sorted({str(e.source) for e in trace.events}),
}

est = session.execute("SELECT range_start, range_end, mean_partition_size, partitions_count "
                      "FROM system.size_estimates WHERE keyspace_name = 'pyj' AND table_name = 't'")
rows = list(est)
out["estimates"] = {
    "ranges": len(rows),
    "partitions": sum(r.partitions_count for r in rows),
    "mean_positive": all(r.mean_partition_size > 0 for r in rows if r.partitions_count > 0),
}
print(json.dumps(out))
cluster.shutdown()
