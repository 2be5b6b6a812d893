-- home-timeline reads only (DSB's read-home-timeline.lua). Run: wrk -s scripts/wrk/home-timeline.lua URL
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
require "common"
init = function() init_random() end
request = function() return timeline("home-timeline") end
