-- wrk script for the MCP load benchmark: stateless 2026-07-28 `tools/call` requests of TOOL
-- (env MCP_TOOL, arguments MCP_ARGS as JSON), a fresh id each; a response counts as good when
-- it is 200 and carries a JSON-RPC result that is not an error. Prints one JSON line at the end.
local tool = os.getenv("MCP_TOOL") or "binance_get_book_ticker"
local args = os.getenv("MCP_ARGS") or '{"symbol":"BTCUSDT"}'
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(a)
  good = 0
  bad = 0
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"%s","arguments":%s,' ..
    '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",' ..
    '"io.modelcontextprotocol/clientCapabilities":{},' ..
    '"io.modelcontextprotocol/clientInfo":{"name":"wrk","version":"4.1"}}}}',
    id * 1000000000 + counter, tool, args)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json, text/event-stream",
    ["MCP-Protocol-Version"] = "2026-07-28",
    ["Mcp-Method"] = "tools/call",
    ["Mcp-Name"] = tool,
  }, body)
end

function response(status, headers, body)
  if status == 200 and string.find(body, '"result"', 1, true) and not string.find(body, '"isError":true', 1, true) then
    good = good + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local g, b = 0, 0
  for _, t in ipairs(threads) do
    g = g + t:get("good")
    b = b + t:get("bad")
  end
  local secs = summary.duration / 1e6
  io.write(string.format(
    '{"generator":"wrk 4.1","requests":%d,"good":%d,"bad":%d,"socket_errors":%d,"seconds":%.3f,' ..
    '"calls_per_sec":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, g, b,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    secs, g / secs, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
