-- wrk script: buyer conversations against the demo tenant, 8 messages each,
-- so a run covers thousands of conversations.  Set API_KEY in the
-- environment.
--
-- A buyer waits for the answer before writing again, so a conversation has
-- one message in flight: a conversation's next message is sent only once
-- response() has seen the answer to its last one (the answer names its
-- session_id), on whichever connection asks next.  Each wrk thread keeps a
-- queue of the conversations whose answer is back and starts a new one when
-- the queue is empty, so about as many conversations are open as there are
-- connections.  BURST=1 sends the 8 messages of a conversation back to back
-- on different connections, all in flight at once (each then waits for the
-- one before it): the burst of one impatient buyer, not a crowd, and this
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
-- a global, not a local: setup() below sets it in each thread's state after
-- this file has run there (a local here hid it, so every wrk thread named
-- its conversations bench-0-N and the two threads shared them)
thread_id = 0

function setup(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
end

local burst = os.getenv("BURST") == "1"
local started = 0        -- conversations this thread has begun
local turn = {}          -- session id -> index of its next message (0-based)
local ready = {}         -- session ids whose last answer is back, oldest first
local head, tail = 1, 0

-- A session id has a fixed width, so each message's request is three
-- precomputed pieces around two copies of it: building it with wrk.format and
-- finding the id with a Lua pattern cost this client ~47 us of CPU a message
-- on the server's two cores (more than a quarter of a message's whole cost);
-- plain concatenation and plain find cost a few.
--
-- A session id also names its run: RUN from the environment (chat_load.sh
-- numbers its windows), else the clock.  Before session 9 every run began at
-- bench-0-0000000 again, so against a server that had served an earlier run
-- (chat_load.sh's windows after the first) the "hi" of each conversation was
-- the ninth message of an old one, not a new buyer: those windows measured
-- longer conversations than the first, and that was the rise of a chat
-- message's cost after a run's first window noted in session 8.
local run = (tonumber(os.getenv("RUN") or "") or os.time()) % 100000
local SID_FORMAT = string.format("bench-%05d", run) .. "-%d-%07d"
local pieces = {}        -- message index (1-based) -> { before, between, after }

function init(args)
  local marker = string.format(SID_FORMAT, 0, 0):gsub(".", "#")
  for i, text in ipairs(script) do
    local body = string.format('{"query":"%s","session_id":"%s","user_id":"u-%s"}', text, marker, marker)
    local req = wrk.format("POST", "/api/chat/query",
      {["Content-Type"] = "application/json", ["X-API-Key"] = key}, body)
    local a = string.find(req, marker, 1, true)
    local b = string.find(req, marker, a + #marker, true)
    pieces[i] = { req:sub(1, a - 1), req:sub(a + #marker, b - 1), req:sub(b + #marker) }
  end
end

local function next_message()
  if burst then
    local i = started % #script
    local sid = string.format(SID_FORMAT, thread_id, math.floor(started / #script))
    started = started + 1
    return sid, i
  end
  local sid
  if head <= tail then
    sid = ready[head]
    ready[head] = nil
    head = head + 1
  else
    sid = string.format(SID_FORMAT, thread_id, started)
    started = started + 1
    turn[sid] = 0
  end
  return sid, turn[sid]
end

function request()
  local sid, i = next_message()
  local p = pieces[i + 1]
  return p[1] .. sid .. p[2] .. sid .. p[3]
end

function response(status, headers, body)
  if burst then
    return
  end
  -- the answer names its session near its end (after the text, the
  -- listings and the slots; only the suggested actions, an appointment and
  -- the response time follow), so the search starts 512 bytes from the end:
  -- from the start, the plain find stopped at each of the answer's hundreds
  -- of quotes, a few us of this client's CPU a message (BENCHMARKS.md,
  -- session 10).  An answer with a longer tail is searched whole.
  local sid
  local from = #body > 512 and #body - 512 or 1
  local _, e = string.find(body, '"session_id":"', from, true)
  if e == nil and from > 1 then
    _, e = string.find(body, '"session_id":"', 1, true)
  end
  if e then
    local close = string.find(body, '"', e + 1, true)
    sid = close and body:sub(e + 1, close - 1)
  end
  local i = sid and turn[sid]
  if i == nil then
    return                 -- an error answer: that conversation ends here
  end
  if i + 1 < #script then
    turn[sid] = i + 1
    tail = tail + 1
    ready[tail] = sid
  else
    turn[sid] = nil
  end
end

function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %d, \"duration_s\": %.2f, \"rps\": %.1f, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"errors\": %d, \"non2xx\": %d}\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
