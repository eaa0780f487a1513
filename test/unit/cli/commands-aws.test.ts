import { status } from '@grpc/grpc-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ec2ErrorCode } from '../../../src/cli/errors.js';
import { toPascalCase } from '../../../src/cli/pascal-case.js';
import { encodeResumeToken } from '../../../src/cli/paging-token.js';
import type { RunInstancesResponse } from '../../../src/gen/kumo/v1/instances.js';
import { referenceHas, referencePython, runReference } from './aws-reference.js';
import { ec2Error, kumo, responseOf, scripted, startFakeKumod } from './fake-kumod.js';
import {
  imagesPage,
  instanceStatusesPage,
  instanceTypesPage,
  reservation,
  reservationsPage,
} from './page-fixtures.js';

/**
 * kumo and aws-cli run the same command line against the same answers: kumo against a fake
 * kumod, aws-cli (reference/aws_cli.py: its own driver, paginator, formatters and error
 * handling) against the same answers in EC2's shape. Both must make the same calls (paging and
 * dry-run members) and print the same bytes on stdout, the same message on stderr, and exit
 * with the same code (aws-cli v2's: see exitCodeOf).
 */
// aws-cli v2 (Debian's awscli package) pages --cli-input-json, blobs and exit codes differently;
// these cases are written against v1, whose behaviour the CLI follows (exit codes aside).
const python = referencePython(
  ['awscli', 'awscli.clidriver', 'botocore.awsrequest'],
  "awscli.__version__.startswith('1.')",
);

interface Case {
  readonly name: string;
  /** The arguments after `kumo` (after `aws ec2` for aws-cli). */
  readonly argv: readonly string[];
  /** The RPC the command makes (`describeInstances`). */
  readonly rpc: string;
  /** kumod's answers, in order: response partials, or errors. */
  readonly script: readonly object[];
  /** A behaviour of aws-cli releases newer than the reference may be (see NewerAwsCli). */
  readonly newer?: NewerAwsCli;
}

/**
 * What aws-cli v1 started printing after 1.19, the release Debian has (bullseye; decision
 * 0034), for a case kumo follows the current v1 in. `has` is a Python expression that holds in
 * an aws-cli with the behaviour. With such a reference the case compares everything as usual and
 * also checks that aws-cli prints `stderr` as recorded here; with an older one, stdout, the exit
 * code and the calls still come from the reference, and kumo's stderr must be this line followed
 * by the reference's.
 */
interface NewerAwsCli {
  /** Where aws-cli added it. */
  readonly since: string;
  readonly modules: readonly string[];
  readonly has: string;
  readonly stderr: string;
}

/** The warning for --max-items 0 or less (aws/aws-cli#8931, merged September 2024). */
const MAX_ITEMS_WARNING: NewerAwsCli = {
  since: 'aws/aws-cli#8931',
  modules: ['awscli.customizations.paginate'],
  has: "hasattr(awscli.customizations.paginate.PageArgument, '_emit_non_positive_max_items_warning')",
  stderr: 'warning: Non-positive values for --max-items may result in undefined behavior.\n',
};

const DRY_RUN = ec2Error(
  'DryRunOperation',
  status.FAILED_PRECONDITION,
  'Request would have succeeded, but DryRun flag is set.',
);
const BAD_TOKEN = ec2Error(
  'InvalidPaginationToken',
  status.INVALID_ARGUMENT,
  'The NextToken is not valid for this DescribeInstances request; start again without it',
);
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me';
const KEY_TAGS = ['--tag-specifications', 'ResourceType=key-pair,Tags=[{Key=team,Value=ops}]'];
const keyPair = (tags: { key: string; value: string }[]) => ({
  keyPairId: 'key-0123456789abcdef0',
  keyName: 'me',
  keyFingerprint: 'aa:bb',
  keyMaterial: '-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----',
  tags,
});

const instances = (name: string, argv: string[], script: object[]): Case => ({
  name,
  argv: ['describe-instances', ...argv],
  rpc: 'describeInstances',
  script,
});
const twoPages = [reservationsPage(1, 2, 't2'), reservationsPage(3, 4)];

const PAGING: readonly Case[] = [
  instances('merges every page, without NextToken', [], twoPages),
  instances('--page-size sends MaxResults on each call', ['--page-size', '5'], twoPages),
  instances('--max-items inside a page prints a resume token', ['--max-items', '3'], twoPages),
  instances('--max-items on a page boundary', ['--max-items', '2'], twoPages),
  instances(
    '--starting-token resumes inside a page',
    ['--starting-token', encodeResumeToken('t2', 1)],
    [reservationsPage(3, 4)],
  ),
  instances(
    '--starting-token from the first page',
    ['--starting-token', encodeResumeToken(null, 1), '--max-items', '2'],
    twoPages,
  ),
  instances('--starting-token with a raw service token', ['--starting-token', 'raw'], twoPages),
  instances('--no-paginate prints one page, NextToken first', ['--no-paginate'], twoPages),
  instances('--max-results turns paging off', ['--max-results', '5'], twoPages),
  instances('--next-token turns paging off', ['--next-token', 't2'], [reservationsPage(3, 4)]),
  instances(
    'refuses --no-paginate with client paging',
    ['--no-paginate', '--max-items', '3', '--page-size', '5'],
    [],
  ),
  instances(
    'refuses --max-results with --starting-token',
    ['--max-results', '5', '--starting-token', 'x'],
    [],
  ),
  instances(
    'MaxResults from --cli-input-json pages on',
    ['--cli-input-json', '{"MaxResults": 5}'],
    twoPages,
  ),
  instances(
    'NextToken from --cli-input-json starts the paging',
    ['--cli-input-json', '{"NextToken": "t2"}'],
    [reservationsPage(3, 4)],
  ),
  instances('--query over the merged pages', ['--query', 'Reservations[].ReservationId'], twoPages),
  instances('text, page by page', ['--output', 'text'], twoPages),
  instances('text with a resume token', ['--output', 'text', '--max-items', '3'], twoPages),
  instances(
    'text with --query on each page and on the token',
    ['--output', 'text', '--max-items', '3', '--query', 'Reservations[].ReservationId'],
    twoPages,
  ),
  instances('table of the merged pages', ['--output', 'table', '--max-items', '3'], twoPages),
  {
    ...instances('a non-positive --max-items warns', ['--max-items', '0'], twoPages),
    newer: MAX_ITEMS_WARNING,
  },
  instances('a failed second page, json', [], [reservationsPage(1, 2, 't2'), BAD_TOKEN]),
  instances(
    'a failed second page, text prints the first',
    ['--output', 'text'],
    [reservationsPage(1, 2, 't2'), BAD_TOKEN],
  ),
  {
    name: 'describe-images merges Images',
    argv: ['describe-images', '--max-items', '3'],
    rpc: 'describeImages',
    script: [imagesPage(1, 2, 't2'), imagesPage(3, 4)],
  },
  {
    name: 'describe-images --no-paginate prints NextToken first',
    argv: ['describe-images', '--no-paginate'],
    rpc: 'describeImages',
    script: [imagesPage(1, 2, 't2')],
  },
  {
    name: 'describe-instance-types merges InstanceTypes',
    argv: ['describe-instance-types', '--page-size', '5'],
    rpc: 'describeInstanceTypes',
    script: [instanceTypesPage(1, 2, 't2'), instanceTypesPage(3, 3)],
  },
  {
    name: 'describe-instance-types --no-paginate prints NextToken last',
    argv: ['describe-instance-types', '--no-paginate'],
    rpc: 'describeInstanceTypes',
    script: [instanceTypesPage(1, 2, 't2')],
  },
  {
    name: 'describe-instance-status merges InstanceStatuses',
    argv: ['describe-instance-status', '--include-all-instances', '--max-items', '3'],
    rpc: 'describeInstanceStatus',
    script: [instanceStatusesPage(1, 2, 't2'), instanceStatusesPage(3, 4)],
  },
  {
    name: 'describe-instance-status --no-paginate, text',
    argv: ['describe-instance-status', '--no-paginate', '--output', 'text'],
    rpc: 'describeInstanceStatus',
    script: [instanceStatusesPage(1, 2, 't2')],
  },
];

const ids = ['--instance-ids', 'i-1'];
const DRY_RUNS: readonly Case[] = [
  { name: 'run-instances', argv: ['run-instances', '--dry-run'], rpc: 'runInstances' },
  {
    name: 'start-instances',
    argv: ['start-instances', ...ids, '--dry-run'],
    rpc: 'startInstances',
  },
  {
    name: 'stop-instances',
    argv: ['stop-instances', ...ids, '--force', '--dry-run'],
    rpc: 'stopInstances',
  },
  {
    name: 'reboot-instances',
    argv: ['reboot-instances', ...ids, '--dry-run'],
    rpc: 'rebootInstances',
  },
  {
    name: 'terminate-instances',
    argv: ['terminate-instances', ...ids, '--dry-run'],
    rpc: 'terminateInstances',
  },
  {
    name: 'modify-instance-attribute',
    argv: [
      'modify-instance-attribute',
      '--instance-id',
      'i-1',
      '--attribute',
      'instanceType',
      '--value',
      't3.small',
      '--dry-run',
    ],
    rpc: 'modifyInstanceAttribute',
  },
  {
    name: 'create-key-pair',
    argv: ['create-key-pair', '--key-name', 'me', '--dry-run'],
    rpc: 'createKeyPair',
  },
  {
    name: 'import-key-pair',
    argv: ['import-key-pair', '--key-name', 'me', '--public-key-material', KEY, '--dry-run'],
    rpc: 'importKeyPair',
  },
  {
    name: 'delete-key-pair',
    argv: ['delete-key-pair', '--key-name', 'me', '--dry-run'],
    rpc: 'deleteKeyPair',
  },
  {
    name: 'run-instances, DryRun from --cli-input-json',
    argv: ['run-instances', '--cli-input-json', '{"DryRun": true}'],
    rpc: 'runInstances',
  },
].map((c) => ({ ...c, name: `${c.name} --dry-run`, script: [DRY_RUN] }));

const OUTPUTS: readonly Case[] = [
  {
    name: 'run-instances --no-dry-run prints the reservation, its keys in EC2 order',
    argv: ['run-instances', '--no-dry-run'],
    rpc: 'runInstances',
    script: [{ reservation: reservation(1) }],
  },
  ...[[], ['--query', 'x'], ['--output', 'text', '--query', 'x'], ['--output', 'table']].map(
    (extra): Case => ({
      name: `reboot-instances ${extra.join(' ')}`.trim(),
      argv: ['reboot-instances', ...ids, ...extra],
      rpc: 'rebootInstances',
      script: [{}],
    }),
  ),
  {
    name: 'modify-instance-attribute --query',
    argv: [
      'modify-instance-attribute',
      '--instance-id',
      'i-1',
      '--attribute',
      'instanceType',
    ].concat(['--value', 't3.small', '--query', 'x']),
    rpc: 'modifyInstanceAttribute',
    script: [{}],
  },
  ...[['--force'], ['--force', '--no-force'], ['--no-hibernate']].map((flags): Case => ({
    name: `stop-instances ${flags.join(' ')}`,
    argv: ['stop-instances', ...ids, ...flags],
    rpc: 'stopInstances',
    script: [
      {
        stoppingInstances: [
          {
            instanceId: 'i-1',
            currentState: { code: 64, name: 'stopping' },
            previousState: { code: 16, name: 'running' },
          },
        ],
      },
    ],
  })),
  {
    name: 'get-console-output, keys in EC2 order',
    argv: ['get-console-output', '--instance-id', 'i-1'],
    rpc: 'getConsoleOutput',
    script: [{ instanceId: 'i-1', output: 'boot\n', timestamp: new Date('2026-01-02T03:04:05Z') }],
  },
  {
    name: 'create-key-pair with tags, keys in EC2 order',
    argv: ['create-key-pair', '--key-name', 'me', ...KEY_TAGS],
    rpc: 'createKeyPair',
    script: [keyPair([{ key: 'team', value: 'ops' }])],
  },
  {
    name: 'create-key-pair --key-type ed25519 --key-format pem, no tags',
    argv: ['create-key-pair', '--key-name', 'me', '--key-type', 'ed25519', '--key-format', 'pem'],
    rpc: 'createKeyPair',
    script: [keyPair([])],
  },
  {
    name: 'create-key-pair with tags, text',
    argv: ['create-key-pair', '--key-name', 'me', ...KEY_TAGS, '--output', 'text'],
    rpc: 'createKeyPair',
    script: [keyPair([{ key: 'team', value: 'ops' }])],
  },
  {
    name: 'import-key-pair with tags',
    argv: ['import-key-pair', '--key-name', 'me', '--public-key-material', KEY, ...KEY_TAGS],
    rpc: 'importKeyPair',
    script: [
      {
        keyFingerprint: 'xx',
        keyName: 'me',
        keyPairId: 'key-0123456789abcdef1',
        tags: [{ key: 'team', value: 'ops' }],
      },
    ],
  },
];

const CASES = [...PAGING, ...DRY_RUNS, ...OUTPUTS];

/** What EC2 answers where kumod answers `partial`, as botocore would hand it to aws-cli. */
function ec2Answer(rpc: string, answer: object): object {
  if (answer instanceof Error) {
    const e = answer as Error & { details: string; metadata: never };
    return { error: { Code: ec2ErrorCode(e), Message: e.details } };
  }
  const message = responseOf(rpc, answer);
  // EC2 answers RunInstances with the reservation itself.
  const body =
    rpc === 'runInstances' ? ((message as RunInstancesResponse).reservation ?? {}) : message;
  const shaped = toPascalCase(body) as Record<string, unknown>;
  // EC2 leaves a key pair's tagSet out when it has no tags.
  if (Array.isArray(shaped.Tags) && shaped.Tags.length === 0) delete shaped.Tags;
  // EC2 sends the console base64-encoded; botocore decodes it (kumod sends the text).
  if (rpc === 'getConsoleOutput' && typeof shaped.Output === 'string')
    shaped.Output = Buffer.from(shaped.Output).toString('base64');
  return { response: shaped };
}

/** The members both sides must send alike: paging, dry run, and the flags these cases use. */
interface Sent {
  InstanceIds?: string[];
  MaxResults?: number;
  NextToken?: string;
  DryRun?: true;
  Force?: true;
  IncludeAllInstances?: true;
  KeyType?: string;
}

function sentByKumo(request: Record<string, unknown>): Sent {
  const sent: Sent = {};
  const ids = request.instanceIds as string[] | undefined;
  if (ids !== undefined && ids.length > 0) sent.InstanceIds = ids;
  if (typeof request.maxResults === 'number' && request.maxResults !== 0)
    sent.MaxResults = request.maxResults;
  if (typeof request.nextToken === 'string' && request.nextToken !== '')
    sent.NextToken = request.nextToken;
  if (request.dryRun === true) sent.DryRun = true;
  if (request.force === true) sent.Force = true;
  if (request.includeAllInstances === true) sent.IncludeAllInstances = true;
  if (typeof request.keyType === 'string' && request.keyType !== '') sent.KeyType = request.keyType;
  return sent;
}

/** The same members from botocore's query serialization (InstanceId.1, DryRun=true, ...). */
function sentByAws(params: Record<string, unknown>): Sent {
  const sent: Sent = {};
  const ids = Object.keys(params)
    .filter((k) => /^InstanceId\.\d+$/.test(k))
    .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
    .map((k) => String(params[k]));
  if (ids.length > 0) sent.InstanceIds = ids;
  if (typeof params.MaxResults === 'number') sent.MaxResults = params.MaxResults;
  if (typeof params.NextToken === 'string' && params.NextToken !== '')
    sent.NextToken = params.NextToken;
  if (params.DryRun === 'true') sent.DryRun = true;
  if (params.Force === 'true') sent.Force = true;
  if (params.IncludeAllInstances === 'true') sent.IncludeAllInstances = true;
  if (typeof params.KeyType === 'string') sent.KeyType = params.KeyType;
  return sent;
}

interface AwsRun {
  rc: number;
  stdout: string;
  stderr: string;
  requests: { operation: string; params: Record<string, unknown> }[];
}

/**
 * The exit code kumo gives for what aws-cli did. The aws-cli here is v1, which exits 255 for
 * every failure (2 for argparse's); kumo follows aws-cli v2: 254 when the service answered
 * with an error, 252 for bad usage, 255 for the rest.
 */
function exitCodeOf(aws: AwsRun): number {
  if (aws.rc === 0) return 0;
  if (aws.rc === 2) return 252;
  if (aws.stderr.trimStart().startsWith('An error occurred (')) return 254;
  return 255;
}

describe.skipIf(python === undefined)('commands against aws-cli', () => {
  let aws: AwsRun[];
  /** Per case with `newer`: whether the reference aws-cli has that behaviour. */
  let has: Map<NewerAwsCli, boolean>;

  beforeAll(() => {
    aws = runReference(
      python ?? '',
      'aws_cli.py',
      CASES.map((c) => ({
        argv: ['ec2', ...c.argv],
        responses: c.script.map((answer) => ec2Answer(c.rpc, answer)),
      })),
    );
    has = new Map(
      CASES.flatMap((c) => (c.newer === undefined ? [] : [c.newer])).map((n) => [
        n,
        referenceHas(python ?? '', n.modules, n.has),
      ]),
    );
  }, 120_000);

  /** The stderr kumo must print: aws-cli's, with what a newer aws-cli adds where it is older. */
  function stderrFor(c: Case, reference: AwsRun): string {
    if (c.newer === undefined) return reference.stderr.trim();
    if (has.get(c.newer) === true) {
      expect(reference.stderr).toContain(c.newer.stderr);
      return reference.stderr.trim();
    }
    return (c.newer.stderr + reference.stderr).trim();
  }

  CASES.forEach((c, i) => {
    it(`${c.name}: kumo ${c.argv.join(' ')}`, async () => {
      const reference = aws[i] as AwsRun;
      const fake = await startFakeKumod({ [c.rpc]: scripted(c.script) });
      try {
        const r = await kumo(fake.endpoint, [...c.argv]);
        expect(r.stdout).toBe(reference.stdout);
        expect(r.stderr.trim()).toBe(stderrFor(c, reference));
        expect(r.code).toBe(exitCodeOf(reference));
        const kumoSent = (fake.seen[c.rpc] ?? []).map((q) =>
          sentByKumo(q as Record<string, unknown>),
        );
        expect(kumoSent).toEqual(reference.requests.map((q) => sentByAws(q.params)));
      } finally {
        fake.close();
      }
    });
  });

  it("leaves out of aws-cli only customizations of commands botocore's model lacks", () => {
    // aws-cli 1.19 with a current botocore: its opsworkscm alias (decision 0034).
    expect(runReference(python ?? '', 'aws_cli_guard.py', {})).toMatchObject({
      skipped: true,
      other_key_error: true,
      changes: ['ec2', 'configservice'],
      ec2: true,
    });
  });

  it('exercise success, service errors and client-side refusals', () => {
    expect(new Set(aws.map(exitCodeOf))).toEqual(new Set([0, 254, 255]));
  });
});
