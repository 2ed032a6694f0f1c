-- POST {issuer}/credential with a request prepared beforehand, each line once.
--
-- requests_file=<path>: lines "<path> <access token> <JSON body>". threads=<N>: wrk's thread
-- count. Thread n of N sends lines n, n+N, n+2N, ... (start_cycle in common.lua); past the end
-- it starts again, and the repeats are refused (counted).

local lines = {}

function init(args)
   local options = parse_args(args)
   configure_checks(options)
   for line in io.lines(options.requests_file) do
      local path, token, body = string.match(line, "^(%S+) (%S+) (.+)$")
      if path then
         table.insert(lines, {
            path = path,
            headers = {
               ["Authorization"] = "Bearer " .. token,
               ["Content-Type"] = "application/json",
            },
            body = body,
         })
      end
   end
   start_cycle(#lines, options)
end

function request()
   local line = lines[next_in_cycle()]
   return wrk.format("POST", line.path, line.headers, line.body)
end
