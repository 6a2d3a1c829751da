-- wrk script: single-conversation reads as a portal makes them while a
-- bulk send runs (bench/bulk_load.sh): a thread as staff, or a dossier's
-- counters as a client. Tokens and conversation ids come from the
-- environment.
local staff = os.getenv("STAFF")
local client = os.getenv("CLIENT")
local ids = {}
for id in string.gmatch(os.getenv("CONVERSATIONS"), "[^,]+") do ids[#ids + 1] = id end
local n = 0

request = function()
  n = n + 1
  if n % 4 == 0 then
    return wrk.format("GET", "/v1/dossiers/d-1/counters", {["Authorization"] = "Bearer " .. client})
  end
  return wrk.format("GET", "/v1/conversations/" .. ids[(n % #ids) + 1], {["Authorization"] = "Bearer " .. staff})
end

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout
  io.write(string.format("reads/s %.0f  p50 %.2f ms  p99 %.2f ms  max %.1f ms  errors %d  (%d requests)\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors, summary.requests))
end
