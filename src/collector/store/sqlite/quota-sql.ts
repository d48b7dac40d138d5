/** SQLite statements of quotas, pools and the alert ledger (tables of migration v5 in sql.ts). */
export const QQ = {
  insertPool: 'INSERT INTO pools (name, reset_day, timezone, created_at) VALUES (?, ?, ?, ?)',
  poolById: 'SELECT id, name, reset_day, timezone, created_at FROM pools WHERE id = ?',
  poolByName: 'SELECT id FROM pools WHERE name = ?',
  listPools: `SELECT p.id, p.name, p.reset_day, p.timezone, p.created_at, pn.node_id FROM pools p
    LEFT JOIN pool_nodes pn ON pn.pool_id = p.id ORDER BY p.id, pn.node_id`,
  removePool: 'DELETE FROM pools WHERE id = ?',
  nodeExists: 'SELECT id FROM nodes WHERE id = ?',
  addPoolNode: 'INSERT INTO pool_nodes (pool_id, node_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
  removePoolNode: 'DELETE FROM pool_nodes WHERE pool_id = ? AND node_id = ?',

  insertQuota: `INSERT INTO quotas (node_id, pool_id, limit_bytes, measure, thresholds, cycle_days, cycle_start, channels, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  quotaById: 'SELECT * FROM quotas WHERE id = ?',
  listQuotas: 'SELECT * FROM quotas ORDER BY id',
  removeQuota: 'DELETE FROM quotas WHERE id = ?',

  insertAlert: `INSERT INTO alerts (alert_key, kind, node_id, pool_id, quota_id, payload, fired_at)
    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alert_key) DO NOTHING`,
  insertDelivery: `INSERT INTO alert_deliveries (alert_id, channel, state, attempts, next_attempt_at)
    VALUES (?, ?, 'pending', 0, ?)`,
  alertExists: 'SELECT 1 AS x FROM alerts WHERE alert_key = ?',
  latestAlertKeys: `SELECT a.node_id, a.alert_key FROM alerts a
    JOIN (SELECT node_id, MAX(id) AS id FROM alerts WHERE kind = ? AND node_id IS NOT NULL GROUP BY node_id) m ON m.id = a.id`,
  claimDeliveries: `UPDATE alert_deliveries SET next_attempt_at = @lease, attempts = attempts + 1
    WHERE (alert_id, channel) IN (SELECT alert_id, channel FROM alert_deliveries
      WHERE state = 'pending' AND next_attempt_at <= @now ORDER BY next_attempt_at, alert_id LIMIT @limit)
    RETURNING alert_id, channel, attempts`,
  alertById: 'SELECT alert_key, payload, fired_at FROM alerts WHERE id = ?',
  delivered: `UPDATE alert_deliveries SET state = 'delivered', delivered_at = ?, last_error = NULL, next_attempt_at = NULL
    WHERE alert_id = ? AND channel = ? AND state = 'pending'`,
  retry: `UPDATE alert_deliveries SET last_error = ?, next_attempt_at = ?
    WHERE alert_id = ? AND channel = ? AND state = 'pending'`,
  giveUp: `UPDATE alert_deliveries SET state = 'failed', last_error = ?, next_attempt_at = NULL
    WHERE alert_id = ? AND channel = ? AND state = 'pending'`,
  listAlerts: `SELECT a.id, a.alert_key, a.kind, a.node_id, a.pool_id, a.quota_id, a.payload, a.fired_at,
    d.channel, d.state, d.attempts, d.next_attempt_at, d.last_error, d.delivered_at
    FROM (SELECT * FROM alerts ORDER BY id DESC LIMIT ?) a LEFT JOIN alert_deliveries d ON d.alert_id = a.id
    ORDER BY a.id DESC, d.channel`,
  /** Which alerts may go: QuotaStore.pruneAlerts says why each condition is there. */
  pruneAlerts: `DELETE FROM alerts WHERE id IN (SELECT a.id FROM alerts a
    WHERE a.fired_at < @before
      AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = a.id AND d.state = 'pending')
      AND (a.kind NOT IN ('offline', 'online')
        OR a.id < (SELECT MAX(b.id) FROM alerts b WHERE b.kind = a.kind AND b.node_id = a.node_id))
      AND (a.kind <> 'quota' OR json_extract(a.payload, '$.period.end') <= @now)
    LIMIT @limit)`,
  eventRecords: `SELECT node_id, epoch, seq, to_ms, events FROM traffic_records
    WHERE received_at >= ? AND events IS NOT NULL ORDER BY received_at, node_id, seq`,
} as const;
