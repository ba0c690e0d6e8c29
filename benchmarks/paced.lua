-- Paced load for wrk: each connection thinks for a random time before its next request, so
-- together the connections offer about RATE requests/s (and never more), whatever the
-- server's speed. Latency is then measured at that load rather than at saturation.
local mean_think_ms = tonumber(os.getenv("CONNECTIONS")) * 1000 / tonumber(os.getenv("RATE"))

function delay()
  return math.random() * 2 * mean_think_ms
end
