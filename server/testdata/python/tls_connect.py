"""Connects to a node over TLS through the DataStax Python driver.

Usage: tls_connect.py HOST PORT CA [CLIENT_CERT CLIENT_KEY]
Prints one JSON object: for each way of connecting (plaintext, TLS
without a client certificate, TLS with one if given), the node's
release_version or the error.
"""
import json
import ssl
import sys

from cassandra.cluster import Cluster
from cassandra.policies import WhiteListRoundRobinPolicy

host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cert = sys.argv[4:6]
out = {}


def attempt(name, ctx):
    c = Cluster([host], port=port, protocol_version=4, ssl_context=ctx, connect_timeout=2,
                load_balancing_policy=WhiteListRoundRobinPolicy([host]))
    try:
        s = c.connect()
        out[name] = s.execute("SELECT release_version FROM system.local").one()[0]
    except Exception as e:  # the driver raises NoHostAvailable wrapping the cause
        out[name] = "error: " + type(e).__name__
    finally:
        c.shutdown()


def context(with_cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.check_hostname = True  # the node's certificate names its address
    if with_cert:
        ctx.load_cert_chain(certfile=cert[0], keyfile=cert[1])
    return ctx


attempt("plaintext", None)
attempt("tls", context(False))
if cert:
    attempt("tls_client_cert", context(True))
print(json.dumps(out))
