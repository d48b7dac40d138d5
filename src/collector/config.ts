/**
 * The collector's configuration: one TypeBox schema that both validates and supplies defaults.
 * Sources, later ones winning: defaults < config file < environment < command-line flags.
 * The result is validated once, frozen, and every problem is reported with its key path.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { isValidTimeZone } from '../common/calendar.js';
import { schemaProblems } from '../common/schema-hints.js';
import { AlertChannelSchema, AlertSettingsSchema } from './alerts/alert-config.js';
import { DEFAULT_MAX_USERS_PER_PUSH } from '../protocol/uniproxy.js';

export const CollectorConfigSchema = Type.Object(
  {
    listen: Type.String({ default: '0.0.0.0:8080', description: 'HOST:PORT to listen on' }),
    db: Type.String({
      default: './data/collector.db',
      minLength: 1,
      description: 'SQLite file path or postgres:// URL',
    }),
    adminToken: Type.Optional(Type.String({ minLength: 16, description: 'bearer token of the read API' })),
    serverToken: Type.Optional(
      Type.String({ minLength: 8, description: 'global Xboard-style server token, accepted for every node' }),
    ),
    heartbeatIntervalSec: Type.Integer({ default: 60, minimum: 1, maximum: 86_400 }),
    offlineAfterIntervals: Type.Integer({ default: 3, minimum: 1, maximum: 1000 }),
    rawRetentionHours: Type.Integer({ default: 48, minimum: 1, maximum: 87_600 }),
    idempotencyRetentionHours: Type.Integer({ default: 720, minimum: 1, maximum: 87_600 }),
    pruneIntervalSec: Type.Integer({ default: 600, minimum: 1, maximum: 86_400 }),
    loadRawRetentionHours: Type.Integer({
      default: 48,
      minimum: 1,
      maximum: 8760,
      description: 'hours of raw load samples kept per node (docs/load-history.md); longer windows use hourly averages',
    }),
    loadHourlyRetentionDays: Type.Integer({
      default: 90,
      minimum: 1,
      maximum: 3650,
      description: 'days of hourly load min/avg/max kept per node',
    }),
    loadSampleMinGapSec: Type.Integer({
      default: 50,
      minimum: 0,
      maximum: 3600,
      description: "least time between two kept load samples of a node (0: every heartbeat's)",
    }),
    timezone: Type.String({ default: 'UTC', description: 'IANA zone of the per-user day and of day buckets' }),
    bodyLimitBytes: Type.Integer({ default: 1_048_576, minimum: 1024, maximum: 1_073_741_824 }),
    pushBodyLimitBytes: Type.Integer({ default: 33_554_432, minimum: 1024, maximum: 1_073_741_824 }),
    authFailuresPerMinute: Type.Integer({
      default: 30,
      minimum: 1,
      maximum: 1_000_000,
      description: 'failed authentications per client address and minute before failures are answered 429',
    }),
    maxUsersPerPush: Type.Integer({
      default: DEFAULT_MAX_USERS_PER_PUSH,
      minimum: 1,
      maximum: 10_000_000,
      description: 'users in one UniProxy push (or v2 report); a bigger push is refused with 413',
    }),
    requestTimeoutMs: Type.Integer({
      default: 30_000,
      minimum: 1000,
      maximum: 3_600_000,
      description: 'a request (headers and body) not received in full within this time is cut with 408',
    }),
    shutdownGraceMs: Type.Integer({
      default: 10_000,
      minimum: 0,
      maximum: 600_000,
      description:
        "on SIGTERM, requests in flight get this long to be answered before every connection left is cut; idle ones close at once (keep it under the unit's TimeoutStopSec=30s)",
    }),
    maxEventLoopDelayMs: Type.Integer({
      default: 1000,
      minimum: 0,
      maximum: 600_000,
      description: 'past this event-loop delay every request is answered 503 with Retry-After (0: off)',
    }),
    maxHeapUsedBytes: Type.Integer({
      default: 1_610_612_736,
      minimum: 0,
      description: 'past this V8 heap use every request is answered 503 with Retry-After (0: off)',
    }),
    pgPoolSize: Type.Integer({ default: 10, minimum: 1, maximum: 1000 }),
    liveMaxStreams: Type.Integer({
      default: 32,
      minimum: 0,
      maximum: 10_000,
      description: 'live-update streams (GET /api/v1/live) open at once; more are refused 503 (0: no live streams)',
    }),
    liveKeepAliveSec: Type.Integer({
      default: 15,
      minimum: 1,
      maximum: 300,
      description: 'a comment line on every live stream this often; a stream not drained for two of these is cut',
    }),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    trustProxy: Type.Boolean({
      default: false,
      description:
        'take the client address from X-Forwarded-For (only behind a reverse proxy that sets it; see docs/security.md)',
    }),
    alertChannels: Type.Array(AlertChannelSchema, { default: [], maxItems: 64, description: 'webhook channels' }),
    alerts: AlertSettingsSchema,
  },
  { additionalProperties: false },
);
export type CollectorConfig = Readonly<Static<typeof CollectorConfigSchema>>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid collector config:\n  ${problems.join('\n  ')}`);
  }
}

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false, verbose: true });
const validate = ajv.compile(CollectorConfigSchema);

/** Validates raw config (with defaults applied) and returns it frozen, or throws ConfigError listing every problem. */
export function validateConfig(raw: unknown): CollectorConfig {
  const value = structuredClone(raw ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(['(top level): must be a JSON object']);
  if (!validate(value)) problems.push(...schemaProblems(validate.errors ?? []));
  if (typeof value.listen === 'string' && !parseListen(value.listen)) problems.push('listen: must be HOST:PORT');
  if (typeof value.timezone === 'string' && !isValidTimeZone(value.timezone))
    problems.push(`timezone: unknown IANA time zone "${value.timezone}"`);
  problems.push(...alertProblems(value));
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze(value) as unknown as CollectorConfig;
}

function alertProblems(value: Record<string, unknown>): string[] {
  const out: string[] = [];
  const channels = Array.isArray(value.alertChannels) ? (value.alertChannels as Array<{ name?: unknown }>) : [];
  const names = channels.map((c) => c?.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) out.push(`alertChannels.${i}.name: "${String(n)}" is used twice`);
  });
  channels.forEach((c, i) => {
    const ch = c as { format?: unknown; telegramChatId?: unknown };
    if (ch?.format === 'telegram' && ch.telegramChatId === undefined)
      out.push(`alertChannels.${i}.telegramChatId: required by format telegram`);
  });
  const alerts = value.alerts as { nodeChannels?: unknown[]; anomalies?: { channels?: unknown[] } } | undefined;
  for (const [field, list] of [
    ['nodeChannels', alerts?.nodeChannels],
    ['anomalies.channels', alerts?.anomalies?.channels],
  ] as const)
    for (const n of list ?? []) if (!names.includes(n)) out.push(`alerts.${field}: no channel named "${String(n)}"`);
  return out;
}

export function parseListen(listen: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(listen);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Record<string, unknown>;
}

/**
 * systemd's LoadCredential=secrets.json: a JSON object merged over the config file (the PostgreSQL URL with its
 * password, the admin token, the server token), so secrets need not sit in the world-readable config.
 */
function secretsCredential(env: NodeJS.ProcessEnv): Record<string, unknown> {
  if (!env.CREDENTIALS_DIRECTORY) return {};
  const file = join(env.CREDENTIALS_DIRECTORY, 'secrets.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // The unit loads secrets.json only when the operator made one (LoadCredential= is optional): none is no secrets.
    return {};
  }
  if (text.trim() === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  throw new ConfigError([`(credential): ${file} must hold a JSON object`]);
}

export function loadConfig({ file, env = process.env, overrides = {} }: ConfigSources = {}): CollectorConfig {
  let fromFile: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError([`(file): cannot read ${file}: ${(err as Error).message}`]);
    }
    try {
      fromFile = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError([`(file): ${file} is not valid JSON: ${(err as Error).message}`]);
    }
    if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
      throw new ConfigError([`(root): ${file} must hold a JSON object`]);
    }
  }
  const fromEnv: Record<string, unknown> = { ...secretsCredential(env) };
  if (env.TRAFFIC_COLLECTOR_ADMIN_TOKEN) fromEnv.adminToken = env.TRAFFIC_COLLECTOR_ADMIN_TOKEN;
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return validateConfig({ ...fromFile, ...fromEnv, ...defined });
}

/** Every default, as written to collector.example.json. */
export function defaultConfig(): CollectorConfig {
  return validateConfig({});
}
