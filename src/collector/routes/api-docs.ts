/**
 * A browsable API page: Swagger UI at /docs, over the same OpenAPI document as GET /openapi.json (which it also
 * serves as /docs/json and /docs/yaml). @fastify/swagger-ui serves Swagger UI's own files from the package, so the
 * page loads nothing from anywhere but the collector (test/collector/api-docs.browser.test.ts watches every request
 * in Chromium). Like /openapi.json it needs no token: it shows the shape of the API and no data; "Try it out" sends
 * the admin token the reader types into Authorize, to this collector only.
 *
 * The CSP keeps the page to the collector's origin: Swagger UI's own strictest advice (staticCSP: true) allows https:
 * fonts and styles, the validator badge's host and upgrade-insecure-requests, none of which this page needs (the
 * validator badge is off: validatorUrl null).
 */
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const API_DOCS_PATH = '/docs';

const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: API_DOCS_PATH,
    staticCSP: CSP,
    // No validator badge: it would load an image from validator.swagger.io.
    uiConfig: { deepLinking: true, docExpansion: 'list', validatorUrl: null },
  });
}
