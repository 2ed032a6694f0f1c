-- POST /v1/credentials for a new learner on every request.
--
-- targets_file=<path>: one line per institution, "<api key> <achievement id> <achievement id>...";
-- requests go round-robin over institutions and their achievements.
-- prefix=<text>: makes learner numbers unique per run; the thread number and a counter follow.
-- awarded_on=<YYYY-MM-DD>, assessment_date=<YYYY-MM-DD>.

local targets = {}
local counter = 0
local learner_prefix, awarded_on, assessment_date

function init(args)
   local options = parse_args(args)
   configure_checks(options)
   learner_prefix = options.prefix .. "-t" .. tostring(thread_number or 0)
   awarded_on = options.awarded_on
   assessment_date = options.assessment_date
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
end

local body_format = '{"achievement_id":"%s","learner":{"name":"Learner %s",' ..
   '"student_number":"%s","email":"%s@student.example.org"},"awarded_on":"%s",' ..
   '"assessment_date":"%s","grade":"7.5","identity_verified":true,' ..
   '"sis_reference":"SIS/bench/%s"}'

function request()
   counter = counter + 1
   local target = targets[counter % #targets + 1]
   local round = math.floor(counter / #targets)
   local achievement = target.achievements[round % #target.achievements + 1]
   local learner = learner_prefix .. "-" .. counter
   local body = string.format(body_format, achievement, learner, learner, learner,
      awarded_on, assessment_date, learner)
   return wrk.format("POST", "/v1/credentials", target.headers, body)
end
