-- GET the URL given to wrk as logged-in members, each answer checked to be
-- the page of the member who asked (their name in the menu).
--
-- Run with as many threads as connections (-tN -cN) and WRK_THREADS=N: each
-- thread has one request in flight at a time, so every answer belongs to the
-- member it last sent. WRK_DATA is a file of "Cookie header<TAB>name" lines;
-- thread i takes lines i, i+N, ... and goes round them. Prints, besides
-- report.lua's figures, "OWN n" (answers with the asker's name), "OTHER n",
-- and "CACHE_<X-Cache> n" (nginx's HIT, MISS, ... when it is in front).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

function init(args)
  statuses = {}
  own = 0
  other = 0
  cache = {}
  members = {}
  nxt = 0
  local nthreads = tonumber(os.getenv("WRK_THREADS"))
  local n = 0
  for line in io.lines(os.getenv("WRK_DATA")) do
    if n % nthreads == id then
      local cookie, name = line:match("^([^\t]*)\t(.*)$")
      members[#members + 1] = {
        wrk.format("GET", wrk.path, { Cookie = cookie }),
        "(" .. name .. ")",
      }
    end
    n = n + 1
  end
end

function request()
  nxt = nxt % #members + 1
  return members[nxt][1]
end

function response(status, headers, body)
  count_status(status)
  local kept = headers["X-Cache"] or "NONE"
  cache[kept] = (cache[kept] or 0) + 1
  if body:find(members[nxt][2], 1, true) then
    own = own + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  report(summary, latency)
  local o, x, kept = 0, 0, {}
  for _, thread in ipairs(threads) do
    o = o + thread:get("own")
    x = x + thread:get("other")
    for status, n in pairs(thread:get("cache")) do
      kept[status] = (kept[status] or 0) + n
    end
  end
  io.write(string.format("OWN %d\nOTHER %d\n", o, x))
  for status, n in pairs(kept) do
    io.write(string.format("CACHE_%s %d\n", status, n))
  end
end
