#!/usr/bin/env python3
"""Drives isolationd's /v1/events/ws with an independent WebSocket implementation (the Python
`websockets` library), for the integration suite and by hand.

It connects (authenticating by header, by the `bearer, <token>` subprotocol, or by
?access_token=), reads the replayed events, re-filters with a `subscribe` message, sends one
invalid message, closes normally, and prints one JSON summary line on stdout:

  {"subprotocol": ..., "ids": [...], "ack": {...}, "filtered_ids": [...], "error": {...},
   "close_code": 1000}

Usage: ws_independent_client.py --url ws://127.0.0.1:PORT/v1/events/ws --token TOKEN
       [--auth header|protocol|query] [--expect N] [--thread THREAD] [--expect-filtered M]
"""
import argparse
import asyncio
import json
import sys

try:
    from websockets.asyncio.client import connect
except ImportError:  # websockets < 13
    from websockets import connect  # type: ignore


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--auth", choices=["header", "protocol", "query"], default="header")
    parser.add_argument("--expect", type=int, default=0, help="replayed events to read first (connects with after=0)")
    parser.add_argument("--thread", default=None, help="re-filter to this thread_id")
    parser.add_argument("--expect-filtered", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    url = args.url + ("&" if "?" in args.url else "?") + "after=0"
    kwargs = {"open_timeout": args.timeout, "max_size": 1 << 20}
    if args.auth == "header":
        kwargs["additional_headers"] = {"Authorization": f"Bearer {args.token}"}
    elif args.auth == "protocol":
        kwargs["subprotocols"] = ["bearer", args.token]
    else:
        url += f"&access_token={args.token}"

    summary = {"subprotocol": None, "ids": [], "ack": None, "filtered_ids": [], "error": None, "close_code": None}
    async with connect(url, **kwargs) as ws:
        summary["subprotocol"] = ws.subprotocol
        for _ in range(args.expect):
            message = json.loads(await asyncio.wait_for(ws.recv(), args.timeout))
            summary["ids"].append(message.get("id"))
        if args.thread is not None:
            await ws.send(json.dumps({"subscribe": {"thread_id": args.thread}, "after": 0}))
            summary["ack"] = json.loads(await asyncio.wait_for(ws.recv(), args.timeout))
            for _ in range(args.expect_filtered):
                message = json.loads(await asyncio.wait_for(ws.recv(), args.timeout))
                summary["filtered_ids"].append(message.get("id"))
        await ws.send("this is not json")
        summary["error"] = json.loads(await asyncio.wait_for(ws.recv(), args.timeout))
        await ws.close(code=1000, reason="done")
        summary["close_code"] = ws.close_code
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except Exception as error:  # one line the test can show
        print(json.dumps({"failure": f"{type(error).__name__}: {error}"}), flush=True)
        sys.exit(1)
