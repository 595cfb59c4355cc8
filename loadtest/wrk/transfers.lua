-- wrk script: POST /v1/transfers between random accounts, a fresh Idempotency-Key per request.
--   wrk -t2 -c64 -d30s -s transfers.lua http://127.0.0.1:8080 -- DIR [HOT_SHARE]
-- DIR holds "token" (a bearer token with transfers:write) and "accounts.txt" (one account id a
-- line, the hot account first), as written by `opengen setup`. HOT_SHARE (0..1, default 0) is the
-- share of transfers that debit the hot account. Prints the answers by status at the end, since
-- wrk itself counts only non-2xx/3xx as errors.

local dir, hot_share, token, accounts
local counter = 0
-- Keys of two runs never meet: the run id is the time plus random bytes.
local function random_hex(bytes)
  local file = io.open("/dev/urandom", "rb")
  if not file then return tostring(math.random(1e9)) end
  local raw = file:read(bytes)
  file:close()
  return (raw:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end
local run_id = os.time() .. "-" .. random_hex(4)
local threads = {}
-- Globals, because wrk's thread:set and thread:get reach only those.
thread_id = 0
statuses = {}

local function read_lines(path)
  local lines = {}
  local file = assert(io.open(path, "r"), "cannot open " .. path)
  for line in file:lines() do
    if #line > 0 then lines[#lines + 1] = line end
  end
  file:close()
  return lines
end

function setup(thread)
  thread:set("thread_id", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  dir = args[1] or "."
  hot_share = tonumber(args[2] or "0")
  token = read_lines(dir .. "/token")[1]
  accounts = read_lines(dir .. "/accounts.txt")
  assert(#accounts >= 3, "need at least 3 accounts")
  math.randomseed(os.time() * 1000 + thread_id)
end

function request()
  counter = counter + 1
  local n = #accounts
  local debit = (math.random() < hot_share) and 1 or math.random(n)
  local credit = math.random(n - 1)
  if credit >= debit then credit = credit + 1 end
  local body = string.format(
    '{"debitAccountId":"%s","creditAccountId":"%s","amount":%d,"currency":"USD"}',
    accounts[debit], accounts[credit], math.random(100))
  return wrk.format("POST", "/v1/transfers", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("wrk-%s-%d-%d", run_id, thread_id, counter),
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  local seconds = summary.duration / 1e6
  local created = totals[201] or 0
  local parts = {}
  for status, count in pairs(totals) do parts[#parts + 1] = status .. ":" .. count end
  table.sort(parts)
  io.write(string.format(
    "WRK requests=%d created=%d created_per_s=%.1f seconds=%.2f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f socket_errors=%d statuses=%s\n",
    summary.requests, created, created / seconds, seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ",")))
end
