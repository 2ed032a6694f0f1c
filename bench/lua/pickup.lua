-- POST {issuer}/credential with a request prepared beforehand, each line once.
--
-- requests_file=<path>: lines "<path> <access token> <JSON body>". threads=<N>: wrk's thread
-- count. Thread n of N sends lines n, n+N, n+2N, ...; past the end it starts again, and the
-- repeats are refused (counted).

local lines = {}
local position, stride

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
   position = (thread_number or 1) - 1
   stride = tonumber(options.threads or "1")
end

function request()
   local line = lines[position % #lines + 1]
   position = position + stride
   return wrk.format("POST", line.path, line.headers, line.body)
end
