/**
 * Import rules the build enforces (npm run deps, run by `npm test`'s pretest):
 * - no import cycles anywhere under src/;
 * - the accounting core and the outbox are pure: no disk, clock-free readers, network, or the modules that do I/O;
 * - the wire contract (src/protocol) and src/common depend on neither side;
 * - the agent never imports the collector, and the collector never imports the agent.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: move the shared type or function to a module both sides can import.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'pure-core-no-io',
      severity: 'error',
      comment: 'accounting/ and outbox/ are pure: what they need is passed in, so every rule is a unit test.',
      from: { path: '^src/agent/(accounting|outbox)/' },
      to: {
        path: [
          '^(node:)?(fs|fs/promises|net|http|https|http2|dgram|child_process|worker_threads|os)$',
          '^src/agent/(sources|state/state-store|sinks|daemon|commands|metrics)/?',
          '^src/collector/',
          'node_modules/(undici|pg|better-sqlite3|systeminformation|@grpc|pino|fastify)/',
        ],
      },
    },
    {
      name: 'protocol-and-common-stand-alone',
      severity: 'error',
      comment: 'The wire contract and the shared helpers are imported by both sides and import neither.',
      from: { path: '^src/(protocol|common)/' },
      to: { path: '^src/(agent|collector|dashboard|ops|loadgen)/' },
    },
    {
      name: 'agent-not-collector',
      severity: 'error',
      comment: 'The agent ships alone (single executable): it must not pull in the collector.',
      from: { path: '^src/agent/' },
      to: { path: '^src/collector/' },
    },
    {
      name: 'collector-not-agent',
      severity: 'error',
      comment: 'The collector shares only src/protocol and src/common with the agent.',
      from: { path: '^src/collector/' },
      to: { path: '^src/agent/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
