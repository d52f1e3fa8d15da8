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
 * Appends job statuses to their rooms and stores the jobs' records, in order, atomically: the
 * writes of one ingest batch in one call.
 * KEYS: 1 lease, 2 queueOpenJobs, 3 queuePendingRoutes, then per write: job record, routeVersions,
 *       then per room of the write: meta, history, jobs, jobIndex.
 * ARGV: 1 lease token, 2 ttl ms, 3 history size, 4 snapshot jobs, 5 epoch candidate, 6 number of
 *       writes, 7 expiry slack ms, then per write: stream event id ('' for a reconciliation), incarnation, route JSON
 *       ('' = unrouted), status JSON ('' = none), terminal ('1'|'0'), room job key, job id, event
 *       body JSON (without room/epoch/seq), n consumed route versions, those versions, n rooms,
 *       the rooms.
 * Returns {-1} when this node no longer holds the queue's lease (another node ingests now:
 * nothing written); else one reply per write: {1} when the job's record already holds this
 * event or a later one (ingested before a restart: nothing written), else {0, room, epoch, seq, ...}.
 *
 * Only the lease holder writes, in stream order, so a room's cursor is assigned exactly once per event.
 * The queue's stored stream position is moved once per batch (ADVANCE_CURSOR_SCRIPT): a node that
 * dies mid-batch leaves it before the batch, and the next holder's re-read of those events finds
 * them in the job records (`ev`) and writes nothing twice.
 */
export const APPEND_SCRIPT = `${STREAM_ID_AFTER}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1} end
local openJobs, pendingRoutes = KEYS[2], KEYS[3]
local ttl, historySize, snapshotJobs, epochCandidate, slack = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[7])

local function appendToRoom(room, meta, hist, jobs, idx, jobKey, tail)
  local epoch = redis.call('HGET', meta, 'epoch')
  if not epoch then
    epoch = epochCandidate
    redis.call('HSET', meta, 'epoch', epoch)
  end
  local seq = redis.call('HINCRBY', meta, 'seq', 1)
  local member = '{"room":"' .. room .. '","epoch":"' .. epoch .. '","seq":' .. seq .. ',' .. tail
  if historySize > 0 then
    redis.call('ZADD', hist, seq, member)
    redis.call('ZREMRANGEBYRANK', hist, 0, -(historySize + 1))
  end
  redis.call('HSET', jobs, jobKey, member)
  redis.call('ZADD', idx, seq, jobKey)
  local count = redis.call('ZCARD', idx)
  if count > snapshotJobs then
    local evicted = redis.call('ZRANGE', idx, 0, count - snapshotJobs - 1)
    redis.call('HDEL', jobs, unpack(evicted))
    redis.call('ZREMRANGEBYRANK', idx, 0, count - snapshotJobs - 1)
  end
  -- The four keys expire together, ttl after the room's last event, give or take \`slack\`: they are
  -- refreshed when the cursor's hash or the snapshot's hash has less than ttl - slack left (a key
  -- just created has no expiry: -1), not on every status. The snapshot's hash is created here
  -- only, with the history and its index, so a new one means they are new too.
  if redis.call('PTTL', jobs) < ttl - slack or redis.call('PTTL', meta) < ttl - slack then
    redis.call('PEXPIRE', meta, ttl)
    redis.call('PEXPIRE', hist, ttl)
    redis.call('PEXPIRE', jobs, ttl)
    redis.call('PEXPIRE', idx, ttl)
  end
  return epoch, seq
end

-- a: this write's first ARGV; k: its first KEY. Returns the write's reply.
local function applyWrite(a, k, consumed, firstRoom, rooms)
  local record, versions = KEYS[k], KEYS[k + 1]
  local eventId, status, jobId = ARGV[a], ARGV[a + 3], ARGV[a + 6]
  local fields = {'inc', ARGV[a + 1], 'route', ARGV[a + 2], 'status', status}
  if eventId ~= '' then
    local last = redis.call('HGET', record, 'ev')
    if last and not isAfter(eventId, last) then return {1} end
    fields[7], fields[8] = 'ev', eventId
  end
  redis.call('HSET', record, unpack(fields))
  redis.call('PEXPIRE', record, ttl)
  if consumed > 0 then
    redis.call('HDEL', versions, unpack(ARGV, a + 9, a + 8 + consumed))
    if redis.call('HLEN', versions) == 0 then redis.call('SREM', pendingRoutes, jobId) end
  end
  if status ~= '' and ARGV[a + 4] == '0' and rooms > 0 then
    redis.call('SADD', openJobs, jobId)
  else
    redis.call('SREM', openJobs, jobId)
  end
  local jobKey, tail = ARGV[a + 5], string.sub(ARGV[a + 7], 2)
  local out = {0}
  for r = 0, rooms - 1 do
    local base = k + 2 + r * 4
    local room = ARGV[firstRoom + r]
    local epoch, seq = appendToRoom(room, KEYS[base], KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], jobKey, tail)
    out[#out + 1] = room
    out[#out + 1] = epoch
    out[#out + 1] = seq
  end
  return out
end

local replies = {}
local a, k = 8, 4
for w = 1, tonumber(ARGV[6]) do
  local consumed = tonumber(ARGV[a + 8])
  local rooms = tonumber(ARGV[a + 9 + consumed])
  local firstRoom = a + 10 + consumed
  replies[w] = applyWrite(a, k, consumed, firstRoom, rooms)
  a = firstRoom + rooms
  k = k + 2 + rooms * 4
end
return replies
`;

/**
 * Moves a queue's stored stream position (events that changed no job, read by the lease holder).
 * KEYS: lease, queueCursor. ARGV: token, event id. Returns -1 without the lease.
 */
export const ADVANCE_CURSOR_SCRIPT = `${STREAM_ID_AFTER}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local cursor = redis.call('GET', KEYS[2])
if not cursor or isAfter(ARGV[2], cursor) then redis.call('SET', KEYS[2], ARGV[2]) end
return 1
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
