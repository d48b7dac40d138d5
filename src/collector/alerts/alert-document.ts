/**
 * What an alert says, pure: the JSON document stored in the ledger (and sent as the generic webhook body), the
 * Telegram- and Slack-compatible bodies made from it, and the HMAC-SHA256 signature of a body.
 */
import { createHmac } from 'node:crypto';
import type { AlertKind } from '../store/quota-store.js';

export const ALERT_DOCUMENT_VERSION = 1;
export const SIGNATURE_HEADER = 'x-traffic-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export type NodeEventType = 'reboot' | 'counter-reset' | 'broken-counter';

export interface AlertDocument {
  version: number;
  /** The alert's key: the same for every attempt of every delivery of this alert. */
  id: string;
  kind: AlertKind;
  firedAt: number;
  title: string;
  node: { id: number; name: string } | null;
  pool: { id: number; name: string; nodeIds: number[] } | null;
  quota: { id: number; measure: string; limit: string; threshold: number } | null;
  usage: { used: string; percent: string } | null;
  projection: { reachAt: number | null; bytesPerSec: string } | null;
  period: { start: number; end: number } | null;
  event: { type: NodeEventType | 'offline' | 'online'; detail: string; at: number } | null;
  /** Unusual traffic (kind 'anomaly'): what was seen against the range it would have had to fall in (bytes). */
  anomaly?: {
    scope: 'node-hourly' | 'node-silent' | 'user-daily';
    kind: 'spike' | 'drop' | 'silent';
    userId: number | null;
    at: number;
    until: number;
    observed: string;
    expected: string;
    low: string;
    high: string;
    history: number;
  } | null;
}

/** Byte count for people: 1.23 TB (decimal units). Used in titles only; the document carries exact strings. */
export function humanBytes(bytes: bigint): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let i = 0;
  let scaled = bytes * 100n;
  while (scaled >= 100_000n && i < units.length - 1) {
    scaled /= 1000n;
    i++;
  }
  const whole = scaled / 100n;
  const frac = (scaled % 100n).toString().padStart(2, '0');
  return i === 0 ? `${bytes} B` : `${whole}.${frac} ${units[i]}`;
}

export function quotaAlertKey(quotaId: number, periodStart: number, threshold: number): string {
  return `quota:${quotaId}:p${periodStart}:t${threshold}`;
}

/** One line of text saying what happened (the Telegram/Slack message). */
export function alertText(d: AlertDocument): string {
  const lines = [d.title];
  if (d.usage && d.quota)
    lines.push(
      `used ${humanBytes(BigInt(d.usage.used))} of ${humanBytes(BigInt(d.quota.limit))} (${d.usage.percent} %, ${d.quota.measure})`,
    );
  if (d.projection)
    lines.push(
      d.projection.reachAt === null
        ? 'at the last 24 h rate the limit is not reached in this period'
        : `at the last 24 h rate the limit is reached at ${new Date(d.projection.reachAt).toISOString()}`,
    );
  if (d.anomaly)
    lines.push(
      `observed ${humanBytes(BigInt(d.anomaly.observed))}, expected ${humanBytes(BigInt(d.anomaly.expected))} (usual range ${humanBytes(BigInt(d.anomaly.low))} .. ${humanBytes(BigInt(d.anomaly.high))})`,
    );
  if (d.period)
    lines.push(`period ${new Date(d.period.start).toISOString()} .. ${new Date(d.period.end).toISOString()}`);
  return lines.join('\n');
}

export type BodyFormat = 'json' | 'telegram' | 'slack';

/** The body bytes a channel sends for an alert document (as stored: `payload` is the document's JSON). */
export function channelBody(payload: string, format: BodyFormat, telegramChatId?: string): string {
  if (format === 'json') return payload;
  const d = JSON.parse(payload) as AlertDocument;
  const text = alertText(d);
  if (format === 'telegram') return JSON.stringify({ chat_id: telegramChatId, text, disable_web_page_preview: true });
  return JSON.stringify({ text });
}

/** "sha256=<hex>" of HMAC-SHA256(secret, body bytes). */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The idempotency key of one channel's delivery of an alert. */
export function deliveryKey(alertKey: string, channel: string): string {
  return `${alertKey}@${channel}`;
}
