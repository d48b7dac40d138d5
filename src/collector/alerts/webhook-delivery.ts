/**
 * One webhook delivery attempt over undici: POST the channel's body with its signature and idempotency key; 2xx is
 * success, anything else (refused, reset, timeout, non-2xx) a failure to retry. The whole attempt is bounded by the
 * request timeout and at most maxResponseBytes of the answer are read. The URL is never put in an error message
 * (it may hold a bot token).
 */
import { Agent, request } from 'undici';
import type { AlertChannel } from './alert-config.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, channelBody, deliveryKey, signBody } from './alert-document.js';

export interface AttemptResult {
  ok: boolean;
  status?: number;
  error?: string;
}

export function webhookAgent(timeoutMs: number, keepAlive: boolean): Agent {
  return new Agent({
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    ...(keepAlive ? {} : { pipelining: 0 }),
  });
}

export async function sendWebhook(
  agent: Agent,
  channel: AlertChannel,
  alertKey: string,
  payload: string,
  opts: { timeoutMs: number; maxResponseBytes: number },
): Promise<AttemptResult> {
  const body = channelBody(payload, channel.format, channel.telegramChatId);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'traffic-collector',
    [IDEMPOTENCY_HEADER]: deliveryKey(alertKey, channel.name),
  };
  if (channel.secret) headers[SIGNATURE_HEADER] = signBody(channel.secret, body);
  try {
    const res = await request(channel.url, {
      method: 'POST',
      headers,
      body,
      dispatcher: agent,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    let read = 0;
    try {
      for await (const chunk of res.body) {
        read += (chunk as Buffer).length;
        if (read > opts.maxResponseBytes) break;
      }
    } finally {
      if (read > opts.maxResponseBytes) res.body.destroy();
    }
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    return ok ? { ok, status: res.statusCode } : { ok, status: res.statusCode, error: `HTTP ${res.statusCode}` };
  } catch (err) {
    // undici's errors carry a string code (ECONNREFUSED, UND_ERR_SOCKET); an abort by the timeout is a DOMException
    // whose numeric code says nothing: its name (TimeoutError) does.
    const e = err as { code?: unknown; name?: unknown };
    const error = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'request failed';
    return { ok: false, error };
  }
}
