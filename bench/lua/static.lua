-- The same request every time: method=GET|POST, body_file=<path> (optional). Headers come
-- from wrk's -H options (Content-Type, If-None-Match, ...).

local request_bytes

function init(args)
   local options = parse_args(args)
   configure_checks(options)
   local body = nil
   if options.body_file and options.body_file ~= "" then
      body = read_file(options.body_file)
   end
   request_bytes = wrk.format(options.method or "GET", nil, nil, body)
end

function request()
   return request_bytes
end
