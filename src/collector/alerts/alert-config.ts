/** The alerting part of the collector config: webhook channels and how alerts are evaluated and delivered. */
import { Type, type Static } from '@sinclair/typebox';

export const AlertChannelSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'what quotas and node alerts refer to' }),
    url: Type.String({ pattern: '^https?://', maxLength: 2048, description: 'the webhook URL (never logged)' }),
    secret: Type.Optional(
      Type.String({ minLength: 16, maxLength: 1024, description: 'HMAC-SHA256 key of the X-Traffic-Signature header' }),
    ),
    format: Type.Union([Type.Literal('json'), Type.Literal('telegram'), Type.Literal('slack')], {
      default: 'json',
      description: 'json: the alert document; telegram: sendMessage body; slack: incoming-webhook body',
    }),
    telegramChatId: Type.Optional(Type.String({ maxLength: 64, description: 'chat_id of a telegram-format body' })),
  },
  { additionalProperties: false },
);
export type AlertChannel = Static<typeof AlertChannelSchema>;

const ScopeSchema = Type.Union([Type.Literal('node-hourly'), Type.Literal('node-silent'), Type.Literal('user-daily')]);

/** The unusual-traffic rule kind: which findings of the anomaly detector (anomalies/detect.ts) become alerts. */
export const AnomalyAlertSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false, description: 'alert on unusual traffic (docs/reports-anomalies.md)' }),
    scopes: Type.Array(ScopeSchema, {
      default: ['node-hourly', 'node-silent', 'user-daily'],
      maxItems: 3,
      uniqueItems: true,
      description:
        'node-hourly: a node hour against the same hour on earlier days; node-silent: no traffic while online; user-daily: a user day on one node',
    }),
    kinds: Type.Array(Type.Union([Type.Literal('spike'), Type.Literal('drop'), Type.Literal('silent')]), {
      default: ['spike', 'drop', 'silent'],
      maxItems: 3,
      uniqueItems: true,
      description: 'which findings alert',
    }),
    everySec: Type.Number({
      default: 300,
      minimum: 0.05,
      maximum: 86_400,
      description: 'how often the detector runs for alerts (it reads four weeks of every node)',
    }),
    lookbackHours: Type.Number({
      default: 6,
      minimum: 1,
      maximum: 72,
      description: 'findings that start this recently alert (after a collector restart, older ones are not sent)',
    }),
    channels: Type.Array(Type.String({ maxLength: 64 }), {
      default: [],
      maxItems: 64,
      description: 'channels of the anomaly alerts; empty: every channel',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type AnomalyAlertSettings = Static<typeof AnomalyAlertSchema>;

export const AlertSettingsSchema = Type.Object(
  {
    evalIntervalSec: Type.Number({
      default: 15,
      minimum: 0.05,
      maximum: 3600,
      description: 'how often rules are evaluated',
    }),
    nodeOffline: Type.Boolean({ default: true, description: 'alert when a node goes offline and when it is back' }),
    nodeEvents: Type.Boolean({
      default: true,
      description: 'alert on reboot, counter reset and broken counter events',
    }),
    nodeChannels: Type.Array(Type.String({ maxLength: 64 }), {
      default: [],
      maxItems: 64,
      description: 'channels of the node alerts; empty: every channel',
    }),
    requestTimeoutMs: Type.Integer({ default: 5000, minimum: 50, maximum: 60_000 }),
    maxResponseBytes: Type.Integer({ default: 65_536, minimum: 0, maximum: 16_777_216 }),
    retryBaseMs: Type.Integer({ default: 1000, minimum: 10, maximum: 3_600_000 }),
    retryMaxMs: Type.Integer({ default: 600_000, minimum: 10, maximum: 86_400_000 }),
    giveUpAfterHours: Type.Number({ default: 72, minimum: 0.001, maximum: 87_600 }),
    keepAlive: Type.Boolean({ default: true, description: 'reuse connections to webhook hosts' }),
    retentionDays: Type.Integer({
      default: 90,
      minimum: 7,
      maximum: 36_500,
      description:
        'settled alerts (no delivery pending) older than this are deleted; kept whatever their age: the newest offline/online alert of each node and quota alerts of a period not over',
    }),
    anomalies: AnomalyAlertSchema,
  },
  { additionalProperties: false, default: {} },
);
export type AlertSettings = Static<typeof AlertSettingsSchema>;
