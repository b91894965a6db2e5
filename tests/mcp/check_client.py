"""Drives a running orderflow with the official Python MCP SDK (PyPI `mcp`).

Run by tests/mcp_clients.rs; exits non-zero with a message on the first failed check.

  check_client.py http URL_BASE auto|legacy      streamable HTTP at URL_BASE/mcp
  check_client.py stdio URL_BASE BIN PLUGINS DATA  `BIN mcp --demo` over stdio (URL_BASE unused)
  check_client.py list-changed URL_BASE auto|legacy
  check_client.py call URL_BASE auto|legacy TOOL ARGS_JSON   one listed tool, called; its
                                                               structured result printed

Every check compares MCP results with the plain HTTP API of the same server where both
answer the same question.
"""

import asyncio
import json
import sys

import urllib.parse
import urllib.request
from mcp import Client, MCPError
from mcp.client.stdio import StdioServerParameters


class Resp:
    def __init__(self, status, body):
        self.status_code, self.text = status, body

    def json(self):
        return json.loads(self.text)


def http(method, url, body=None, params=None):
    """The plain HTTP API, with the standard library only."""
    if params:
        url += "?" + urllib.parse.urlencode(params)
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return Resp(r.status, r.read().decode())
    except urllib.error.HTTPError as e:
        return Resp(e.code, e.read().decode())


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


async def list_all(c):
    tools, cursor, pages = [], None, 0
    while True:
        r = await c.list_tools(cursor=cursor, cache_mode="bypass")
        tools += r.tools
        pages += 1
        cursor = r.next_cursor
        if not cursor:
            return tools, pages


async def exercise(c, http_base):
    tools, pages = await list_all(c)
    names = [t.name for t in tools]
    check(len(names) == len(set(names)), f"duplicate tool names across pages: {names}")
    check(pages >= 2, f"expected several pages, got {pages} for {len(tools)} tools")
    for t in tools:
        check(t.description and len(t.description) > 20, f"{t.name}: no usable description")
        check(t.input_schema.get("type") == "object", f"{t.name}: input schema is not an object")
    if http_base:
        http_tools = http("GET", f"{http_base}/tools").json()["tools"]
        check(sorted(names) == sorted(t["name"] for t in http_tools),
              "MCP tools/list differs from GET /tools")

    # A live-state tool: same answer shape over MCP and HTTP.
    await wait_for_book(c)
    r = await c.call_tool("binance_get_orderbook", {"symbol": "BTCUSDT", "depth": 5})
    check(not r.is_error, f"binance_get_orderbook failed: {r.content}")
    sc = r.structured_content
    check(len(sc["data"]["bids"]) == 5 and len(sc["data"]["asks"]) == 5, f"depth 5 not honoured: {sc}")
    check(json.loads(r.content[0].text) == sc, "text rendering differs from structured content")
    best_bid, best_ask = sc["data"]["bids"][0][0], sc["data"]["asks"][0][0]
    check(best_bid < best_ask, f"crossed book {best_bid} >= {best_ask}")

    # The catalogue is static: MCP and HTTP must agree exactly.
    r = await c.call_tool("list_features", {})
    check(not r.is_error, f"list_features failed: {r.content}")
    if http_base:
        h = http("POST", f"{http_base}/tools/list_features", {}).json()
        check(h == r.structured_content, "list_features differs between MCP and HTTP")

    # Features: MCP and HTTP read the same store; the BTCUSDT mid must be close.
    r = await c.call_tool("get_price_features", {"symbol": "BTCUSDT", "venue": "binance"})
    check(not r.is_error, f"get_price_features failed: {r.content}")
    mid_mcp = r.structured_content["features"]["mid_price"]
    if http_base:
        h = http("GET", f"{http_base}/features/BTCUSDT", params={"venue": "binance"}).json()
        mid_http = h["features"]["mid_price"]
        check(abs(mid_mcp - mid_http) / mid_http < 0.01, f"mid differs: {mid_mcp} vs {mid_http}")

    # History over SQL.
    r = await c.call_tool("query_history", {"sql": "SELECT count(*) AS n FROM btcusdt_binance_trades"})
    check(not r.is_error, f"query_history failed: {r.content}")

    # Bad arguments: a JSON-RPC -32602 naming the offending field.
    try:
        await c.call_tool("binance_get_orderbook", {"symbol": "NOPE"})
        check(False, "bad symbol accepted")
    except MCPError as e:
        check(e.error.code == -32602, f"bad args gave code {e.error.code}")
        check("symbol" in e.error.message, f"error does not name the field: {e.error.message}")
    try:
        await c.call_tool("no_such_tool", {})
        check(False, "unknown tool accepted")
    except MCPError as e:
        check(e.error.code == -32602, f"unknown tool gave code {e.error.code}")

    # A tool that runs and fails is an isError result with a readable message.
    r = await c.call_tool("query_history", {"sql": "DROP TABLE trades"})
    check(r.is_error, "refused SQL was not an isError result")
    check("SELECT" in r.content[0].text, f"refusal does not say why: {r.content[0].text}")
    return len(tools), pages


async def http_mode(base, mode):
    async with Client(f"{base}/mcp", mode=mode) as c:
        n, pages = await exercise(c, base)
    print(f"ok http {mode}: {n} tools in {pages} pages")


async def wait_for_book(c, limit_s=90.0):
    """Bounded wait until the emulated feed has filled the BTCUSDT book (a loaded
    machine may take several seconds to start the demo venues and ten plugins)."""
    deadline = asyncio.get_running_loop().time() + limit_s
    while True:
        r = await c.call_tool("binance_get_orderbook", {"symbol": "BTCUSDT", "depth": 5})
        if not r.is_error:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no BTCUSDT book within {limit_s} s: {r.content}")
        await asyncio.sleep(0.5)


async def stdio_mode(bin_path, plugins, data):
    params = StdioServerParameters(
        command=bin_path,
        args=["--plugins", plugins, "mcp", "--demo", "--data", data],
        env={"RUST_LOG": "warn"},
    )
    async with Client(params) as c:
        n, pages = await exercise(c, None)
    print(f"ok stdio: {n} tools in {pages} pages")


async def list_changed(base, mode):
    seen = asyncio.Event()

    async def on_message(msg):
        if getattr(getattr(msg, "root", msg), "method", None) == "notifications/tools/list_changed" \
                or type(msg).__name__ == "ToolListChangedNotification":
            seen.set()

    async with Client(f"{base}/mcp", mode=mode, message_handler=on_message) as c:
        before, _ = await list_all(c)
        if mode == "auto":
            async with c.listen(tools_list_changed=True) as sub:
                r = http("POST", f"{base}/plugins/binance/disable")
                check(r.status_code == 200 and r.json()["changed"], f"disable failed: {r.text}")
                ev = await asyncio.wait_for(sub.__anext__(), 10)
                check("list_changed" in type(ev).__name__.lower() or "tools" in str(ev).lower(),
                      f"unexpected event {ev!r}")
        else:
            # The 2025-11-25 session's standalone SSE stream carries the notification.
            await asyncio.sleep(0.5)
            r = http("POST", f"{base}/plugins/binance/disable")
            check(r.status_code == 200 and r.json()["changed"], f"disable failed: {r.text}")
            await asyncio.wait_for(seen.wait(), 10)
        after, _ = await list_all(c)
        check(not any(t.name.startswith("binance_") for t in after), "binance tools still listed")
        check(len(after) < len(before), "tool count did not drop")
        r = http("POST", f"{base}/plugins/binance/enable")
        check(r.status_code == 200, f"enable failed: {r.text}")
        again, _ = await list_all(c)
        check(len(again) == len(before), "tools did not come back")
    print(f"ok list_changed {mode}")


async def call(base, mode, tool, args):
    async with Client(f"{base}/mcp", mode=mode) as c:
        tools, _ = await list_all(c)
        check(tool in [t.name for t in tools], f"{tool} is not listed over MCP")
        r = await c.call_tool(tool, json.loads(args))
        check(not r.is_error, f"{tool} failed: {r.content}")
        check(json.loads(r.content[0].text) == r.structured_content,
              "text rendering differs from structured content")
    print(f"ok call {mode} {tool}: {json.dumps(r.structured_content)}")


def main():
    what = sys.argv[1]
    if what == "http":
        asyncio.run(http_mode(sys.argv[2], sys.argv[3]))
    elif what == "stdio":
        asyncio.run(stdio_mode(sys.argv[3], sys.argv[4], sys.argv[5]))
    elif what == "list-changed":
        asyncio.run(list_changed(sys.argv[2], sys.argv[3]))
    elif what == "call":
        asyncio.run(call(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]))
    else:
        raise SystemExit(f"unknown check {what}")


if __name__ == "__main__":
    main()
