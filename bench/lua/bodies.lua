-- POST one body after another from a list to the URL's path, e.g. many different credentials
-- to verify. Headers come from wrk's -H options (Content-Type).
--
-- bodies_file=<path>: one request body per line. threads=<N>: wrk's thread count; each thread
-- takes its own share of the list (start_cycle in common.lua).

local bodies

function init(args)
   local options = parse_args(args)
   configure_checks(options)
   bodies = read_lines(options.bodies_file)
   start_cycle(#bodies, options)
end

function request()
   return wrk.format("POST", nil, nil, bodies[next_in_cycle()])
end
