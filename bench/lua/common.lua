-- Shared by every benchmark script (the harness puts it in front of the scenario's script).
--
-- Arguments come after `--` on the wrk command line as key=value pairs. Every response is
-- checked: its status must be one of `expect` (comma-separated, default 200) and its body must
-- contain `contains` and must not contain `absent` (plain substrings, optional). done() prints
-- one line `BENCH_JSON {...}` with throughput, latency percentiles, statuses and errors.

local threads = {}

function setup(thread)
   thread:set("thread_number", #threads + 1)
   table.insert(threads, thread)
end

function parse_args(args)
   local options = {}
   for _, arg in ipairs(args) do
      local key, value = string.match(arg, "^([%w_]+)=(.*)$")
      if key then options[key] = value end
   end
   return options
end

statuses = {}
unexpected = 0
local expected_statuses = {[200] = true}
local must_contain = nil
local must_not_contain = nil

function configure_checks(options)
   if options.expect then
      expected_statuses = {}
      for code in string.gmatch(options.expect, "%d+") do
         expected_statuses[tonumber(code)] = true
      end
   end
   if options.contains and options.contains ~= "" then must_contain = options.contains end
   if options.absent and options.absent ~= "" then must_not_contain = options.absent end
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   local good = expected_statuses[status]
   if good and must_contain and not string.find(body or "", must_contain, 1, true) then
      good = false
   end
   if good and must_not_contain and string.find(body or "", must_not_contain, 1, true) then
      good = false
   end
   if not good then unexpected = unexpected + 1 end
end

function read_file(path)
   local file = assert(io.open(path, "rb"))
   local content = file:read("*a")
   file:close()
   return content
end

function done(summary, latency, requests)
   local merged, bad = {}, 0
   for _, thread in ipairs(threads) do
      for code, count in pairs(thread:get("statuses")) do
         merged[code] = (merged[code] or 0) + count
      end
      bad = bad + thread:get("unexpected")
   end
   local parts = {}
   for code, count in pairs(merged) do
      table.insert(parts, string.format('"%d":%d', code, count))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"duration_us":%d,"requests":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"unexpected":%d,"statuses":{%s},' ..
      '"latency_us":{"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      bad, table.concat(parts, ","),
      latency.mean, latency.stdev, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9)))
end
