"""Print the serial number of the certificate each TLS endpoint serves, as JSON.

    served_serials.py CA CERT KEY ENDPOINT...   ENDPOINT = kind:host:port, kind in rest, pg, etcd

The chain is verified against CA; CERT and KEY are a client certificate (etcd
asks for one). PostgreSQL is asked through its SSLRequest first.
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import sys

from cryptography import x509


def served(kind: str, host: str, port: int, context: ssl.SSLContext) -> str:
    sock = socket.create_connection((host, port), timeout=5)
    if kind == "pg":
        sock.sendall(struct.pack("!ii", 8, 80877103))
        if sock.recv(1) != b"S":
            raise SystemExit(f"{host}:{port} refused TLS")
    with context.wrap_socket(sock, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True)
    return format(x509.load_der_x509_certificate(der).serial_number, "x")


def main(argv: list[str]) -> None:
    ca, cert, key, *endpoints = argv
    context = ssl.create_default_context(cafile=ca)
    context.load_cert_chain(cert, key)
    out = {}
    for endpoint in endpoints:
        kind, host, port = endpoint.split(":")
        out[endpoint] = served(kind, host, int(port), context)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
