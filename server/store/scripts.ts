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
 * Appends one job status to each of its rooms and stores the job's record, atomically.
 * KEYS: lease, job record, queueOpenJobs, routeVersions, queuePendingRoutes, then per room: meta, history, jobs, jobIndex.
 * ARGV: 1 lease token, 2 stream event id ('' for a reconciliation), 3 incarnation, 4 route JSON ('' = unrouted),
 *       5 status JSON ('' = none), 6 terminal ('1'|'0'), 7 room job key, 8 job id, 9 event body JSON (without
 *       room/epoch/seq), 10 epoch candidate, 11 history size, 12 ttl ms, 13 snapshot jobs, 14 n consumed route
 *       versions, then those versions, then the rooms.
 * Returns {-1} when this node no longer holds the queue's lease (another node ingests now: nothing written);
 * {1} when the job's record already holds this event or a later one (ingested before a restart: nothing
 * written); else {0, room, epoch, seq, ...}.
 *
 * Only the lease holder writes, in stream order, so a room's cursor is assigned exactly once per event.
 * The queue's stored stream position is moved once per batch (ADVANCE_CURSOR_SCRIPT): a node that
 * dies mid-batch leaves it before the batch, and the next holder's re-read of those events finds
 * them in the job records (`ev`) and writes nothing twice.
 */
export const APPEND_SCRIPT = `${STREAM_ID_AFTER}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1} end
local record, eventId, ttl = KEYS[2], ARGV[2], tonumber(ARGV[12])
local fields = {'inc', ARGV[3], 'route', ARGV[4], 'status', ARGV[5]}
if eventId ~= '' then
  local last = redis.call('HGET', record, 'ev')
  if last and not isAfter(eventId, last) then return {1} end
  fields[7], fields[8] = 'ev', eventId
end
redis.call('HSET', record, unpack(fields))
redis.call('PEXPIRE', record, ttl)
local consumed = tonumber(ARGV[14])
if consumed > 0 then
  redis.call('HDEL', KEYS[4], unpack(ARGV, 15, 14 + consumed))
  if redis.call('HLEN', KEYS[4]) == 0 then redis.call('SREM', KEYS[5], ARGV[8]) end
end
local firstRoom = 15 + consumed
if ARGV[5] ~= '' and ARGV[6] == '0' and #ARGV >= firstRoom then
  redis.call('SADD', KEYS[3], ARGV[8])
else
  redis.call('SREM', KEYS[3], ARGV[8])
end
local historySize, snapshotJobs, jobKey = tonumber(ARGV[11]), tonumber(ARGV[13]), ARGV[7]
local tail = string.sub(ARGV[9], 2)
local out = {0}
for i = firstRoom, #ARGV do
  local room = ARGV[i]
  local base = 5 + (i - firstRoom) * 4
  local meta, hist, jobs, idx = KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], KEYS[base + 4]
  local epoch = redis.call('HGET', meta, 'epoch')
  if not epoch then
    epoch = ARGV[10]
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
return out
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
