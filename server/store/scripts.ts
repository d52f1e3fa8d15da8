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
 * Appends job statuses to the rooms of one hash slot (every room on one Redis), in order,
 * atomically. A room remembers the last stream event it took from each queue (`ev:<queue>` in
 * its meta hash) and takes each event at most once, in stream order, whichever node sends it:
 * rooms are written before the job's record (RECORD_SCRIPT), so a node that dies between the
 * two is repaired by the next lease holder's re-read of the same events, which the rooms skip.
 * Fencing: a room also remembers the greatest lease fence number that wrote to it from each
 * queue (`fence:<queue>`) and refuses a smaller one, so a node that lost its lease cannot write
 * over what the next holder wrote (a reconciliation or a warning carries no event id to order it).
 * Each room's meta hash is read once per call; the script keeps what it writes to it.
 * KEYS: per room: meta, history, jobs, jobIndex.
 * ARGV: 1 ttl ms, 2 history size, 3 snapshot jobs, 4 epoch candidate, 5 expiry slack ms, 6 queue,
 *       7 lease fence number, 8 number of rooms n, then the n room names, then per entry: room
 *       number (1..n), stream event id ('' for a reconciliation: always appended), job key, event
 *       body JSON (without room/epoch/seq).
 * Returns one reply per entry: {epoch, seq} when appended, {} when the room already took the
 * event, {-1} when a later lease wrote to the room (this node lost its lease: nothing written).
 */
const ROOM_APPEND_BODY = `
local ttl, historySize, snapshotJobs, epochCandidate, slack = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local evField, fenceField, fence, rooms = 'ev:' .. ARGV[6], 'fence:' .. ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])

-- Each room's meta, read once: the last event taken, epoch, cursor, greatest fence, and when its keys expire.
local state = {}
for r = 1, rooms do
  local meta = KEYS[r * 4 - 3]
  local read = redis.call('HMGET', meta, evField, 'epoch', 'seq', fenceField, 'expires')
  local seen = tonumber(read[4] or '0')
  if fence > seen then redis.call('HSET', meta, fenceField, ARGV[7]) end
  state[r] = { last = read[1], epoch = read[2], seq = tonumber(read[3] or '0'), fenced = fence < seen, expires = tonumber(read[5] or '0'), renew = false }
end

local function appendToRoom(r, eventId, jobKey, tail)
  local room = state[r]
  local meta, hist, jobs, idx = KEYS[r * 4 - 3], KEYS[r * 4 - 2], KEYS[r * 4 - 1], KEYS[r * 4]
  if eventId ~= '' and room.last and not isAfter(eventId, room.last) then return {} end
  -- The cursor moves first: a script stopped by an error further on leaves a gap, never a seq used twice.
  room.seq = room.seq + 1
  local seq = room.seq
  if room.epoch then
    redis.call('HSET', meta, 'seq', seq)
  else
    room.epoch = epochCandidate
    redis.call('HSET', meta, 'seq', seq, 'epoch', room.epoch)
  end
  local member = '{"room":"' .. ARGV[8 + r] .. '","epoch":"' .. room.epoch .. '","seq":' .. seq .. ',' .. tail
  if historySize > 0 then
    redis.call('ZADD', hist, seq, member)
    -- The history keeps the last historySize cursors: seq - historySize and older go.
    if seq > historySize then redis.call('ZREMRANGEBYSCORE', hist, '-inf', seq - historySize) end
  end
  redis.call('HSET', jobs, jobKey, member)
  -- The snapshot can only outgrow its bound when a job new to it was added.
  local count = redis.call('ZADD', idx, seq, jobKey) == 1 and redis.call('ZCARD', idx) or 0
  -- A snapshot of one job was just created, with the history: its keys have no expiry yet.
  if count == 1 then room.renew = true end
  if count > snapshotJobs then
    local evicted = redis.call('ZRANGE', idx, 0, count - snapshotJobs - 1)
    redis.call('HDEL', jobs, unpack(evicted))
    redis.call('ZREMRANGEBYRANK', idx, 0, count - snapshotJobs - 1)
  end
  -- Last: a script stopped by an error keeps what it wrote before, and the event must then be taken again.
  if eventId ~= '' then
    redis.call('HSET', meta, evField, eventId)
    room.last = eventId
  end
  return {room.epoch, seq}
end

-- The four keys expire together, ttl after the room's last event, give or take \`slack\`: they are
-- refreshed when the meta's \`expires\` (Redis's clock, set with them) is less than ttl - slack
-- away, or missing (a room a subscriber created), or when the snapshot was created just now.
local function renewExpiry(r, now)
  local room = state[r]
  if not room.renew and room.expires - now >= ttl - slack then return end
  local meta, hist, jobs, idx = KEYS[r * 4 - 3], KEYS[r * 4 - 2], KEYS[r * 4 - 1], KEYS[r * 4]
  redis.call('PEXPIRE', meta, ttl)
  redis.call('PEXPIRE', hist, ttl)
  redis.call('PEXPIRE', jobs, ttl)
  redis.call('PEXPIRE', idx, ttl)
  redis.call('HSET', meta, 'expires', now + ttl)
end

local replies, appended = {}, {}
for a = 9 + rooms, #ARGV, 4 do
  local r = tonumber(ARGV[a])
  local reply
  if state[r].fenced then reply = {-1} else reply = appendToRoom(r, ARGV[a + 1], ARGV[a + 2], string.sub(ARGV[a + 3], 2)) end
  if reply[2] then appended[r] = true end
  replies[#replies + 1] = reply
end
if next(appended) then
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  for r in pairs(appended) do renewExpiry(r, now) end
end
return replies
`;
export const ROOM_APPEND_SCRIPT = `${STREAM_ID_AFTER}${ROOM_APPEND_BODY}`;

/**
 * Stores jobs' records for one ingest batch, in order, atomically, if this node still holds the
 * queue's lease: the record's `ev` says which stream event it reflects, so a re-read batch (after
 * a restart or a takeover) writes nothing twice. Runs after the batch's ROOM_APPEND_SCRIPT calls.
 * KEYS: 1 lease, 2 queueOpenJobs, 3 queuePendingRoutes, 4 queueCursor, then per write: job record, routeVersions.
 * ARGV: 1 lease token, 2 ttl ms, 3 the batch's last stream id, to store as the queue's position
 *       ('' = leave it: not the batch's last call), then per write: stream event id ('' for a reconciliation),
 *       incarnation, route JSON ('' = unrouted), status JSON ('' = none), open ('1' = a status
 *       not terminal in at least one room), job id, n consumed route versions, those versions.
 * Returns -1 when this node no longer holds the queue's lease (another node ingests now:
 * nothing written); else one reply per write: 1 when the job's record already holds this event
 * or a later one (nothing written), else 0.
 *
 * Only the lease holder writes, in stream order. The queue's stored stream position is moved once
 * per batch, by its last call: a node that dies mid-batch leaves it before the batch.
 */
const RECORD_BODY = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local openJobs, pendingRoutes, ttl = KEYS[2], KEYS[3], tonumber(ARGV[2])
local replies, a, k = {}, 4, 5
while a <= #ARGV do
  local record, versions = KEYS[k], KEYS[k + 1]
  local eventId, status, jobId, consumed = ARGV[a], ARGV[a + 3], ARGV[a + 5], tonumber(ARGV[a + 6])
  local fields = {'inc', ARGV[a + 1], 'route', ARGV[a + 2], 'status', status}
  local held = false
  if eventId ~= '' then
    local last = redis.call('HGET', record, 'ev')
    held = last and not isAfter(eventId, last)
    fields[7], fields[8] = 'ev', eventId
  end
  if held then
    replies[#replies + 1] = 1
  else
    redis.call('HSET', record, unpack(fields))
    redis.call('PEXPIRE', record, ttl)
    if consumed > 0 then
      redis.call('HDEL', versions, unpack(ARGV, a + 7, a + 6 + consumed))
      if redis.call('HLEN', versions) == 0 then redis.call('SREM', pendingRoutes, jobId) end
    end
    if ARGV[a + 4] == '1' then redis.call('SADD', openJobs, jobId) else redis.call('SREM', openJobs, jobId) end
    replies[#replies + 1] = 0
  end
  a = a + 7 + consumed
  k = k + 2
end
if ARGV[3] ~= '' then
  local cursor = redis.call('GET', KEYS[4])
  if not cursor or isAfter(ARGV[3], cursor) then redis.call('SET', KEYS[4], ARGV[3]) end
end
return replies
`;
export const RECORD_SCRIPT = `${STREAM_ID_AFTER}${RECORD_BODY}`;

/**
 * One Redis (every key in one slot): the lease check, then ROOM_APPEND_SCRIPT, then RECORD_SCRIPT,
 * in one call and one round trip. Checking the lease before the rooms means a batch read before
 * Redis lost its data (and the lease with it) writes nothing, not even to the new, empty rooms.
 * KEYS: the room part's keys, then the record part's (lease first). ARGV: 1 number of room keys,
 * 2 number of room arguments, then the room part's ARGV, then the record part's (token first).
 * Returns {the room part's reply, the record part's reply}; {{}, -1} without the lease.
 */
export const ROOMS_THEN_RECORDS_SCRIPT = `${STREAM_ID_AFTER}
local function appendRooms(KEYS, ARGV)${ROOM_APPEND_BODY}end
local function writeRecords(KEYS, ARGV)${RECORD_BODY}end
local roomKeys, roomArgs = tonumber(ARGV[1]), tonumber(ARGV[2])
local function slice(list, from, to)
  local out = {}
  for i = from, to do out[#out + 1] = list[i] end
  return out
end
if redis.call('GET', KEYS[roomKeys + 1]) ~= ARGV[3 + roomArgs] then return {{}, -1} end
local rooms = appendRooms(slice(KEYS, 1, roomKeys), slice(ARGV, 3, 2 + roomArgs))
return {rooms, writeRecords(slice(KEYS, roomKeys + 1, #KEYS), slice(ARGV, 3 + roomArgs, #ARGV))}
`;

/**
 * Moves a queue's stored stream position, for a batch that wrote nothing (RECORD_SCRIPT moves it otherwise).
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
