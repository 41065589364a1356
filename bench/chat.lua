-- wrk script: buyer conversations against the demo tenant, 8 messages each,
-- so a run covers thousands of conversations.  Set API_KEY in the
-- environment.
--
-- A buyer waits for the answer before writing again, so one conversation
-- has one message in flight.  wrk cannot tell which connection asks for the
-- next request, so each wrk thread keeps LANES conversations (default 64,
-- more than the 50 connections of a thread at -c100 -t2) and deals their
-- messages round-robin: message k+1 of a conversation is sent LANES requests
-- after message k, when nearly always its answer is back.  LANES=1 sends
-- the 8 messages of one conversation back to back on different connections,
-- several in flight at once (each then waits for the one before it): that
-- is the burst of one impatient buyer, not a crowd of buyers, and was this
-- script's only mode before session 5.
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
local lanes = tonumber(os.getenv("LANES") or "64")
function request()
  local i = math.floor(n / lanes) % #script
  local conv = math.floor(n / (lanes * #script)) * lanes + n % lanes
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
