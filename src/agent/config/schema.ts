/**
 * The agent's configuration: one JSON Schema that validates the file, fills in every default, and gives the
 * TypeScript type. check-config, `run`, `once` and SIGHUP reload all go through loadConfig() and this schema.
 */
import { Type, type Static } from '@sinclair/typebox';
import { MAX_RECORDS_PER_HEARTBEAT } from '../../protocol/heartbeat.js';
import { DEFAULT_MAX_USERS_PER_PUSH } from '../../protocol/uniproxy.js';

const HttpUrl = Type.String({ pattern: '^https?://[^\\s/]+', errorMessage: 'must be an http(s) URL' });
const AbsolutePath = Type.String({ pattern: '^/', errorMessage: 'must be an absolute path' });
const Globs = Type.Array(Type.String({ minLength: 1 }), { errorMessage: 'must be a list of glob strings' });
const HostPort = Type.String({
  pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\s]+):[0-9]{1,5}$',
  errorMessage: 'must be HOST:PORT',
});

export const AgentConfigSchema = Type.Object(
  {
    node: Type.Object(
      {
        id: Type.Integer({
          minimum: 1,
          errorMessage: 'must be a positive integer (the id `traffic-collector node add` printed)',
        }),
        /** May be left empty here and given by TRAFFIC_AGENT_TOKEN or a systemd credential instead. */
        token: Type.String({ default: '' }),
      },
      { additionalProperties: false },
    ),
    collector: Type.Object(
      {
        url: HttpUrl,
        /** One heartbeat or user push, connect to last byte of the answer. */
        timeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
        batchSize: Type.Integer({ minimum: 1, maximum: MAX_RECORDS_PER_HEARTBEAT, default: MAX_RECORDS_PER_HEARTBEAT }),
      },
      { additionalProperties: false },
    ),
    stateDir: Type.Optional(AbsolutePath),
    /** Accept a state directory that group or other users may write (refused by default: STATE_DIR_INSECURE). */
    allowInsecureStateDir: Type.Boolean({ default: false }),
    procRoot: Type.Optional(AbsolutePath),
    interfaces: Type.Object(
      {
        include: Type.Optional(Globs),
        exclude: Type.Optional(Globs),
      },
      { additionalProperties: false, default: {} },
    ),
    heartbeatIntervalSec: Type.Number({ minimum: 0.05, maximum: 3600, default: 60 }),
    period: Type.Object(
      {
        resetDay: Type.Integer({
          minimum: 1,
          maximum: 31,
          default: 1,
          errorMessage: 'must be an integer from 1 to 31',
        }),
        timezone: Type.String({ minLength: 1, default: 'UTC' }),
      },
      { additionalProperties: false, default: {} },
    ),
    counterBits: Type.Union([Type.Literal('auto'), Type.Literal(32), Type.Literal(64)], {
      default: 'auto',
      errorMessage: 'must be "auto", 32 or 64',
    }),
    maxRateBitsPerSec: Type.Number({ exclusiveMinimum: 0, default: 10_000_000_000 }),
    outbox: Type.Object(
      { maxRecords: Type.Integer({ minimum: 10, maximum: 1_000_000, default: 10_000 }) },
      { additionalProperties: false, default: {} },
    ),
    hostFactsRefreshSec: Type.Number({ minimum: 60, default: 21_600 }),
    shutdownDeadlineMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 3_000 }),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    metrics: Type.Object(
      { listen: Type.Union([Type.Null(), HostPort], { default: null }) },
      { additionalProperties: false, default: {} },
    ),
    userTraffic: Type.Object(
      {
        enabled: Type.Boolean({ default: false }),
        source: Type.Literal('v2ray-stats', { default: 'v2ray-stats' }),
        address: Type.String({ default: '127.0.0.1:10085' }),
        api: Type.Union([Type.Literal('v2ray'), Type.Literal('xray')], { default: 'v2ray' }),
        emailPattern: Type.String({ default: '^(\\d+)$' }),
        timeoutMs: Type.Integer({ minimum: 100, default: 5_000 }),
        /** Users in one push at most (the collector's maxUsersPerPush): a tick with more makes several records. */
        maxUsersPerPush: Type.Integer({
          minimum: 1,
          maximum: 10_000_000,
          default: DEFAULT_MAX_USERS_PER_PUSH,
          errorMessage: 'must be an integer from 1 to 10000000 (the collector refuses bigger pushes; default 100000)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    panel: Type.Object(
      {
        url: Type.Union([Type.Null(), HttpUrl], { default: null }),
        nodeId: Type.Union([Type.Null(), Type.Integer({ minimum: 1 })], { default: null }),
        nodeType: Type.String({ default: 'vmess' }),
        token: Type.String({ default: '' }),
        retryLostResponse: Type.Boolean({ default: false }),
        userPollSec: Type.Number({ minimum: 1, default: 60 }),
        /** One push or user poll, connect to last byte of the answer. */
        timeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type AgentConfigInput = Static<typeof AgentConfigSchema>;

/** The config after defaults, with every optional part resolved. */
export interface AgentConfig extends Omit<AgentConfigInput, 'stateDir' | 'procRoot' | 'interfaces'> {
  stateDir: string;
  procRoot: string;
  interfaces: { include: string[]; exclude: string[] };
}

export const DEFAULT_STATE_DIR = '/var/lib/traffic-agent';
export const DEFAULT_PROC_ROOT = '/proc';
export const DEFAULT_EXCLUDE = Object.freeze(['lo*']);
