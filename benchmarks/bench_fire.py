"""Firing throughput: conversions posted one at a time, each matching three postbacks.

Run: python benchmarks/bench_fire.py [--conversions 3000] [--rounds 5]

Starts `everflow-mock serve --quiet --rate-limit off` (granian, one worker) and a receiver
in a process of its own (a bare asyncio HTTP server answering 200 and counting), creates
three postbacks that all apply to offer 12 and partner 7 (global, specific, global_offer;
postback delivery to the receiver, no delay), then in each round posts CONVERSIONS
conversions to `POST /__admin/conversions` one after another on one keep-alive connection
(http.client, without `?wait`) and waits until the receiver has got every delivery. The figure is
deliveries (three per conversion) per second of the round, from the first post to the last
delivery received; the journal is checked for failures. RSS (the server process and its
workers, from /proc) is taken after the first round (warm-up) and after the last. Each
round starts with a baseline: half as many posts of a conversion that fires nothing, the
admin call's cost alone on this machine at that moment (three times its rate is the most
firing could reach with this client and server); the shared machine's load swings within a
run, so read each round's ratio to its baseline along with the rate.

Goal (issue 22): >= 1,500 deliveries/s on the 2-core machine, memory flat.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import statistics
import time
from multiprocessing.sharedctypes import Synchronized

import httpx

from benchmarks.bench_soak import rss_kib
from mock_server.testing.spawn import spawn_serve

KEY = {"X-Eflow-Api-Key": "bench"}
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


def receive(port: Synchronized[int], count: Synchronized[int]) -> None:
    """The receiver process: count every request, answer 200, close."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            writer.write(ANSWER)
            await writer.drain()
            with count.get_lock():
                count.value += 1
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(answer, "127.0.0.1", 0, backlog=1024)
        port.value = server.sockets[0].getsockname()[1]
        await server.serve_forever()

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversions", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    port: Synchronized[int] = multiprocessing.Value("i", 0)  # type: ignore[assignment]
    count: Synchronized[int] = multiprocessing.Value("q", 0)  # type: ignore[assignment]
    receiver = multiprocessing.Process(target=receive, args=(port, count), daemon=True)
    receiver.start()
    while not port.value:
        time.sleep(0.01)
    target = f"http://127.0.0.1:{port.value}/pb?tid={{transaction_id}}&s={{sub1}}&p={{payout}}"

    with (
        spawn_serve("--quiet", "--rate-limit", "off", "--references", "loose") as served,
        httpx.Client() as api,
    ):
        server_pid = served.process.pid
        for level, offer, partner in (
            ("global", 0, 7),
            ("specific", 12, 7),
            ("global_offer", 12, 0),
        ):
            body = {
                "network_offer_id": offer,
                "network_affiliate_id": partner,
                "delivery_method": "postback",
                "postback_url": target,
                "pixel_level": level,
                "pixel_type": "conversion",
                "pixel_status": "active",
            }
            answer = api.post(served.url + "/networks/pixels", json=body, headers=KEY)
            answer.raise_for_status()
        # http.client rather than httpx for the posts: a lighter client leaves more of the
        # two cores to the mock, which is what is measured.
        connection = http.client.HTTPConnection("127.0.0.1", int(served.root.rsplit(":", 1)[1]))
        headers = {"Content-Type": "application/json"}
        rates = []
        ratios = []
        rss = []

        def baseline() -> float:
            """Conversions/s for the same posts when nothing fires (the admin call alone)."""
            started = time.perf_counter()
            for _ in range(args.conversions // 2):
                connection.request(
                    "POST", "/__admin/conversions", '{"offer_id": 99, "affiliate_id": 99}', headers
                )
                connection.getresponse().read()
            return args.conversions // 2 / (time.perf_counter() - started)

        for round_ in range(1, args.rounds + 1):
            ceiling = baseline()
            start_count = count.value
            expected = start_count + 3 * args.conversions
            started = time.perf_counter()
            for n in range(args.conversions):
                body = json.dumps(
                    {
                        "offer_id": 12,
                        "affiliate_id": 7,
                        "transaction_id": f"t{n}",
                        "sub1": "x",
                        "payout": 1.5,
                    }
                )
                connection.request("POST", "/__admin/conversions", body, headers)
                answer = connection.getresponse()
                data = answer.read()
                if answer.status != 200 or data.count(b'"pixel_id"') != 3:
                    raise SystemExit(f"unexpected answer: {answer.status} {data[:200]!r}")
            posted = time.perf_counter() - started
            deadline = time.monotonic() + 60
            while count.value < expected and time.monotonic() < deadline:
                time.sleep(0.002)
            elapsed = time.perf_counter() - started
            got = count.value - start_count
            journal = api.get(served.root + "/__admin/deliveries").json()["deliveries"]
            bad = [d for d in journal if d["state"] not in ("delivered", "pending")]
            rate = got / elapsed
            rates.append(rate)
            ratios.append(rate / (3 * ceiling))
            rss.append(rss_kib(server_pid))
            print(
                f"round {round_}: {got} deliveries in {elapsed:.2f} s ({rate:,.0f}/s; posting "
                f"took {posted:.2f} s); baseline {ceiling:,.0f} conversions/s that fire nothing "
                f"(x3: {3 * ceiling:,.0f}; firing reached {ratios[-1]:.2f} of it); failures in "
                f"the last {len(journal)} journaled: {len(bad)}; server RSS {rss[-1] / 1024:.1f} MiB",
                flush=True,
            )
            if bad:
                print("  e.g.", bad[0])
        served.stop()
    receiver.terminate()
    measured = rates[1:] or rates
    print(
        f"deliveries/s after warm-up: median {statistics.median(measured):,.0f} "
        f"(min {min(measured):,.0f}, max {max(measured):,.0f}); goal >= 1,500; against three "
        f"times the same round's fire-nothing rate: median {statistics.median(ratios[1:] or ratios):.2f}"
    )
    print(
        f"server RSS after round 1: {rss[0] / 1024:.1f} MiB, after the last: {rss[-1] / 1024:.1f} MiB"
    )


if __name__ == "__main__":
    main()
