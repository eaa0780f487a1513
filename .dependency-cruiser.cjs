// The layering rules (docs/architecture.md, "Layers"), checked in CI by `npm run lint`.
// Layers: core, compute, network, storage (the domain); host, state (adapters); api, daemon, cli, gen.
const domain = '^src/(core|compute|network|storage)/';
// What the domain may use from Node: pure computation only (hashing, ids). Anything that reaches
// the host (files, processes, sockets, the OS) belongs behind a port, in src/host or src/state.
const nodeAllowedInDomain = ['crypto'];
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-only-domain',
      comment:
        'core/compute/network/storage declare what they need in ports.ts: they import each other and nothing else of ours.',
      severity: 'error',
      from: { path: domain },
      to: { path: '^src/', pathNot: domain },
    },
    {
      name: 'domain-uses-only-allowed-node-builtins',
      comment: `The domain may use these Node built-ins only: ${nodeAllowedInDomain.join(', ')}.`,
      severity: 'error',
      from: { path: domain },
      to: {
        dependencyTypes: ['core'],
        pathNot: `^(node:)?(${nodeAllowedInDomain.join('|')})$`,
      },
    },
    {
      name: 'domain-uses-no-packages',
      comment: 'The domain is plain TypeScript: no npm package (grpc, sqlite, execa...).',
      severity: 'error',
      from: { path: domain },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg'] },
    },
    {
      name: 'core-imports-nothing-domain',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/(compute|network|storage)/' },
    },
    {
      name: 'api-not-host-or-state',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: '^src/(host|state|daemon|cli)/' },
    },
    {
      name: 'cli-only-gen-core-grpc',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/(compute|network|storage|host|state|api|daemon)/' },
    },
    {
      name: 'only-daemon-wires-adapters',
      comment: 'Adapters (host, state) are constructed only in the composition root.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(daemon|host|state)/' },
      to: { path: '^src/(host|state)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^src/gen/' },
  },
};
