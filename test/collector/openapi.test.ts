/**
 * GET /openapi.json: every route the collector registers (collected by fastify's onRoute hook, so a route added later
 * is checked without touching this file) is in the document with a summary, a tag, its security and its path
 * parameters, and the document validates as OpenAPI 3. A failure names each route and what it lacks.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv } from 'ajv';
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_PATH } from '../../src/collector/openapi.js';
import { ADMIN, makeTestApp, type TestApp } from './app-helper.js';

interface Operation {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: unknown;
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
}

/**
 * The routes whose success answer the document does not describe yet. Shrinks only: a new route documents its
 * answer (schema.response), and one that gains a response schema leaves this list (the test below says which).
 */
const ANSWER_NOT_DOCUMENTED = ['GET /openapi.json', 'GET /metrics', 'GET /api/v1/reports'];
interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

/** What each route lacks in `document`, one line per problem; empty when every route is described. */
function undocumentedRoutes(routes: RouteOptions[], document: OpenApiDoc): string[] {
  const problems: string[] = [];
  const gets = new Set(routes.filter((r) => [r.method].flat().includes('GET')).map((r) => r.url));
  for (const r of routes) {
    for (const method of [r.method].flat()) {
      if (method === 'HEAD' && gets.has(r.url)) continue; // fastify's automatic HEAD twin of a GET route
      const name = `${method} ${r.url}`;
      const schema = r.schema as (Record<string, unknown> & { hide?: boolean }) | undefined;
      if (schema?.hide) {
        if (r.url.startsWith('/api/'))
          problems.push(`${name}: hidden from the document (schema.hide), but it is an API route`);
        continue; // a dashboard file (@fastify/static hides its routes)
      }
      if (!schema) {
        problems.push(
          `${name}: has no schema; give it schema: { ...doc(tag, auth, summary), params/querystring/body }`,
        );
        continue;
      }
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      const op = document.paths[path]?.[method.toLowerCase()];
      if (!op) {
        problems.push(`${name}: missing from ${OPENAPI_PATH} (no paths["${path}"].${method.toLowerCase()})`);
        continue;
      }
      if (!op.summary) problems.push(`${name}: has no summary (doc(tag, auth, summary) in its schema)`);
      if (!op.tags?.length) problems.push(`${name}: has no tag (doc(tag, auth, summary) in its schema)`);
      if (!Array.isArray(op.security))
        problems.push(`${name}: declares no security ('admin' | 'node' | 'panel' | 'none' in doc(...))`);
      for (const [, param] of r.url.matchAll(/:(\w+)/g))
        if (!op.parameters?.some((p) => p.in === 'path' && p.name === param))
          problems.push(`${name}: path parameter "${param}" is not described (a params schema)`);
      if (schema.body && !op.requestBody) problems.push(`${name}: its body schema is not in the document`);
      if (schema.querystring && !op.parameters?.some((p) => p.in === 'query') && hasProperties(schema.querystring))
        problems.push(`${name}: its querystring schema is not in the document`);
    }
  }
  return problems;
}

const hasProperties = (s: unknown) => Object.keys((s as { properties?: object }).properties ?? {}).length > 0;

describe('OpenAPI document', () => {
  let t: TestApp;
  const routes: RouteOptions[] = [];
  let document: OpenApiDoc;

  beforeAll(async () => {
    t = await makeTestApp({}, undefined, { onRoute: (r) => routes.push(r) });
    const res = await t.app.inject({ method: 'GET', url: OPENAPI_PATH }); // no credentials: the document is public
    expect(res.statusCode).toBe(200);
    document = res.json() as OpenApiDoc;
  });
  afterAll(async () => t.close());

  it('describes every registered route (summary, tag, security, path parameters, body and query)', () => {
    // The hook saw the routes (a broken hook would make the check below pass on nothing).
    expect(routes.filter((r) => r.url.startsWith('/api/')).length).toBeGreaterThan(20);
    const problems = undocumentedRoutes(routes, document);
    expect(problems, `routes not described in ${OPENAPI_PATH}:\n${problems.join('\n')}`).toEqual([]);
  });

  it('names what a route lacks, route by route', () => {
    const fake = [
      { method: 'GET', url: '/api/v1/nothing', handler: () => undefined },
      { method: 'POST', url: '/api/v1/nodes/:id/period/reset', schema: {}, handler: () => undefined },
      { method: 'GET', url: '/api/v1/secret', schema: { hide: true }, handler: () => undefined },
    ] as unknown as RouteOptions[];
    const bare = { openapi: '3.0.3', paths: { '/api/v1/nodes/{id}/period/reset': { post: {} } } };
    expect(undocumentedRoutes(fake, bare)).toEqual([
      'GET /api/v1/nothing: has no schema; give it schema: { ...doc(tag, auth, summary), params/querystring/body }',
      'POST /api/v1/nodes/:id/period/reset: has no summary (doc(tag, auth, summary) in its schema)',
      'POST /api/v1/nodes/:id/period/reset: has no tag (doc(tag, auth, summary) in its schema)',
      "POST /api/v1/nodes/:id/period/reset: declares no security ('admin' | 'node' | 'panel' | 'none' in doc(...))",
      'POST /api/v1/nodes/:id/period/reset: path parameter "id" is not described (a params schema)',
      'GET /api/v1/secret: hidden from the document (schema.hide), but it is an API route',
    ]);
  });

  it('validates as OpenAPI 3 (and the validator does refuse a broken document)', async () => {
    expect(document.openapi).toMatch(/^3\./);
    const result = await new Validator().validate(structuredClone(document) as never);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).toEqual([]);
    expect(result.valid).toBe(true);
    const broken = structuredClone(document) as unknown as Record<string, unknown>;
    delete broken.info;
    expect((await new Validator().validate(broken as never)).valid).toBe(false);
  });

  it('declares who may call what: admin routes the admin token, the heartbeat a node token, health none', () => {
    expect(document.paths['/api/v1/nodes'].get.security).toEqual([{ adminToken: [] }]);
    expect(document.paths['/api/v1/agent/heartbeat'].post.security).toEqual([{ nodeToken: [] }]);
    expect(document.paths['/healthz'].get.security).toEqual([]);
    expect(document.paths[OPENAPI_PATH].get.security).toEqual([]);
  });

  it('rewriting schemas for OpenAPI 3.0 leaves the routes own schemas as they were (a tuple stays a tuple)', () => {
    const hb = routes.find((r) => r.url === '/api/v1/agent/heartbeat') as RouteOptions;
    const load = (hb.schema as { body: { properties: { load: { anyOf?: unknown[]; items?: unknown } } } }).body
      .properties.load;
    expect(JSON.stringify(load)).toContain('"items":[');
    expect(JSON.stringify(document.paths['/api/v1/agent/heartbeat'].post)).not.toContain('"items":[');
  });

  it('documents the answer of every route but those still listed, and the real answers match it', async () => {
    const lacking: string[] = [];
    for (const [path, ops] of Object.entries(document.paths))
      for (const [method, op] of Object.entries(ops)) {
        const ok = Object.entries(op.responses ?? {}).filter(([code]) => code.startsWith('2'));
        if (!ok.length || ok.some(([, r]) => !Object.values(r.content ?? {}).some((c) => c.schema)))
          lacking.push(`${method.toUpperCase()} ${path}`);
      }
    expect(lacking.sort()).toEqual([...ANSWER_NOT_DOCUMENTED].sort());

    // The documented answers, read from the document itself, against what the routes really send.
    const node = await t.addNode();
    const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => {
      const res = await t.app.inject({ method, url, payload, headers: { authorization: `Bearer ${ADMIN}` } });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
      return { code: String(res.statusCode), body: res.json() as unknown };
    };
    const hb = await t.heartbeat(node.token, {
      records: [{ seq: 1, from: t.clock.now - 60_000, to: t.clock.now, rx: '123456789012345678', tx: '5' }],
      host: { hostname: 'doc-host', os: 'Debian 12', cpus: 2, memTotalBytes: '1073741824' },
    });
    expect(hb.statusCode, hb.body).toBe(200);
    const push = await t.app.inject({
      method: 'POST',
      url: `/api/v1/server/UniProxy/push?node_id=${node.id}&node_type=vmess&token=${node.token}`,
      payload: { 42: [100, 200] },
    });
    expect(push.statusCode, push.body).toBe(200);
    const pool = await call('POST', '/api/v1/pools', { name: 'doc-pool' });
    const poolId = (pool.body as { id: number }).id;
    const answers: Array<[string, string, { code: string; body: unknown }]> = [
      ['/api/v1/pools', 'post', pool],
      ['/api/v1/pools/{id}/nodes/{nodeId}', 'put', await call('PUT', `/api/v1/pools/${poolId}/nodes/${node.id}`)],
      ['/api/v1/quotas', 'post', await call('POST', '/api/v1/quotas', { nodeId: node.id, limit: '1TB' })],
      ['/api/v1/quotas', 'get', await call('GET', '/api/v1/quotas')],
      ['/api/v1/pools', 'get', await call('GET', '/api/v1/pools')],
      ['/healthz', 'get', await call('GET', '/healthz')],
      ['/api/v1/nodes', 'get', await call('GET', '/api/v1/nodes')],
      ['/api/v1/nodes/{id}', 'get', await call('GET', `/api/v1/nodes/${node.id}`)],
      ['/api/v1/nodes/{id}/series', 'get', await call('GET', `/api/v1/nodes/${node.id}/series?step=day`)],
      ['/api/v1/rankings/nodes', 'get', await call('GET', '/api/v1/rankings/nodes?window=total')],
      ['/api/v1/rankings/users', 'get', await call('GET', '/api/v1/rankings/users')],
      ['/api/v1/users/{id}/traffic', 'get', await call('GET', '/api/v1/users/42/traffic')],
      ['/api/v1/nodes/{id}/users', 'get', await call('GET', `/api/v1/nodes/${node.id}/users`)],
      ['/api/v1/anomalies', 'get', await call('GET', '/api/v1/anomalies')],
    ];
    await t.store.quotas.fireAlert(
      {
        key: `doc-alert-${node.id}`,
        kind: 'offline',
        nodeId: node.id,
        poolId: null,
        quotaId: null,
        payload: JSON.stringify({ id: 'x', title: 't' }),
        firedAt: Date.now(),
      },
      ['ops'],
    );
    answers.push(['/api/v1/alerts', 'get', await call('GET', '/api/v1/alerts')]);
    const quotaId = ((await call('GET', '/api/v1/quotas')).body as { quotas: { id: number }[] }).quotas[0].id;
    answers.push(
      ['/api/v1/pools/{id}/nodes/{nodeId}', 'delete', await call('DELETE', `/api/v1/pools/${poolId}/nodes/${node.id}`)],
      ['/api/v1/quotas/{id}', 'delete', await call('DELETE', `/api/v1/quotas/${quotaId}`)],
      ['/api/v1/pools/{id}', 'delete', await call('DELETE', `/api/v1/pools/${poolId}`)],
      ['/api/v1/nodes/{id}/period/reset', 'post', await call('POST', `/api/v1/nodes/${node.id}/period/reset`)],
    );
    // The panel routes, called as a panel's node calls them.
    const q = `node_id=${node.id}&node_type=vmess&token=${node.token}`;
    answers.push(['/api/v1/server/UniProxy/push', 'post', { code: String(push.statusCode), body: push.json() }]);
    for (const [method, path, payload] of [
      ['GET', '/api/v1/server/UniProxy/user', undefined],
      ['GET', '/api/v1/server/UniProxy/config', undefined],
      ['GET', '/api/v1/server/UniProxy/alivelist', undefined],
      ['POST', '/api/v1/server/UniProxy/alive', {}],
      ['POST', '/api/v1/server/UniProxy/status', { cpu: 1 }],
      ['POST', '/api/v2/server/report', { traffic: { 42: [1, 2] } }],
    ] as const) {
      const res = await t.app.inject({ method, url: `${path}?${q}`, payload });
      expect(res.statusCode, `${method} ${path}: ${res.body}`).toBe(200);
      answers.push([path, method.toLowerCase(), { code: '200', body: res.json() }]);
    }
    // OpenAPI 3.0 schemas (nullable): Ajv reads `nullable` as OpenAPI does.
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const [path, method, { code, body }] of answers) {
      const schema = document.paths[path][method].responses?.[code]?.content?.['application/json']?.schema;
      expect(schema, `${method} ${path} ${code}`).toBeDefined();
      const valid = ajv.validate(schema as object, body);
      expect(ajv.errors ?? [], `${method} ${path}: ${JSON.stringify(body)}`).toEqual([]);
      expect(valid).toBe(true);
    }
    // And the answers hold what they should (the serializer kept every field).
    const answer = (path: string, method: string) => answers.find(([p, m]) => p === path && m === method)?.[2].body;
    expect(answer('/api/v1/rankings/users', 'get')).toMatchObject({
      users: [{ userId: 42, u: '100', d: '200', total: '300' }],
    });
    expect(answer('/api/v1/users/{id}/traffic', 'get')).toMatchObject({
      userId: 42,
      nodes: [{ nodeId: node.id, u: '100', d: '200', total: '300' }],
      total: { u: '100', d: '200', total: '300' },
    });
    const one = answer('/api/v1/nodes/{id}', 'get') as {
      traffic: { totalRx: string };
      host: object;
      load: number[];
      lastEpoch: string;
    };
    expect(one).toMatchObject({
      traffic: { totalRx: '123456789012345678' },
      host: { hostname: 'doc-host', os: 'Debian 12', cpus: 2, memTotalBytes: '1073741824' },
      load: [0.1, 0.2, 0.3],
      lastEpoch: '0123456789abcdef',
    });
    expect((answer('/api/v1/quotas', 'post') as { usage: { used: string } }).usage.used).toBe('123456789012345683'); // exact past 2^53
    expect((answer('/api/v1/alerts', 'get') as { alerts: { document: object }[] }).alerts[0].document).toEqual({
      id: 'x',
      title: 't',
    });
  });

  it('holds no secret: neither the admin token nor a node token appears in it', async () => {
    const node = await t.addNode();
    const text = (await t.app.inject({ method: 'GET', url: OPENAPI_PATH })).body;
    expect(text).not.toContain(ADMIN);
    expect(text).not.toContain(node.token);
  });
});
