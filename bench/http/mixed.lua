-- wrk script: a portal's mixed load. 80% reads (40% a thread as staff,
-- 20% a dossier's list as staff, 20% its counters as a client), 20%
-- durable writes (a message as staff), spread over the open conversations. Tokens and
-- conversation ids come from the environment (see bench/http_load.sh).
local staff = os.getenv("STAFF")
local client = os.getenv("CLIENT")
local ids = {}
for id in string.gmatch(os.getenv("CONVERSATIONS"), "[^,]+") do ids[#ids + 1] = id end
local n = 0

request = function()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  local r = n % 10
  if r < 2 then
    return wrk.format("POST", "/v1/conversations/" .. id .. "/messages",
      {["Authorization"] = "Bearer " .. staff, ["Content-Type"] = "application/json"},
      '{"body":"Bonjour, pouvez-vous confirmer ce montant ?"}')
  elseif r < 6 then
    return wrk.format("GET", "/v1/conversations/" .. id, {["Authorization"] = "Bearer " .. staff})
  elseif r < 8 then
    return wrk.format("GET", "/v1/dossiers/d-1/conversations?limit=20", {["Authorization"] = "Bearer " .. staff})
  else
    return wrk.format("GET", "/v1/dossiers/d-1/counters", {["Authorization"] = "Bearer " .. client})
  end
end

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout
  -- Thread reads return every message: how long the threads grew matters.
  io.write(string.format(
    "requests/s %.0f  p50 %.2f ms  p99 %.2f ms  errors %d  (%d requests, ~%.0f messages posted per conversation)\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors, summary.requests, summary.requests * 0.2 / #ids))
end
