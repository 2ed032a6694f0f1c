-- Shared by every benchmark script (the harness puts it in front of the scenario's script).
--
-- Arguments come after `--` on the wrk command line as key=value pairs. Every response is
-- checked: its status must be one of `expect` (comma-separated, default 200) and its body must
-- contain `contains` and must not contain `absent` (plain substrings, optional). done() prints
-- one line `BENCH_JSON {...}` with throughput, latency percentiles (p99.9 too), statuses,
-- errors and, for scripts that cycle through a list, how many distinct entries were sent
-- (-1 for the others).

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

-- Entries of a list sent in turn (paths, bodies, prepared requests): thread n of N takes
-- entries n, n+N, n+2N, ... (options.threads = N), so that concurrent connections do not send
-- the same entry at the same moment, and starts again past the end. `distinct` counts the
-- entries this thread has sent at least once; the threads' shares do not overlap.
distinct = nil
local cycle_count, cycle_position, cycle_stride, cycle_share, cycle_sent

function start_cycle(count, options)
   assert(count > 0, "the list to cycle through is empty")
   cycle_count = count
   cycle_position = (thread_number or 1) - 1
   cycle_stride = tonumber(options.threads or "1")
   cycle_share = 0
   if cycle_position < count then
      cycle_share = math.floor((count - 1 - cycle_position) / cycle_stride) + 1
   end
   cycle_sent = 0
   distinct = 0
end

function next_in_cycle()
   local index = cycle_position % cycle_count + 1
   cycle_position = cycle_position + cycle_stride
   cycle_sent = cycle_sent + 1
   distinct = math.min(cycle_sent, cycle_share)
   return index
end

function read_lines(path)
   local lines = {}
   for line in io.lines(path) do
      if line ~= "" then table.insert(lines, line) end
   end
   return lines
end

function done(summary, latency, requests)
   local merged, bad, cycled = {}, 0, nil
   for _, thread in ipairs(threads) do
      for code, count in pairs(thread:get("statuses")) do
         merged[code] = (merged[code] or 0) + count
      end
      bad = bad + thread:get("unexpected")
      local sent = thread:get("distinct")
      if sent then cycled = (cycled or 0) + sent end
   end
   local parts = {}
   for code, count in pairs(merged) do
      table.insert(parts, string.format('"%d":%d', code, count))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"duration_us":%d,"requests":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"unexpected":%d,"distinct":%d,"statuses":{%s},' ..
      '"latency_us":{"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      bad, cycled or -1, table.concat(parts, ","),
      latency.mean, latency.stdev, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9)))
end
