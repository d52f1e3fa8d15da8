/**
 * Lua scripts: each runs atomically in Redis, which is what makes a room's cursor
 * "assigned exactly once per event" however many nodes ingest the same stream.
 */

/** Compares two stream ids ("ms-seq"): is `a` after `b`? */
const STREAM_ID_AFTER = `
local function isAfter(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if not am or not bm then return true end
  am, bm = tonumber(am), tonumber(bm)
  if am ~= bm then return am > bm end
  return tonumber(as) > tonumber(bs)
end
`;

/**
 * Ingest one event for one job into each of its rooms.
 * KEYS: queueResults, queueResultIds, queueOpenJobs, jobVersion, then per room: meta, history, jobs, jobIndex.
 * (The queue's stored stream position is moved by the caller once a whole batch is in.)
 * ARGV: eventId ('' for a reconciliation), epochCandidate, historySize, ttlMs, snapshotJobs, roomJobKey, jobId,
 *       terminal ('1'|'0'), resultsKept, body (JSON object without room/epoch/seq), watermark (a reconciliation's
 *       stream position, else ''), newJob ('1' for `added`), rooms...
 * Returns {0, attempt, room, epoch, seq, ...} when this call ingested the event; {1, stored} when a node already
 * had (stored is cjson {b = body, r = {room, epoch, seq, ...}}, {stale = true}, or false if forgotten); {2} when
 * the event is older than a reconciled state already published for the job, and was dropped.
 *
 * The job version (KEYS[4]) keeps what was published per job, so nothing goes back on screen
 * whichever node built a status: the attempt never decreases (nodes read the job at slightly
 * different moments); stream events at or before a published reconciliation's position are
 * stale; and a reconciliation read before the job's newest ingested event is stale itself.
 */
export const INGEST_SCRIPT = `${STREAM_ID_AFTER}
local eventId = ARGV[1]
local resultsKept = tonumber(ARGV[9])
local function remember(result)
  redis.call('HSET', KEYS[1], eventId, result)
  redis.call('RPUSH', KEYS[2], eventId)
  if redis.call('LLEN', KEYS[2]) > resultsKept then
    redis.call('HDEL', KEYS[1], redis.call('LPOP', KEYS[2]))
  end
end
local version = KEYS[4]
local ttl = tonumber(ARGV[4])
if eventId ~= '' then
  -- Each job's events are ingested in stream order (jobs among themselves in any order):
  -- an event at or before the job's newest ingested one was ingested already, by some node.
  local newest = redis.call('HGET', version, 'ev')
  if newest and not isAfter(eventId, newest) then
    return {1, redis.call('HGET', KEYS[1], eventId)}
  end
  if ARGV[12] == '1' then redis.call('DEL', version) end
  redis.call('HSET', version, 'ev', eventId)
  redis.call('PEXPIRE', version, ttl)
  local watermark = redis.call('HGET', version, 'wm')
  if watermark and not isAfter(eventId, watermark) then
    remember(cjson.encode({stale = true}))
    return {2}
  end
elseif ARGV[11] ~= '' then
  -- A reconciliation read before an event of the job that is already in: it is the stale one.
  local newest = redis.call('HGET', version, 'ev')
  if newest and isAfter(newest, ARGV[11]) then return {2} end
end
local body = ARGV[10]
local published = tonumber(redis.call('HGET', version, 'attempt') or '0')
local attempt = tonumber(string.match(body, '"state":"[%a%-]+","attempt":(%d+)') or '0')
if attempt < published then
  body = string.gsub(body, '("state":"[%a%-]+","attempt":)%d+', '%1' .. published, 1)
  attempt = published
else
  redis.call('HSET', version, 'attempt', attempt)
end
if ARGV[11] ~= '' then redis.call('HSET', version, 'wm', ARGV[11]) end
redis.call('PEXPIRE', version, ttl)
local historySize = tonumber(ARGV[3])
local snapshotJobs = tonumber(ARGV[5])
local jobKey = ARGV[6]
local tail = string.sub(body, 2)
local out = {}
for i = 13, #ARGV do
  local room = ARGV[i]
  local base = 4 + (i - 13) * 4
  local meta, hist, jobs, idx = KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], KEYS[base + 4]
  local epoch = redis.call('HGET', meta, 'epoch')
  if not epoch then
    epoch = ARGV[2]
    redis.call('HSET', meta, 'epoch', epoch)
  end
  local seq = redis.call('HINCRBY', meta, 'seq', 1)
  local member = '{"room":"' .. room .. '","epoch":"' .. epoch .. '","seq":' .. seq .. ',' .. tail
  if historySize > 0 then
    redis.call('ZADD', hist, seq, member)
    redis.call('ZREMRANGEBYRANK', hist, 0, -(historySize + 1))
    redis.call('PEXPIRE', hist, ttl)
  end
  redis.call('HSET', jobs, jobKey, member)
  redis.call('ZADD', idx, seq, jobKey)
  local count = redis.call('ZCARD', idx)
  if count > snapshotJobs then
    local evicted = redis.call('ZRANGE', idx, 0, count - snapshotJobs - 1)
    redis.call('HDEL', jobs, unpack(evicted))
    redis.call('ZREMRANGEBYRANK', idx, 0, count - snapshotJobs - 1)
  end
  redis.call('PEXPIRE', meta, ttl)
  redis.call('PEXPIRE', jobs, ttl)
  redis.call('PEXPIRE', idx, ttl)
  out[#out + 1] = room
  out[#out + 1] = epoch
  out[#out + 1] = seq
end
if ARGV[8] == '1' then
  redis.call('SREM', KEYS[3], ARGV[7])
else
  redis.call('SADD', KEYS[3], ARGV[7])
end
if eventId ~= '' then remember(cjson.encode({b = body, r = out})) end
local reply = {0, attempt}
for _, value in ipairs(out) do reply[#reply + 1] = value end
return reply
`;

/**
 * Read a room for a subscriber: its epoch and cursor, then either the events after the
 * client's cursor (replay) or the latest event of each job (snapshot).
 * KEYS: meta, history, jobs, jobIndex. ARGV: epochCandidate, ttlMs, sinceEpoch ('' = none), sinceSeq, maxReplay.
 * Returns {epoch, seq, mode, resyncReason, members...}.
 */
export const READ_ROOM_SCRIPT = `
local meta, hist, jobs, idx = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local ttl = tonumber(ARGV[2])
local epoch = redis.call('HGET', meta, 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', meta, 'epoch', epoch, 'seq', 0)
end
local seq = tonumber(redis.call('HGET', meta, 'seq') or '0')
redis.call('PEXPIRE', meta, ttl)
redis.call('PEXPIRE', hist, ttl)
redis.call('PEXPIRE', jobs, ttl)
redis.call('PEXPIRE', idx, ttl)
local function snapshot(reason)
  local reply = {epoch, seq, 'snapshot', reason}
  for _, member in ipairs(redis.call('HVALS', jobs)) do reply[#reply + 1] = member end
  return reply
end
local sinceEpoch = ARGV[3]
if sinceEpoch == '' then return snapshot('') end
if sinceEpoch ~= epoch then return snapshot('epoch-changed') end
local since = tonumber(ARGV[4])
if since == seq then return {epoch, seq, 'replay', ''} end
if since > seq or seq - since > tonumber(ARGV[5]) then return snapshot('history-exceeded') end
local first = redis.call('ZRANGE', hist, 0, 0, 'WITHSCORES')
if not first[2] or tonumber(first[2]) > since + 1 then return snapshot('history-exceeded') end
local reply = {epoch, seq, 'replay', ''}
for _, member in ipairs(redis.call('ZRANGEBYSCORE', hist, '(' .. since, seq)) do reply[#reply + 1] = member end
return reply
`;

/**
 * Read a range of a room's history: events with after < seq <= to.
 * KEYS: meta, history. ARGV: epoch, after, to. Returns {currentEpoch or false, members...}.
 */
export const READ_RANGE_SCRIPT = `
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if epoch ~= ARGV[1] then return {epoch} end
local reply = {epoch}
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[2], ARGV[3])) do reply[#reply + 1] = member end
return reply
`;
