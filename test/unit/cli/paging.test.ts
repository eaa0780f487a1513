import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeResumeToken } from '../../../src/cli/paging-token.js';
import { kumo as run, startFakeKumod, type FakeKumod } from './fake-kumod.js';
import {
  imagesPage,
  instanceStatusesPage,
  instanceTypesPage,
  reservationsPage,
} from './page-fixtures.js';

/**
 * Paging end to end through main(), against a fake kumod that pages as kumod does: all items
 * without max_results, else at most that many and a next_token while more remain. The byte-exact
 * comparison with aws-cli is commands-aws.test.ts; this file needs no Python.
 */
const TOTAL = 7;

interface PageRequest {
  maxResults: number;
  nextToken: string;
}

/** kumod's paging over items 1..TOTAL; `page(from, to, token)` builds the answer. */
const pager =
  (page: (from: number, to: number, token: string) => object) =>
  (request: unknown): object => {
    const { maxResults, nextToken } = request as PageRequest;
    const from = nextToken === '' ? 1 : Number(nextToken.slice(1));
    const to = maxResults === 0 ? TOTAL : Math.min(TOTAL, from + maxResults - 1);
    return page(from, to, to < TOTAL ? `n${to + 1}` : '');
  };

let fake: FakeKumod;
const kumo = (...args: string[]) => run(fake.endpoint, args);
const ids = (stdout: string) =>
  (JSON.parse(stdout) as { Reservations: { ReservationId: string }[] }).Reservations.map(
    (r) => r.ReservationId,
  );
const sent = (rpc: string) =>
  (fake.seen[rpc] ?? []).map((q) => {
    const { maxResults, nextToken } = q as PageRequest;
    return { maxResults, nextToken };
  });
const clear = () => {
  for (const key of Object.keys(fake.seen)) fake.seen[key] = [];
};

beforeAll(async () => {
  fake = await startFakeKumod({
    describeInstances: pager(reservationsPage),
    describeImages: pager(imagesPage),
    describeInstanceTypes: pager(instanceTypesPage),
    describeInstanceStatus: pager(instanceStatusesPage),
  });
});
afterAll(() => fake.close());

const ALL = Array.from({ length: TOTAL }, (_, i) => `r-${i + 1}`);

describe('paginated commands', () => {
  it('fetch every page and print the items once, without NextToken', async () => {
    clear();
    const r = await kumo('describe-instances', '--page-size', '3');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(ids(r.stdout)).toEqual(ALL);
    expect(JSON.parse(r.stdout)).not.toHaveProperty('NextToken');
    expect(sent('describeInstances')).toEqual([
      { maxResults: 3, nextToken: '' },
      { maxResults: 3, nextToken: 'n4' },
      { maxResults: 3, nextToken: 'n7' },
    ]);
  });

  it('hand out --max-items at a time; each NextToken resumes where the last stopped', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    for (let guard = 0; guard < TOTAL; guard += 1) {
      const from = token === undefined ? [] : ['--starting-token', token];
      const r = await kumo('describe-instances', '--page-size', '5', '--max-items', '2', ...from);
      expect(r.code).toBe(0);
      seen.push(...ids(r.stdout));
      token = (JSON.parse(r.stdout) as { NextToken?: string }).NextToken;
      if (token === undefined) break;
    }
    expect(seen).toEqual(ALL);
  });

  it('make one call with --no-paginate, --max-results or --next-token, and print its NextToken first', async () => {
    clear();
    const one = await kumo('describe-instances', '--no-paginate', '--max-results', '5');
    expect(one.code).toBe(0);
    expect(Object.keys(JSON.parse(one.stdout))).toEqual(['NextToken', 'Reservations']);
    expect(JSON.parse(one.stdout).NextToken).toBe('n6');
    const typed = await kumo('describe-instances', '--max-results', '5');
    expect(typed.stdout).toBe(one.stdout);
    const next = await kumo('describe-instances', '--next-token', 'n6');
    expect(ids(next.stdout)).toEqual(['r-6', 'r-7']);
    expect(sent('describeInstances')).toEqual([
      { maxResults: 5, nextToken: '' },
      { maxResults: 5, nextToken: '' },
      { maxResults: 0, nextToken: 'n6' },
    ]);
  });

  it('take MaxResults and NextToken from --cli-input-json and page on from there', async () => {
    clear();
    const r = await kumo('describe-instances', '--cli-input-json', '{"MaxResults":5}');
    expect(ids(r.stdout)).toEqual(ALL);
    expect(sent('describeInstances')).toEqual([
      { maxResults: 5, nextToken: '' },
      { maxResults: 5, nextToken: 'n6' },
    ]);
  });

  it('refuse client paging when paging is off, without calling kumod', async () => {
    clear();
    const r = await kumo('describe-instances', '--next-token', 'n3', '--max-items', '2');
    expect(r).toEqual({
      code: 255,
      stdout: '',
      stderr:
        'Error during pagination: Cannot specify --no-paginate along with pagination arguments: --max-items\n',
    });
    expect(sent('describeInstances')).toEqual([]);
  });

  it('refuse a paging number that is not an integer, as a usage error', async () => {
    const cases: [string[], string][] = [
      [['--max-items', 'two'], "argument --max-items: invalid int value: 'two'"],
      [['--page-size', '2.5'], "argument --page-size: invalid int value: '2.5'"],
      [
        ['--max-results', 'x'],
        "Error parsing parameter '--max-results': invalid literal for int() with base 10: 'x'",
      ],
    ];
    for (const [args, message] of cases)
      expect(await kumo('describe-instances', ...args)).toEqual({
        code: 252,
        stdout: '',
        stderr: `${message}\n`,
      });
  });

  it('refuse a starting token botocore could not follow, as a usage error', async () => {
    const bad = Buffer.from('{"NextToken": "n3", "Extra": 1}').toString('base64');
    const r = await kumo('describe-instances', '--starting-token', bad);
    expect(r).toEqual({ code: 252, stdout: '', stderr: `Bad starting token: ${bad}\n` });
  });

  it('print text page by page, then the token to resume from', async () => {
    const r = await kumo(
      'describe-instances',
      '--output',
      'text',
      '--page-size',
      '5',
      '--max-items',
      '6',
      '--query',
      'Reservations[].ReservationId',
    );
    // --query runs on each page and on {NextToken: {NextToken: ...}}, which it finds nothing in.
    expect(r.stdout).toBe('r-1\tr-2\tr-3\tr-4\tr-5\nr-6\nNone\n');
    const plain = await kumo('describe-instances', '--output', 'text', '--max-items', '1');
    expect(plain.stdout.split('\n').at(-2)).toBe(`NEXTTOKEN\t${encodeResumeToken(null, 1)}`);
  });

  it('print one sample page for --generate-cli-skeleton output', async () => {
    const r = await kumo('describe-instances', '--generate-cli-skeleton', 'output');
    expect(r.code).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(['NextToken', 'Reservations']);
  });

  it.each([
    ['describe-images', 'describeImages', 'Images', 'ImageId'],
    ['describe-instance-types', 'describeInstanceTypes', 'InstanceTypes', 'InstanceType'],
    ['describe-instance-status', 'describeInstanceStatus', 'InstanceStatuses', 'InstanceId'],
  ])('%s pages over %s too', async (command, rpc, key, id) => {
    clear();
    const r = await kumo(command, '--page-size', '5', '--max-items', '6');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as Record<string, Record<string, unknown>[]>;
    expect(printed[key]?.map((item) => item[id])).toHaveLength(6);
    expect(printed).toHaveProperty('NextToken', encodeResumeToken('n6', 1));
    expect(sent(rpc)).toEqual([
      { maxResults: 5, nextToken: '' },
      { maxResults: 5, nextToken: 'n6' },
    ]);
  });
});
