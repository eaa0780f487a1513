// The layering rules of ARCHITECTURE.md, checked in CI (npm run lint).
const domain = '^src/(core|compute|network|storage)/';
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment:
        'core/compute/network/storage declare what they need in ports.ts; no host, state, api, gen, fs, processes, grpc or sqlite.',
      severity: 'error',
      from: { path: domain },
      to: {
        path: [
          '^src/(host|state|api|daemon|cli|gen)/',
          '^(node:)?(child_process|fs|fs/promises|net|http)$',
          '@grpc',
          'better-sqlite3',
          'execa',
        ],
      },
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
