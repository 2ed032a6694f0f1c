-- GET one path after another from a list, as visitors opening many different pages would.
--
-- paths_file=<path>: one request path per line. Each thread starts at its own place in the
-- list, so concurrent connections do not ask for the same page at the same moment.

local paths = {}
local counter = 0

function init(args)
   local options = parse_args(args)
   configure_checks(options)
   for line in io.lines(options.paths_file) do
      if line ~= "" then table.insert(paths, line) end
   end
   assert(#paths > 0, "paths_file holds no path")
   counter = ((thread_number or 1) - 1) * math.floor(#paths / 4)
end

function request()
   counter = counter + 1
   return wrk.format("GET", paths[counter % #paths + 1])
end
