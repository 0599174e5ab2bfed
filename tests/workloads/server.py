"""The python3 workload of engine/tests/workloads.rs (python3-minimal: no multiprocessing
module, so the pool is built on os.fork and os.pipe, the calls multiprocessing's fork start
method makes).

  server.py serve   a line server on the container's loopback, port 8000: each line comes back
                    as "LEN UPPERCASED"; one process, one thread; SIGTERM ends it with exit 0.
  server.py pool    the changed workload: two forked workers sum squares and send the sums
                    back through pipes; prints the total, exit 0.
"""

import os
import signal
import socket
import sys


def serve():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 8000))
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        with conn, conn.makefile("rwb") as f:
            for line in f:
                line = line.rstrip(b"\n")
                f.write(b"%d %s\n" % (len(line), line.upper()))
                f.flush()


def pool():
    pids, reads = [], []
    for part in range(2):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            total = sum(i * i for i in range(part * 50000, (part + 1) * 50000))
            os.write(w, str(total).encode())
            os._exit(0)
        os.close(w)
        pids.append(pid)
        reads.append(r)
    total = 0
    for r in reads:
        total += int(os.read(r, 64))
        os.close(r)
    for pid in pids:
        os.waitpid(pid, 0)
    print(total)


if __name__ == "__main__":
    {"serve": serve, "pool": pool}[sys.argv[1]]()
