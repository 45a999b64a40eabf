# wcdb node image.
#
# The image holds one static binary and nothing else (FROM scratch): no base
# image is pulled, so the binary is built on the host first, from the repo
# root:
#
#   CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o deploy/wcdb-linux ./cmd/wcdb
#   docker build -t wcdb .
#
# (-trimpath and -ldflags='-s -w' are optional: they leave host paths and
# debug symbols out and shrink the image by about a quarter.) CGO_ENABLED=0
# is not optional: scratch has no libc. deploy/wcdb-linux is a build output,
# not source; .dockerignore sends only it as the build context.
#
# The node needs nothing from the image but the binary: it writes only under
# its data directory (deploy/docker-compose.yml runs it with a read-only
# root), and outside it reads only /proc, /sys and its own executable (which
# the kernel and Docker provide) and /etc/localtime, whose absence means UTC
# log times (checked with strace). Seeds are IP addresses, so no name is
# resolved; were they names, the pure-Go resolver would use the
# /etc/resolv.conf Docker mounts.
#
# It runs as root, because scratch has no way to make the data directory
# belong to another user (the classic builder creates WORKDIR and VOLUME
# directories as root); docker-compose.yml drops every capability instead.
#
# Every node must be given --listen-address: the container's own IP, which
# it serves on and advertises to drivers (system.local, system.peers) and to
# the other nodes. Without it the node listens on the container's loopback,
# out of everyone's reach. (--listen-address 0.0.0.0 works only with
# --broadcast-address, the IP to advertise.) A container's IP is known in
# advance on a network with a subnet of one's choosing:
#
#   docker network create --subnet 172.28.6.0/24 wcdbnet
#   docker run -d --network wcdbnet --ip 172.28.6.10 -p 127.0.0.1:9042:9042 \
#       wcdb --listen-address 172.28.6.10
#
# A cluster adds --seeds (see deploy/docker-compose.yml).
FROM scratch
COPY deploy/wcdb-linux /wcdb
VOLUME /var/lib/wcdb
# CQL, internode gRPC, gossip (memberlist uses TCP and UDP).
EXPOSE 9042/tcp 7000/tcp 7946/tcp 7946/udp
# Flags after the image name (or a compose command) follow these; a later
# --data-dir overrides this one.
ENTRYPOINT ["/wcdb", "server", "--data-dir=/var/lib/wcdb"]
