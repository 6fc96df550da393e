-- wrk script for scripts/service-load.sh: a mix of the `service` example's
-- requests, each answer checked and counted.
--   60% PATCH /orders/{id} to a random status (refused transitions: 422)
--   25% POST /orders
--   14% GET /orders/{id}/events
--    1% POST /orders/status with a random pair of statuses
-- The ids asked for are those of the seeded orders and of the orders this
-- thread's own POSTs created (answered, so committed): an id taken from
-- the sequence by a transaction still running elsewhere would rightly be
-- a 404.
local statuses = {"new", "paid", "shipped", "delivered", "cancelled"}
local threads = {}

function setup(thread)
  thread:set("n", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 100 + n)
  seeded = tonumber(os.getenv("SEEDED") or "1000")
  own = {}
  counts = {}
  unexpected = 0
  sent = 0
  bulk_updated = 0
  first_unexpected = ""
end

-- An order that exists: mostly one this thread created lately.
local function some_id()
  if #own > 0 and math.random(10) <= 7 then
    return own[math.random(math.max(1, #own - 200), #own)]
  end
  return math.random(seeded)
end

local function count(key)
  counts[key] = (counts[key] or 0) + 1
end

function request()
  local r = math.random(100)
  local kind, req
  if r <= 60 then
    kind = "patch"
    req = wrk.format("PATCH", "/orders/" .. some_id(),
      {["Content-Type"] = "application/json"},
      '{"status": "' .. statuses[math.random(#statuses)] .. '"}')
  elseif r <= 85 then
    kind = "create"
    req = wrk.format("POST", "/orders", {["Content-Type"] = "application/json"},
      '{"customer": "load' .. n .. '", "amount_cents": ' .. math.random(0, 100000) .. '}')
  elseif r <= 99 then
    kind = "events"
    req = wrk.format("GET", "/orders/" .. some_id() .. "/events")
  else
    kind = "bulk"
    req = wrk.format("POST", "/orders/status", {["Content-Type"] = "application/json"},
      '{"from": "' .. statuses[math.random(#statuses)] .. '", "to": "' ..
      statuses[math.random(#statuses)] .. '"}')
  end
  sent = sent + 1
  return req
end

-- Each answer is recognised by its status and shape (wrk may ask for
-- requests ahead of answers, so no queue of what was sent is kept).
function response(status, headers, body)
  local kind
  if status == 201 and string.match(body, '^{"id":') then
    kind = "create"
    local id = tonumber(string.match(body, '"id":(%d+)'))
    if id then table.insert(own, id) end
  elseif status == 200 and string.match(body, '^{"id":') then
    kind = "patch"
  elseif status == 200 and string.match(body, '^%[') then
    kind = "events"
  elseif status == 200 and string.match(body, '^{"updated":%d+}$') then
    kind = "bulk"
    bulk_updated = bulk_updated + tonumber(string.match(body, '(%d+)'))
  elseif status == 422 and string.match(body, '^{"error":') then
    kind = "refused"
  else
    kind = "unexpected"
    unexpected = unexpected + 1
    if first_unexpected == "" then first_unexpected = status .. " " .. body end
  end
  count(kind .. "_" .. status)
end

function done(summary, latency, requests)
  local totals, bulk, bad, first, asked = {}, 0, 0, "", 0
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do totals[k] = (totals[k] or 0) + v end
    bulk = bulk + t:get("bulk_updated")
    bad = bad + t:get("unexpected")
    asked = asked + t:get("sent")
    if first == "" then first = t:get("first_unexpected") end
  end
  local keys = {}
  for k in pairs(totals) do table.insert(keys, k) end
  table.sort(keys)
  for _, k in ipairs(keys) do io.write("count ", k, "=", totals[k], "\n") end
  local changes = (totals["patch_200"] or 0) + bulk
  io.write(string.format("load: requests=%d seconds=%.1f requests_per_s=%.0f unanswered=%d socket_errors=%d unexpected=%d accepted_changes=%d bulk_updated=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    asked - summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    bad, changes, bulk))
  if first ~= "" then io.write("first unexpected: ", first, "\n") end
end
