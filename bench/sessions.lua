-- wrk script for bench_web_cluster.py: many signed-in users over a mix of pages. Each request
-- is sent as the next user (a file of Cookie headers, one per line) for the next page of the
-- list, each thread starting at its own offset; counting and the RESULT line are
-- percentiles.lua's (loaded from this folder).
--
--   wrk -c 500 -t 2 -d 20s -s bench/sessions.lua URL -- @COOKIE_FILE THINK_MS /,/projects,...

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "percentiles.lua")

local counting_setup, counting_init = setup, init
local started = 0

function setup(thread)
   thread:set("offset", started * 7919)  -- a prime: threads walk the users out of step
   started = started + 1
   counting_setup(thread)
end

function init(args)
   counting_init({nil, args[2]})  -- no single Cookie header: each request carries its user's
   cookies, paths = {}, {}
   for line in io.lines(string.sub(args[1], 2)) do table.insert(cookies, line) end
   for path in string.gmatch(args[3], "[^,]+") do table.insert(paths, path) end
   n = offset
end

function request()
   n = n + 1
   return wrk.format("GET", paths[(n % #paths) + 1], {["Cookie"] = cookies[(n % #cookies) + 1]})
end
