-- wrk script for bench_web.py: sends the session cookie, counts every response that is not
-- 2xx (a redirect to /login means the session was lost: a failure, not a fast answer; wrk's
-- own error count leaves 3xx out), and prints one line of JSON the benchmark parses.
--
--   wrk -c 50 -t 2 -d 30s -s bench/percentiles.lua URL -- "cb_session=TOKEN" [THINK_MS]
--
-- THINK_MS > 0 makes each connection a user who reads the page before the next click: a pause
-- drawn uniformly from THINK_MS/2 to 3·THINK_MS/2 before every request (wrk's latency excludes it).

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   non2xx = 0
   redirects = 0
   think = tonumber(args[2] or "0")
   if args[1] then
      wrk.headers["Cookie"] = args[1]
   end
end

function delay()
   if think > 0 then
      return math.random(math.floor(think / 2), math.floor(think * 3 / 2))
   end
   return 0
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if status >= 300 and status < 400 then
         redirects = redirects + 1
      end
   end
end

function done(summary, latency, requests)
   local non2xx_total, redirects_total = 0, 0
   for _, thread in ipairs(threads) do
      non2xx_total = non2xx_total + thread:get("non2xx")
      redirects_total = redirects_total + thread:get("redirects")
   end
   local e = summary.errors
   io.write(string.format(
      'RESULT {"requests": %d, "duration_s": %.3f, "bytes": %d, "p50_ms": %.2f, "p90_ms": %.2f, ' ..
      '"p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "mean_ms": %.2f, "non2xx": %d, "redirects": %d, ' ..
      '"socket_errors": %d, "timeouts": %d}\n',
      summary.requests, summary.duration / 1e6, summary.bytes,
      latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(95) / 1e3,
      latency:percentile(99) / 1e3, latency.max / 1e3, latency.mean / 1e3,
      non2xx_total, redirects_total, e.connect + e.read + e.write, e.timeout))
end
