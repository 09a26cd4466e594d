-- One request per line of a file, each line used once: a distinct user's
-- request (METHOD, path, Cookie header and form body, tab-separated).
--
-- Run with as many threads as connections (-tN -cN) and WRK_THREADS=N: each
-- thread then has one request in flight at a time, so every answer belongs
-- to the line it sent. Thread i takes lines i, i+N, i+2N, ... and stops when
-- it has none left. WRK_DATA is the file, WRK_RESULT where the outcome of
-- every line goes: "line status Location" per answer, "line lost" for a
-- request that got no answer (socket error or timeout), "line inflight" for
-- one still unanswered when wrk stopped.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

function init(args)
  statuses = {}
  log = {}
  items = {}
  nxt = 1
  calls = 0
  answered = 0
  pending = false
  current = nil
  local nthreads = tonumber(os.getenv("WRK_THREADS"))
  local n = 0
  for line in io.lines(os.getenv("WRK_DATA")) do
    if n % nthreads == id then
      local method, path, cookie, body =
        line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = { Cookie = cookie }
      if body == "" then
        body = nil
      else
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      items[#items + 1] = { n, wrk.format(method, path, headers, body) }
    end
    n = n + 1
  end
end

function request()
  calls = calls + 1
  -- wrk calls request() once in the first thread before it starts, to check
  -- it (nothing is sent): that first call is not a lost request.
  if pending and not (id == 0 and calls == 2 and answered == 0) then
    table.insert(log, string.format("%d lost", items[nxt][1]))
    nxt = nxt + 1
  end
  pending = true
  if nxt > #items then
    current = nil
    -- Never expected (the thread stops when its lines are used up).
    table.insert(log, "-1 extra")
    return wrk.format("GET", "/robots.txt")
  end
  current = items[nxt][1]
  return items[nxt][2]
end

function response(status, headers, body)
  count_status(status)
  pending = false
  answered = answered + 1
  table.insert(log, string.format("%d %d %s", items[nxt][1], status,
    headers["Location"] or "-"))
  nxt = nxt + 1
  if nxt > #items then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  report(summary, latency)
  local out = io.open(os.getenv("WRK_RESULT"), "w")
  for _, thread in ipairs(threads) do
    for _, line in ipairs(thread:get("log")) do
      out:write(line, "\n")
    end
    local current = thread:get("current")
    if thread:get("pending") and current then
      out:write(string.format("%d inflight\n", current))
    end
  end
  out:close()
end
