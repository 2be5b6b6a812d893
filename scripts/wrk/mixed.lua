-- DSB's mixed workload: 60 % home timeline, 30 % user timeline, 10 % compose.
-- Run: wrk -s scripts/wrk/mixed.lua URL
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
require "common"
init = function() init_random() end
request = function()
  local x = math.random()
  if x < 0.6 then return timeline("home-timeline") end
  if x < 0.9 then return timeline("user-timeline") end
  return compose()
end
