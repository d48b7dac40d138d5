/** PostgreSQL statements of quotas, pools and the alert ledger (tables of migration v5 in sql.ts). */
export const QQ = {
  insertPool: `INSERT INTO pools (name, reset_day, timezone, created_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (name) DO NOTHING RETURNING id, name, reset_day, timezone, created_at`,
  poolExists: 'SELECT id FROM pools WHERE id = $1 FOR SHARE',
  listPools: `SELECT p.id, p.name, p.reset_day, p.timezone, p.created_at, pn.node_id FROM pools p
    LEFT JOIN pool_nodes pn ON pn.pool_id = p.id ORDER BY p.id, pn.node_id`,
  removePool: 'DELETE FROM pools WHERE id = $1',
  nodeExists: 'SELECT id FROM nodes WHERE id = $1 FOR SHARE',
  addPoolNode: 'INSERT INTO pool_nodes (pool_id, node_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
  removePoolNode: 'DELETE FROM pool_nodes WHERE pool_id = $1 AND node_id = $2',

  insertQuota: `INSERT INTO quotas (node_id, pool_id, limit_bytes, measure, thresholds, cycle_days, cycle_start, channels, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
  listQuotas: 'SELECT * FROM quotas ORDER BY id',
  removeQuota: 'DELETE FROM quotas WHERE id = $1',

  insertAlert: `INSERT INTO alerts (alert_key, kind, node_id, pool_id, quota_id, payload, fired_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (alert_key) DO NOTHING RETURNING id`,
  insertDeliveries: `INSERT INTO alert_deliveries (alert_id, channel, state, attempts, next_attempt_at)
    SELECT $1, c, 'pending', 0, $3 FROM unnest($2::text[]) AS c`,
  alertExists: 'SELECT 1 AS x FROM alerts WHERE alert_key = $1',
  latestAlertKeys: `SELECT DISTINCT ON (node_id) node_id, alert_key FROM alerts
    WHERE kind = $1 AND node_id IS NOT NULL ORDER BY node_id, id DESC`,
  /** SKIP LOCKED: two collectors claiming at once take different deliveries. */
  claimDeliveries: `UPDATE alert_deliveries d SET next_attempt_at = $2, attempts = d.attempts + 1
    FROM (SELECT alert_id, channel FROM alert_deliveries WHERE state = 'pending' AND next_attempt_at <= $1
      ORDER BY next_attempt_at, alert_id LIMIT $3 FOR UPDATE SKIP LOCKED) c, alerts a
    WHERE d.alert_id = c.alert_id AND d.channel = c.channel AND a.id = d.alert_id
    RETURNING d.alert_id, d.channel, d.attempts, a.alert_key, a.payload, a.fired_at`,
  delivered: `UPDATE alert_deliveries SET state = 'delivered', delivered_at = $1, last_error = NULL, next_attempt_at = NULL
    WHERE alert_id = $2 AND channel = $3 AND state = 'pending'`,
  retry: `UPDATE alert_deliveries SET last_error = $1, next_attempt_at = $2
    WHERE alert_id = $3 AND channel = $4 AND state = 'pending'`,
  giveUp: `UPDATE alert_deliveries SET state = 'failed', last_error = $1, next_attempt_at = NULL
    WHERE alert_id = $2 AND channel = $3 AND state = 'pending'`,
  listAlerts: `SELECT a.id, a.alert_key, a.kind, a.node_id, a.pool_id, a.quota_id, a.payload, a.fired_at,
    d.channel, d.state, d.attempts, d.next_attempt_at, d.last_error, d.delivered_at
    FROM (SELECT * FROM alerts ORDER BY id DESC LIMIT $1) a LEFT JOIN alert_deliveries d ON d.alert_id = a.id
    ORDER BY a.id DESC, d.channel`,
  /** As in the SQLite store; the CASE keeps the payload cast to quota alerts. */
  pruneAlerts: `DELETE FROM alerts WHERE id IN (SELECT a.id FROM alerts a
    WHERE a.fired_at < $1
      AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = a.id AND d.state = 'pending')
      AND (a.kind NOT IN ('offline', 'online')
        OR a.id < (SELECT MAX(b.id) FROM alerts b WHERE b.kind = a.kind AND b.node_id = a.node_id))
      AND (a.kind <> 'quota'
        OR CASE WHEN a.kind = 'quota' THEN (a.payload::jsonb #>> '{period,end}')::bigint <= $2 END)
    LIMIT $3)`,
  eventRecords: `SELECT node_id, epoch, seq, to_ms, events FROM traffic_records
    WHERE received_at >= $1 AND events IS NOT NULL ORDER BY received_at, node_id, seq`,
} as const;
