/**
 * Every SQL statement of the SQLite store: the versioned migrations and the queries. Times are unix ms except
 * stat_user.record_at (unix seconds, as the panel). Byte counts are INTEGER (signed 64-bit), read back as bigint.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'nodes, traffic_stats, raw records, hourly rollup, high-water marks',
    sql: `
CREATE TABLE nodes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  token_hash BLOB NOT NULL UNIQUE,
  rate TEXT NOT NULL DEFAULT '1',
  reset_day INTEGER NOT NULL DEFAULT 1,
  timezone TEXT NOT NULL DEFAULT 'UTC',
  created_at INTEGER NOT NULL
);
CREATE TABLE traffic_stats (
  node_id INTEGER PRIMARY KEY REFERENCES nodes(id) ON DELETE CASCADE,
  total_rx INTEGER NOT NULL DEFAULT 0,
  total_tx INTEGER NOT NULL DEFAULT 0,
  period_rx INTEGER NOT NULL DEFAULT 0,
  period_tx INTEGER NOT NULL DEFAULT 0,
  period_start INTEGER NOT NULL,
  period_end INTEGER NOT NULL,
  load1 REAL, load5 REAL, load15 REAL,
  uptime_sec REAL,
  boot_id TEXT,
  host_json TEXT,
  agent_version TEXT,
  last_epoch TEXT,
  last_seen INTEGER
);
CREATE TABLE traffic_records (
  node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
  epoch TEXT NOT NULL,
  seq INTEGER NOT NULL,
  from_ms INTEGER NOT NULL,
  to_ms INTEGER NOT NULL,
  rx INTEGER NOT NULL,
  tx INTEGER NOT NULL,
  events TEXT,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (node_id, epoch, seq)
) WITHOUT ROWID;
CREATE INDEX traffic_records_to ON traffic_records(to_ms);
CREATE TABLE traffic_hourly (
  node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
  hour INTEGER NOT NULL,
  rx INTEGER NOT NULL,
  tx INTEGER NOT NULL,
  PRIMARY KEY (node_id, hour)
) WITHOUT ROWID;
CREATE INDEX traffic_hourly_hour ON traffic_hourly(hour);
CREATE TABLE epoch_high_water (
  node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
  epoch TEXT NOT NULL,
  seq INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (node_id, epoch)
) WITHOUT ROWID;
`,
  },
  {
    version: 2,
    name: 'per-user records (stat_user with server_id) and push idempotency keys',
    sql: `
CREATE TABLE stat_user (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL,
  server_id INTEGER,
  server_rate TEXT NOT NULL,
  u INTEGER NOT NULL DEFAULT 0,
  d INTEGER NOT NULL DEFAULT 0,
  record_type TEXT NOT NULL DEFAULT 'd',
  record_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX stat_user_key ON stat_user(user_id, server_id, server_rate, record_at, record_type);
CREATE INDEX stat_user_record_at ON stat_user(record_at);
CREATE INDEX stat_user_server ON stat_user(server_id, record_at);
CREATE TABLE push_keys (
  node_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (node_id, key)
) WITHOUT ROWID;
CREATE INDEX push_keys_applied ON push_keys(applied_at);
`,
  },
  {
    version: 3,
    name: 'per-(node, epoch) high-water seq of keyed pushes, so dedup survives pruning of push_keys',
    sql: `
CREATE TABLE push_high_water (
  node_id INTEGER NOT NULL,
  epoch TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (node_id, epoch)
) WITHOUT ROWID;
`,
  },
  {
    version: 4,
    name: 'content digests of records and keyed pushes, kept longer than raw records, so a conflicting resend is told from a duplicate',
    sql: `
ALTER TABLE traffic_records ADD COLUMN digest INTEGER;
CREATE TABLE record_digests (
  node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
  epoch TEXT NOT NULL,
  seq INTEGER NOT NULL,
  digest INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (node_id, epoch, seq)
) WITHOUT ROWID;
CREATE INDEX record_digests_received ON record_digests(received_at);
ALTER TABLE epoch_high_water ADD COLUMN unverifiable_through INTEGER NOT NULL DEFAULT 0;
UPDATE epoch_high_water SET unverifiable_through = seq;
ALTER TABLE push_keys ADD COLUMN digest INTEGER;
ALTER TABLE push_keys ADD COLUMN epoch TEXT;
ALTER TABLE push_keys ADD COLUMN seq INTEGER;
ALTER TABLE push_high_water ADD COLUMN unverifiable_through INTEGER NOT NULL DEFAULT 0;
UPDATE push_high_water SET unverifiable_through = seq;
`,
  },
  {
    version: 5,
    name: 'quotas, pools and the alert ledger (alerts + one delivery row per channel)',
    sql: `
CREATE TABLE pools (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  reset_day INTEGER NOT NULL,
  timezone TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE pool_nodes (
  pool_id INTEGER NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
  node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
  PRIMARY KEY (pool_id, node_id)
) WITHOUT ROWID;
CREATE TABLE quotas (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  node_id INTEGER REFERENCES nodes(id) ON DELETE CASCADE,
  pool_id INTEGER REFERENCES pools(id) ON DELETE CASCADE,
  limit_bytes INTEGER NOT NULL,
  measure TEXT NOT NULL,
  thresholds TEXT NOT NULL,
  cycle_days INTEGER,
  cycle_start INTEGER,
  channels TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  CHECK ((node_id IS NULL) <> (pool_id IS NULL))
);
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  node_id INTEGER,
  pool_id INTEGER,
  quota_id INTEGER,
  payload TEXT NOT NULL,
  fired_at INTEGER NOT NULL
);
CREATE INDEX alerts_kind_node ON alerts(kind, node_id, id);
CREATE TABLE alert_deliveries (
  alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error TEXT,
  delivered_at INTEGER,
  PRIMARY KEY (alert_id, channel)
) WITHOUT ROWID;
CREATE INDEX alert_deliveries_due ON alert_deliveries(state, next_attempt_at);
CREATE INDEX traffic_records_received ON traffic_records(received_at) WHERE events IS NOT NULL;
`,
  },
  {
    version: 6,
    name: 'load history: raw load samples (a bounded window), hourly min/avg/max rolled up from them, and the marks that keep them exactly once',
    sql: `
CREATE TABLE load_samples (
  node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  load1 REAL NOT NULL,
  load5 REAL NOT NULL,
  load15 REAL NOT NULL,
  PRIMARY KEY (node_id, at)
) WITHOUT ROWID;
CREATE TABLE load_hourly (
  node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
  hour INTEGER NOT NULL,
  samples INTEGER NOT NULL,
  sum1 REAL NOT NULL, sum5 REAL NOT NULL, sum15 REAL NOT NULL,
  min1 REAL NOT NULL, min5 REAL NOT NULL, min15 REAL NOT NULL,
  max1 REAL NOT NULL, max5 REAL NOT NULL, max15 REAL NOT NULL,
  PRIMARY KEY (node_id, hour)
) WITHOUT ROWID;
CREATE INDEX load_hourly_hour ON load_hourly(hour);
ALTER TABLE traffic_stats ADD COLUMN load_sent_at INTEGER;
ALTER TABLE traffic_stats ADD COLUMN load_sampled_at INTEGER;
`,
  },
  {
    version: 7,
    name: 'raw (unrated) per-user bytes beside the rated ones, for reports with rate=raw; known for old rows at rate 1',
    sql: `
ALTER TABLE stat_user ADD COLUMN raw_u INTEGER;
ALTER TABLE stat_user ADD COLUMN raw_d INTEGER;
UPDATE stat_user SET raw_u = u, raw_d = d WHERE server_rate = '1';
`,
  },
];

const NODE_COLS = 'n.id, n.name, n.rate, n.reset_day, n.timezone, n.created_at';
const STATS_COLS = `${NODE_COLS}, s.total_rx, s.total_tx, s.period_rx, s.period_tx, s.period_start, s.period_end,
  s.load1, s.load5, s.load15, s.uptime_sec, s.boot_id, s.host_json, s.agent_version, s.last_epoch, s.last_seen`;

/**
 * The node's newest stored record (highest seq of its last epoch; a PK seek per node), for the current rate
 * (views.ts currentRate). Absent when that epoch sent no record or it was pruned.
 */
const LAST_RECORD = `r.from_ms AS last_from, r.to_ms AS last_to, r.rx AS last_rx, r.tx AS last_tx, r.received_at AS last_received
  FROM nodes n JOIN traffic_stats s ON s.node_id = n.id
  LEFT JOIN traffic_records r ON r.node_id = n.id AND r.epoch = s.last_epoch
    AND r.seq = (SELECT MAX(seq) FROM traffic_records WHERE node_id = n.id AND epoch = s.last_epoch)`;

export const Q = {
  migrationsTable:
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  appliedVersions: 'SELECT version FROM schema_migrations',
  recordMigration: 'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  ping: 'SELECT 1',
  dataVersion: 'PRAGMA data_version',
  savepoint: 'SAVEPOINT heartbeat',
  releaseSavepoint: 'RELEASE heartbeat',
  rollbackToSavepoint: 'ROLLBACK TO heartbeat',

  insertNode: 'INSERT INTO nodes (name, token_hash, rate, reset_day, timezone, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  insertStats: 'INSERT INTO traffic_stats (node_id, period_start, period_end) VALUES (?, ?, ?)',
  listNodes: `SELECT ${NODE_COLS} FROM nodes n ORDER BY n.id`,
  nodeById: `SELECT ${NODE_COLS} FROM nodes n WHERE n.id = ?`,
  nodeByTokenHash: `SELECT ${NODE_COLS}, n.token_hash FROM nodes n WHERE n.token_hash = ?`,
  nodeAuth: `SELECT ${NODE_COLS}, n.token_hash FROM nodes n WHERE n.id = ?`,
  rotateToken: 'UPDATE nodes SET token_hash = ? WHERE id = ?',
  removeNode: 'DELETE FROM nodes WHERE id = ?',

  ledger: `SELECT s.total_rx, s.total_tx, s.period_rx, s.period_tx, s.period_start, s.period_end, n.reset_day, n.timezone,
    COALESCE(h.seq, 0) AS seq, COALESCE(h.unverifiable_through, 0) AS unverifiable_through,
    s.load_sent_at, s.load_sampled_at, n.token_hash
    FROM nodes n JOIN traffic_stats s ON s.node_id = n.id
    LEFT JOIN epoch_high_water h ON h.node_id = n.id AND h.epoch = ?
    WHERE n.id = ?`,
  insertRecord: `INSERT INTO traffic_records (node_id, epoch, seq, from_ms, to_ms, rx, tx, events, received_at, digest)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  /** The digest held for one (node, epoch, seq): the raw record's, else the one kept after the raw record was pruned. */
  heldDigest: `SELECT digest FROM traffic_records WHERE node_id = @node AND epoch = @epoch AND seq = @seq
    UNION ALL SELECT digest FROM record_digests WHERE node_id = @node AND epoch = @epoch AND seq = @seq LIMIT 1`,
  addHourly: `INSERT INTO traffic_hourly (node_id, hour, rx, tx) VALUES (?, ?, ?, ?)
    ON CONFLICT (node_id, hour) DO UPDATE SET rx = rx + excluded.rx, tx = tx + excluded.tx`,
  updateStats: `UPDATE traffic_stats SET total_rx = ?, total_tx = ?, period_rx = ?, period_tx = ?, period_start = ?, period_end = ?,
    load1 = ?, load5 = ?, load15 = ?, uptime_sec = ?, boot_id = ?, host_json = COALESCE(?, host_json), agent_version = ?,
    last_epoch = ?, last_seen = ?, load_sent_at = COALESCE(?, load_sent_at), load_sampled_at = COALESCE(?, load_sampled_at)
    WHERE node_id = ?`,
  /**
   * Load history (load-plan.ts). A heartbeat adds at most one raw sample (the node's marks go with updateStats). Hours
   * are rolled up from the raw samples when these are pruned, in the prune's transaction, so an hour is read as its
   * rolled-up row merged with the raw samples still held for it.
   */
  insertLoadSample:
    'INSERT INTO load_samples (node_id, at, load1, load5, load15) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  loadSamples: 'SELECT at, load1, load5, load15 FROM load_samples WHERE node_id = ? AND at >= ? AND at < ? ORDER BY at',
  loadHourly: `SELECT hour, SUM(samples) AS samples, SUM(sum1) AS sum1, SUM(sum5) AS sum5, SUM(sum15) AS sum15,
    MIN(min1) AS min1, MIN(min5) AS min5, MIN(min15) AS min15, MAX(max1) AS max1, MAX(max5) AS max5, MAX(max15) AS max15
    FROM (
      SELECT hour, samples, sum1, sum5, sum15, min1, min5, min15, max1, max5, max15 FROM load_hourly
        WHERE node_id = @node AND hour >= @from AND hour < @to
      UNION ALL
      SELECT at - at % 3600000, 1, load1, load5, load15, load1, load5, load15, load1, load5, load15 FROM load_samples
        WHERE node_id = @node AND at >= @from AND at < @to
    ) GROUP BY hour ORDER BY hour`,
  /** Samples before the cutoff into their hours; by primary key per node (no index on the time alone to keep up). */
  rollUpLoad: `INSERT INTO load_hourly (node_id, hour, samples, sum1, sum5, sum15, min1, min5, min15, max1, max5, max15)
    SELECT node_id, at - at % 3600000 AS h, COUNT(*), SUM(load1), SUM(load5), SUM(load15),
      MIN(load1), MIN(load5), MIN(load15), MAX(load1), MAX(load5), MAX(load15)
    FROM load_samples WHERE node_id IN (SELECT id FROM nodes) AND at < ? GROUP BY node_id, h
    ON CONFLICT (node_id, hour) DO UPDATE SET samples = samples + excluded.samples,
      sum1 = sum1 + excluded.sum1, sum5 = sum5 + excluded.sum5, sum15 = sum15 + excluded.sum15,
      min1 = MIN(min1, excluded.min1), min5 = MIN(min5, excluded.min5), min15 = MIN(min15, excluded.min15),
      max1 = MAX(max1, excluded.max1), max5 = MAX(max5, excluded.max5), max15 = MAX(max15, excluded.max15)`,
  pruneLoadSamples: 'DELETE FROM load_samples WHERE node_id IN (SELECT id FROM nodes) AND at < ?',
  pruneLoadHourly: 'DELETE FROM load_hourly WHERE hour < ?',
  setHighWater: `INSERT INTO epoch_high_water (node_id, epoch, seq, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (node_id, epoch) DO UPDATE SET seq = MAX(seq, excluded.seq), updated_at = excluded.updated_at`,
  resetPeriod:
    'UPDATE traffic_stats SET period_rx = 0, period_tx = 0, period_start = ?, period_end = ? WHERE node_id = ?',
  markSeen: 'UPDATE traffic_stats SET last_seen = MAX(COALESCE(last_seen, 0), ?) WHERE node_id = ?',
  listStats: `SELECT ${STATS_COLS}, ${LAST_RECORD} ORDER BY n.id`,
  statsById: `SELECT ${STATS_COLS}, ${LAST_RECORD} WHERE n.id = ?`,
  trafficSince: 'SELECT node_id, SUM(rx) AS rx, SUM(tx) AS tx FROM traffic_hourly WHERE hour >= ? GROUP BY node_id',
  hourlySeries: 'SELECT hour, rx, tx FROM traffic_hourly WHERE node_id = ? AND hour >= ? AND hour < ? ORDER BY hour',
  hourlySpan: 'SELECT min(hour), max(hour), count(*) FROM traffic_hourly WHERE node_id = ? AND hour >= ? AND hour < ?',
  hourlyTotals: 'SELECT rx + tx FROM traffic_hourly WHERE node_id = ? AND hour >= ? AND hour < ? ORDER BY hour',
  hourlyHours: 'SELECT hour FROM traffic_hourly WHERE node_id = ? AND hour >= ? AND hour < ? ORDER BY hour',
  /** Pruning keeps a raw record's digest (record_digests) until the key retention has passed too. */
  keepDigests: `INSERT INTO record_digests (node_id, epoch, seq, digest, received_at)
    SELECT node_id, epoch, seq, digest, received_at FROM traffic_records WHERE to_ms < ? AND digest IS NOT NULL
    ON CONFLICT DO NOTHING`,
  pruneRecords: 'DELETE FROM traffic_records WHERE to_ms < ?',
  markDigestsUnverifiable: `UPDATE epoch_high_water AS h SET unverifiable_through = MAX(h.unverifiable_through, p.seq)
    FROM (SELECT node_id, epoch, MAX(seq) AS seq FROM record_digests WHERE received_at < ? GROUP BY node_id, epoch) AS p
    WHERE h.node_id = p.node_id AND h.epoch = p.epoch`,
  pruneDigests: 'DELETE FROM record_digests WHERE received_at < ?',
  markKeysUnverifiable: `UPDATE push_high_water AS h SET unverifiable_through = MAX(h.unverifiable_through, p.seq)
    FROM (SELECT node_id, epoch, MAX(seq) AS seq FROM push_keys WHERE applied_at < ? AND epoch IS NOT NULL
      GROUP BY node_id, epoch) AS p
    WHERE h.node_id = p.node_id AND h.epoch = p.epoch`,
  pruneKeys: 'DELETE FROM push_keys WHERE applied_at < ?',

  insertPushKey: `INSERT INTO push_keys (node_id, key, applied_at, digest, epoch, seq) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT DO NOTHING`,
  pushKeyDigest: 'SELECT digest FROM push_keys WHERE node_id = ? AND key = ?',
  pushHighWater: 'SELECT seq, unverifiable_through FROM push_high_water WHERE node_id = ? AND epoch = ?',
  recordHighWater: 'SELECT COALESCE(MAX(seq), 0) AS seq FROM epoch_high_water WHERE node_id = ? AND epoch = ?',
  raisePushHighWater:
    'INSERT INTO push_high_water (node_id, epoch, seq) VALUES (?, ?, ?) ON CONFLICT (node_id, epoch) DO UPDATE SET seq = MAX(seq, excluded.seq)',
  rankUsers: `SELECT user_id, SUM(u) AS u, SUM(d) AS d FROM stat_user WHERE record_at >= ? AND record_at < ?
    GROUP BY user_id ORDER BY SUM(u) + SUM(d) DESC, user_id LIMIT ?`,
  userTraffic: `SELECT server_id, SUM(u) AS u, SUM(d) AS d FROM stat_user WHERE user_id = ? AND record_at >= ? AND record_at < ?
    GROUP BY server_id ORDER BY server_id`,
  nodeUsers: `SELECT user_id, SUM(u) AS u, SUM(d) AS d FROM stat_user WHERE server_id = ? AND record_at >= ? AND record_at < ?
    GROUP BY user_id ORDER BY SUM(u) + SUM(d) DESC, user_id LIMIT ?`,
  /**
   * The same three reads summed exactly past 2^63-1 (SUM raises "integer overflow" there): tc_sum and tc_sum2 are
   * BigInt aggregates (sqlite-store.ts) answering zero-padded decimal text, which orders as the numbers do. Slower
   * than SUM (a JS call per row), so used only when the native query overflows.
   */
  rankUsersExact: `SELECT user_id, tc_sum(u) AS u, tc_sum(d) AS d FROM stat_user WHERE record_at >= ? AND record_at < ?
    GROUP BY user_id ORDER BY tc_sum2(u, d) DESC, user_id LIMIT ?`,
  userTrafficExact: `SELECT server_id, tc_sum(u) AS u, tc_sum(d) AS d FROM stat_user
    WHERE user_id = ? AND record_at >= ? AND record_at < ? GROUP BY server_id ORDER BY server_id`,
  nodeUsersExact: `SELECT user_id, tc_sum(u) AS u, tc_sum(d) AS d FROM stat_user
    WHERE server_id = ? AND record_at >= ? AND record_at < ?
    GROUP BY user_id ORDER BY tc_sum2(u, d) DESC, user_id LIMIT ?`,
  /** Reports (routes/reports.ts): node traffic over whole hours, and per (user, node) sums paged by key. */
  nodeTrafficBetween:
    'SELECT node_id, SUM(rx) AS rx, SUM(tx) AS tx FROM traffic_hourly WHERE hour >= ? AND hour < ? GROUP BY node_id',
  userNodeTotalsPage: `SELECT user_id, server_id, tc_sum(u) AS u, tc_sum(d) AS d FROM stat_user
    WHERE record_at >= @from AND record_at < @to AND user_id BETWEEN @userFrom AND @userTo
      AND user_id >= @afterUser AND (user_id > @afterUser OR COALESCE(server_id, -1) > @afterServer)
    GROUP BY user_id, server_id ORDER BY user_id, server_id LIMIT @limit`,
  userNodeRawTotalsPage: `SELECT user_id, server_id, tc_sum(raw_u) AS u, tc_sum(raw_d) AS d FROM stat_user
    WHERE record_at >= @from AND record_at < @to AND user_id BETWEEN @userFrom AND @userTo
      AND user_id >= @afterUser AND (user_id > @afterUser OR COALESCE(server_id, -1) > @afterServer)
    GROUP BY user_id, server_id ORDER BY user_id, server_id LIMIT @limit`,
  lastDayWithoutRaw:
    'SELECT MAX(record_at) AS day FROM stat_user WHERE record_at >= ? AND record_at < ? AND user_id BETWEEN ? AND ? AND raw_u IS NULL',
  /**
   * Daily per-(user, node) pages for the unusual-traffic rule, one window of users at a time (sqlite-store.ts
   * userNodeDailyPage): the key index holds a rate between node and day, so grouping by day sorts; bounded by the
   * window's last user, a page sorts about @limit rows instead of every row after the key.
   */
  userWindowEnd: `SELECT user_id FROM stat_user INDEXED BY stat_user_key WHERE user_id > ?
    ORDER BY user_id LIMIT 1 OFFSET ?`,
  userNodeDailyPage: `SELECT user_id, server_id, record_at, tc_sum2(u, d) AS bytes FROM stat_user INDEXED BY stat_user_key
    WHERE user_id BETWEEN @afterUser AND @upToUser AND record_at >= @from AND record_at < @to AND server_id IS NOT NULL
      AND (user_id, server_id, record_at) > (@afterUser, @afterServer, @afterDay)
    GROUP BY user_id, server_id, record_at ORDER BY user_id, server_id, record_at LIMIT @limit`,
} as const;

/**
 * One statement upserting `n` per-user rows of one push: 5 parameters a row (user id, u, d, raw u, raw d) plus the
 * push's named ones (@node, @rate, @recordAt, @now). Each row is inserted, or added to the row of the same key (user,
 * node, rate, day, 'd'); an unknown raw (NULL, a row from before v7) stays unknown. `WHERE true` keeps SQLite from
 * reading ON CONFLICT as a join constraint of the SELECT.
 */
export function upsertUserStatsSql(n: number): string {
  return `INSERT INTO stat_user (user_id, server_id, server_rate, u, d, raw_u, raw_d, record_type, record_at, created_at, updated_at)
    SELECT v.column1, @node, @rate, v.column2, v.column3, v.column4, v.column5, 'd', @recordAt, @now, @now
    FROM (VALUES ${Array(n).fill('(?, ?, ?, ?, ?)').join(', ')}) AS v WHERE true
    ON CONFLICT (user_id, server_id, server_rate, record_at, record_type)
    DO UPDATE SET u = u + excluded.u, d = d + excluded.d, raw_u = raw_u + excluded.raw_u, raw_d = raw_d + excluded.raw_d,
      updated_at = excluded.updated_at
    WHERE ${USER_ROW_FITS}`;
}

/**
 * The upsert's guard: a row that would pass 2^63-1 is left as it is (and not counted in `changes`, which the store
 * checks), instead of SQLite turning the sum into a float. Both sides of each comparison fit in 64 bits.
 */
const USER_ROW_FITS = `u <= 9223372036854775807 - excluded.u AND d <= 9223372036854775807 - excluded.d
      AND COALESCE(raw_u, 0) <= 9223372036854775807 - COALESCE(excluded.raw_u, 0)
      AND COALESCE(raw_d, 0) <= 9223372036854775807 - COALESCE(excluded.raw_d, 0)`;
