-- Shared by page.lua and sequence.lua: counts answers by status in each
-- thread and, at the end, prints what bench/load.py reads (one "KEY value"
-- per line; latencies in microseconds, as wrk measures them).
threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function count_status(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function report(summary, latency)
  for _, p in ipairs({50, 90, 95, 99}) do
    io.write(string.format("P%d %d\n", p, latency:percentile(p)))
  end
  io.write(string.format("MAX %d\n", latency.max))
  io.write(string.format("REQS %d\n", summary.requests))
  local e = summary.errors
  io.write(string.format("ERR_CONNECT %d\nERR_READ %d\nERR_WRITE %d\n",
    e.connect, e.read, e.write))
  io.write(string.format("ERR_TIMEOUT %d\nERR_STATUS %d\n", e.timeout, e.status))
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + n
    end
  end
  for status, n in pairs(merged) do
    io.write(string.format("STATUS %d %d\n", status, n))
  end
end
