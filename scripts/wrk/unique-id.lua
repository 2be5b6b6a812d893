-- One function over HTTP with no storage behind it: unique-id-service-upload-unique-id, called as
-- the gateway calls functions (POST, JSON). Measures a deployment's HTTP path alone.
-- Run: wrk -s scripts/wrk/unique-id.lua http://HOST:PORT/function/unique-id-service-upload-unique-id
wrk.method = "POST"
wrk.body = '{"post_type": 0}'
wrk.headers["Content-Type"] = "application/json"
