#!/usr/bin/env python3
"""How long a registration acknowledged by one `mpi serve --replica` takes to be answered by another
on the same store (docs/store.md). Registers COUNT new records at replica A over JSON lines, waits for
each acknowledgement, then asks replica B to resolve the record every 5 ms until it answers with the
same enterprise id; prints the median, p99 and maximum of (answered at B - acknowledged by A).

  Scripts/replica-latency.py HOST:PORT_A HOST:PORT_B TOKEN SOURCE [COUNT]

The token's client needs `register` for SOURCE at A and `resolve` at B. Uses only the standard library.
"""
import json, socket, sys, time


class Client:
    def __init__(self, address, token):
        host, port = address.rsplit(":", 1)
        self.socket = socket.create_connection((host, int(port)))
        self.reader = self.socket.makefile("r", encoding="utf-8")
        self.next_id = 0
        answer = self.ask({"op": "authenticate", "token": token})
        if not answer.get("ok"):
            raise SystemExit(f"authentication refused at {address}: {answer}")

    def ask(self, request):
        self.next_id += 1
        request = dict(request, id=self.next_id)
        self.socket.sendall((json.dumps(request) + "\n").encode())
        return json.loads(self.reader.readline())


def main():
    if len(sys.argv) < 5:
        raise SystemExit(__doc__)
    a, b = Client(sys.argv[1], sys.argv[3]), Client(sys.argv[2], sys.argv[3])
    source, count = sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 200
    stamp = int(time.time())
    delays = []
    for n in range(count):
        record_id = f"REPLICA-{stamp}-{n}"
        demographics = {"given": "Test", "family": f"Replica{n:05d}", "dateOfBirth": f"19{50 + n % 50}-0{1 + n % 9}-1{n % 10}",
                        "sex": "F" if n % 2 else "M", "postcode": "UB8 3PH"}
        answer = a.ask({"op": "register", "source": source, "recordId": record_id, "demographics": demographics})
        acknowledged = time.monotonic()
        if not answer.get("ok"):
            raise SystemExit(f"registration refused: {answer}")
        enterprise_id = answer["result"]["enterpriseId"]
        while True:
            found = b.ask({"op": "resolve", "identifier": {"domain": source, "value": record_id}})
            persons = found.get("result", {}).get("persons", []) if found.get("ok") else []
            if any(person.get("enterpriseId") == enterprise_id for person in persons):
                delays.append(time.monotonic() - acknowledged)
                break
            if time.monotonic() - acknowledged > 30:
                raise SystemExit(f"{record_id} not answered by B within 30 s")
            time.sleep(0.005)
    delays.sort()
    def ms(value): return f"{value * 1000:.0f} ms"
    print(f"{count} registrations at A, answered at B after: median {ms(delays[len(delays) // 2])}, "
          f"p99 {ms(delays[min(len(delays) - 1, int(len(delays) * 0.99))])}, max {ms(delays[-1])}")


main()
