-- POST /v1/credentials for a new learner on every request.
--
-- targets_file=<path>: one line per institution, "<api key> <achievement id> <achievement id>...";
-- requests go round-robin over institutions and their achievements.
-- template_file=<path>: the JSON body, in which {{achievement}} and {{learner}} are replaced
-- (the harness writes it: the minimal request, or the one with every element).
-- prefix=<text>: makes learner numbers unique per run; the thread number and a counter follow.

local targets = {}
local counter = 0
local learner_prefix, template

function init(args)
   local options = parse_args(args)
   configure_checks(options)
   learner_prefix = options.prefix .. "-t" .. tostring(thread_number or 0)
   template = read_file(options.template_file)
   for line in io.lines(options.targets_file) do
      local words = {}
      for word in string.gmatch(line, "%S+") do table.insert(words, word) end
      if #words >= 2 then
         local achievements = {}
         for i = 2, #words do table.insert(achievements, words[i]) end
         table.insert(targets, {
            headers = {
               ["Authorization"] = "Bearer " .. words[1],
               ["Content-Type"] = "application/json",
            },
            achievements = achievements,
         })
      end
   end
   assert(#targets > 0, "targets_file holds no institution")
end

function request()
   counter = counter + 1
   local target = targets[counter % #targets + 1]
   local round = math.floor(counter / #targets)
   local values = {
      achievement = target.achievements[round % #target.achievements + 1],
      learner = learner_prefix .. "-" .. counter,
   }
   local body = string.gsub(template, "{{(%a+)}}", values)
   return wrk.format("POST", "/v1/credentials", target.headers, body)
end
