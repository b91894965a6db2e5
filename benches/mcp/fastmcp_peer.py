"""The peer for the MCP load benchmark: the official Python SDK's high-level server
(`MCPServer`, formerly FastMCP, PyPI `mcp` 2.3.0) with one tool equivalent to orderflow's
`binance_get_book_ticker`: a top-of-book answer computed from an in-memory book.

    python fastmcp_peer.py PORT [sse|json]

`json` answers each call with `application/json` (the SDK's `json_response`, stateless), `sse`
(the default) with a one-event `text/event-stream`; the benchmark measures both and keeps the
faster, so the peer is compared in its best configuration.
"""

import sys

from mcp.server.mcpserver import MCPServer

BOOKS = {
    "BTCUSDT": {"bids": [[97000.1, 0.31], [97000.0, 0.5]], "asks": [[97000.3, 0.27], [97000.4, 0.2]]},
}

server = MCPServer("fastmcp-peer")


@server.tool()
def binance_get_book_ticker(symbol: str) -> dict:
    """Best bid and ask with sizes, mid, spread (bps) and microprice from an in-memory book."""
    book = BOOKS[symbol]
    (bp, bq), (ap, aq) = book["bids"][0], book["asks"][0]
    mid = (bp + ap) / 2
    return {
        "venue": "binance", "symbol": symbol, "bid_price": bp, "bid_size": bq, "ask_price": ap,
        "ask_size": aq, "mid_price": mid, "spread": ap - bp, "spread_bps": 1e4 * (ap - bp) / mid,
        "microprice": (bp * aq + ap * bq) / (bq + aq),
    }


if __name__ == "__main__":
    mode = sys.argv[2] if len(sys.argv) > 2 else "sse"
    if mode not in ("sse", "json"):
        sys.exit(f"mode must be sse or json, not {mode!r}")
    json_mode = mode == "json"
    server.run(
        transport="streamable-http",
        host="127.0.0.1",
        port=int(sys.argv[1]),
        json_response=json_mode,
        stateless_http=json_mode,
    )
