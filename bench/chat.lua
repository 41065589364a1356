-- wrk script: each connection plays whole buyer conversations against the
-- demo tenant, a new session every len(script) messages, so a run covers
-- thousands of conversations.  Set API_KEY in the environment.
local key = os.getenv("API_KEY") or ""
local script = {
  "hi",
  "I am looking to invest",
  "around 2 million AED",
  "an apartment",
  "JVC",
  "+971 50 412 7789",
  "how much is the first one?",
  "does it have a pool?",
}
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
end

local n = 0
function request()
  local i = n % #script
  local conv = math.floor(n / #script)
  n = n + 1
  local sid = string.format("bench-%d-%d", thread_id, conv)
  local body = string.format('{"query":"%s","session_id":"%s","user_id":"u-%s"}', script[i + 1], sid, sid)
  return wrk.format("POST", "/api/chat/query",
    {["Content-Type"] = "application/json", ["X-API-Key"] = key}, body)
end

function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %d, \"duration_s\": %.2f, \"rps\": %.1f, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"errors\": %d, \"non2xx\": %d}\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
