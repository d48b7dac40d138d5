/**
 * gRPC plumbing for the core's StatsService: one grpc-js client per address (shared by both API packages),
 * unary calls with a deadline, and the mapping of gRPC statuses onto ProxyStatsError codes.
 */
import * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { ProxyStatsError } from './errors.js';
import { STATS_PACKAGES, type ProxyStatsApi } from './stats-proto.js';

const CHANNEL_OPTIONS: grpc.ChannelOptions = Object.freeze({
  // Thousands of users give a QueryStats answer of a few MB; the default limit is 4 MB.
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  // After the core restarts, reconnect within seconds rather than after grpc-js's default backoff of up to 120 s.
  'grpc.initial_reconnect_backoff_ms': 500,
  'grpc.max_reconnect_backoff_ms': 5_000,
});

const clients = new Map<string, grpc.Client>();

export function clientFor(address: string): grpc.Client {
  let client = clients.get(address);
  if (!client) {
    client = new grpc.Client(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    clients.set(address, client);
  }
  return client;
}

/** Closes the cached client for one address, or all of them. Later reads open a new one. */
export function closeProxyStats(address?: string): void {
  for (const [key, client] of clients) {
    if (address === undefined || key === address) {
      client.close();
      clients.delete(key);
    }
  }
}

export function unaryCall<Req, Res>(
  client: grpc.Client,
  method: MethodDefinition<Req, Res>,
  request: Req,
  deadline: Date,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      { deadline },
      (error, response) => {
        if (error) reject(error);
        else if (response === undefined) reject(new Error(`${method.path}: empty response`));
        else resolve(response);
      },
    );
  });
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number';
}

/** Turns a failed call into a ProxyStatsError; an unreachable address also drops its cached client. */
export function toProxyStatsError(error: unknown, address: string, api: ProxyStatsApi): ProxyStatsError {
  if (error instanceof ProxyStatsError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  if (!isServiceError(error)) {
    return new ProxyStatsError('PROXY_STATS_FAILED', `proxy stats at ${address}: ${detail}`, address, { cause: error });
  }
  switch (error.code) {
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
      closeProxyStats(address);
      return new ProxyStatsError(
        'PROXY_STATS_UNREACHABLE',
        `proxy stats: cannot reach the core's API at ${address} (${detail}); ` +
          'check that the core runs and that this is its api inbound (dokodemo-door routed to the "api" tag)',
        address,
        { cause: error },
      );
    case grpc.status.UNIMPLEMENTED: {
      const other: ProxyStatsApi = api === 'v2ray' ? 'xray' : 'v2ray';
      return new ProxyStatsError(
        'PROXY_STATS_WRONG_API',
        `proxy stats: the core at ${address} does not serve ${STATS_PACKAGES[api]}.StatsService (${detail}); ` +
          `if the core is ${other === 'xray' ? 'Xray' : 'V2Ray/v2fly'}, set userTraffic.api to "${other}", ` +
          'otherwise check that the core\'s api.services lists "StatsService"',
        address,
        { cause: error },
      );
    }
    default:
      return new ProxyStatsError('PROXY_STATS_FAILED', `proxy stats at ${address}: ${detail}`, address, {
        cause: error,
      });
  }
}
