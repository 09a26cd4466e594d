-- GET the URL given to wrk, anonymously; counts answers by status.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

function init(args)
  statuses = {}
end

function response(status, headers, body)
  count_status(status)
end

function done(summary, latency, requests)
  report(summary, latency)
end
