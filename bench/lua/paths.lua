-- GET one path after another from a list, as visitors opening many different pages would.
--
-- paths_file=<path>: one request path per line. threads=<N>: wrk's thread count; each thread
-- takes its own share of the list (start_cycle in common.lua).

local paths

function init(args)
   local options = parse_args(args)
   configure_checks(options)
   paths = read_lines(options.paths_file)
   start_cycle(#paths, options)
end

function request()
   return wrk.format("GET", paths[next_in_cycle()])
end
