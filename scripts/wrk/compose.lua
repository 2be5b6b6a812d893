-- Composes only (DSB's compose-post.lua). Run: wrk -s scripts/wrk/compose.lua URL
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
require "common"
init = function() init_random() end
request = function() return compose() end
