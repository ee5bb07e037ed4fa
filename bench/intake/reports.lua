-- wrk script: POST /api/v1/reports with a SALUTE report the API accepts, at varied points over Minneapolis.
-- Each wrk thread seeds its own generator; done() prints the figures intake.sh reads.
local counter = 0
local activities = { "checkpoint", "patrol", "arrest", "home_raid", "workplace_raid", "other" }
local agencies = { "ice", "cbp", "police", "unknown" }

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local lat = 44.89 + math.random() * 0.16
  local lon = -93.33 + math.random() * 0.14
  local body = string.format(
    '{"activity":"%s","lat":%.6f,"lon":%.6f,"placeText":"Near the corner store","agents":%d,"vehicles":%d,' ..
    '"agency":"%s","equipment":"vests, unmarked SUVs","text":"Agents stopping cars, asking for papers."}',
    activities[math.random(#activities)], lat, lon, math.random(1, 8), math.random(0, 4), agencies[math.random(#agencies)])
  return wrk.format(nil, "/api/v1/reports", nil, body)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format("FIGURES requests=%d non2xx=%d socket_errors=%d seconds=%.2f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests, non2xx, errors, seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
