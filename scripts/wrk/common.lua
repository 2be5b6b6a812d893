-- DeathStarBench's request shapes for Debian's wrk (closed loop), as WORKLOAD.md §2-3 gives
-- them and deathstar-bench generates them: users uniform in [0, users), timelines start in
-- [0, 100] and stop = start + 10, composes of 256 alphanumerics, 1-6 mentions, 1-6 URLs and
-- 1-5 media ids, form-encoded but not percent-encoded, to the /wrk2-api/ routes.
local users = tonumber(os.getenv("users")) or 962
local alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }

local function random_string(n, charset)
  local t = {}
  for i = 1, n do
    local k = math.random(1, #charset)
    t[i] = charset:sub(k, k)
  end
  return table.concat(t)
end

function timeline(kind)
  local path = "/wrk2-api/" .. kind .. "/read?user_id=" .. math.random(0, users - 1)
  local start = math.random(0, 100)
  path = path .. "&start=" .. start .. "&stop=" .. (start + 10)
  return wrk.format("GET", path, form, nil)
end

function compose()
  local user = math.random(0, users - 1)
  local text = random_string(256, alnum)
  for _ = 1, math.random(1, 6) do
    local other = math.random(0, users - 2)
    if other >= user then other = other + 1 end
    text = text .. " @username_" .. other
  end
  for _ = 1, math.random(1, 6) do
    text = text .. " http://" .. random_string(64, alnum)
  end
  local ids, types = {}, {}
  for i = 1, math.random(1, 5) do
    ids[i] = '"' .. random_string(18, "0123456789") .. '"'
    types[i] = '"png"'
  end
  local body = "username=username_" .. user .. "&user_id=" .. user .. "&text=" .. text
    .. "&media_ids=[" .. table.concat(ids, ",") .. "]&media_types=[" .. table.concat(types, ",")
    .. "]&post_type=0"
  return wrk.format("POST", "/wrk2-api/post/compose", form, body)
end

function init_random()
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
