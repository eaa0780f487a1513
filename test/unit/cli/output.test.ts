import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/errors.js';
import { applyQuery, renderOutput } from '../../../src/cli/output.js';
import { formatTable } from '../../../src/cli/table-format.js';
import { formatText } from '../../../src/cli/text-format.js';

const KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----\n';

const described = {
  Reservations: [
    {
      ReservationId: 'r-1',
      OwnerId: 'kumo',
      Instances: [
        {
          InstanceId: 'i-1',
          State: { Code: 16, Name: 'running' },
          PublicIpAddress: '100.80.0.5',
          Tags: [{ Key: 'Name', Value: 'web' }],
        },
        { InstanceId: 'i-2', State: { Code: 80, Name: 'stopped' } },
      ],
    },
  ],
};

describe('json output', () => {
  it('is indented by 4 like aws-cli and prints nothing for an empty response', () => {
    expect(renderOutput({ A: [1], B: { C: 'x' } }, { format: 'json' })).toBe(
      '{\n    "A": [\n        1\n    ],\n    "B": {\n        "C": "x"\n    }\n}\n',
    );
    expect(renderOutput({}, { format: 'json' })).toBe('');
    expect(renderOutput({ Reservations: [] }, { format: 'json' })).toBe(
      '{\n    "Reservations": []\n}\n',
    );
  });

  it('applies --query first', () => {
    expect(
      renderOutput(described, {
        format: 'json',
        query: 'Reservations[].Instances[].InstanceId',
      }),
    ).toBe('[\n    "i-1",\n    "i-2"\n]\n');
    expect(
      renderOutput(described, { format: 'json', query: 'Reservations[0].Instances[0].State.Name' }),
    ).toBe('"running"\n');
    expect(renderOutput(described, { format: 'json', query: 'Nope' })).toBe('null\n');
  });

  it('refuses a bad --query as a usage error', () => {
    expect(() => applyQuery(described, 'Reservations[')).toThrow(UsageError);
    expect(() => applyQuery(described, 'Reservations[')).toThrow(
      /^Bad value for --query Reservations\[: /,
    );
  });
});

describe('text output', () => {
  it('writes KeyMaterial exactly, so `> me.pem` is a valid key file', () => {
    const res = { KeyFingerprint: 'SHA256:x', KeyMaterial: KEY, KeyName: 'me', KeyPairId: 'key-1' };
    expect(renderOutput(res, { format: 'text', query: 'KeyMaterial' })).toBe(KEY);
    // A value without its own newline gets one, as aws-cli prints it.
    expect(renderOutput(res, { format: 'text', query: 'KeyName' })).toBe('me\n');
  });

  it('prints scalars, scalar lists on one line, and None/True/False like aws-cli', () => {
    expect(formatText('t3.small')).toBe('t3.small\n');
    expect(formatText(['i-1', 'i-2'])).toBe('i-1\ti-2\n');
    expect(formatText(null)).toBe('None\n');
    expect(formatText([true, false, 3])).toBe('True\tFalse\t3\n');
    expect(formatText([])).toBe('');
  });

  it('prints objects as aws text: sorted scalars per line, nested ones under an upper-cased key', () => {
    expect(formatText(described)).toBe(
      [
        'RESERVATIONS\tkumo\tr-1',
        'INSTANCES\ti-1\t100.80.0.5',
        'STATE\t16\trunning',
        'TAGS\tName\tweb',
        'INSTANCES\ti-2\t',
        'STATE\t80\tstopped',
        '',
      ].join('\n'),
    );
    expect(formatText([{ B: 2, A: 1 }, { A: 3 }])).toBe('1\t2\n3\t\n');
    expect(formatText({ Ids: ['a', 'b'] })).toBe('IDS\ta\nIDS\tb\n');
  });

  it('uses the command-specific text form only without --query', () => {
    const res = { InstanceId: 'i-1', Output: 'boot\nready\n', Timestamp: 't' };
    const text = () => 'boot\nready\n';
    expect(renderOutput(res, { format: 'text', text })).toBe('boot\nready\n');
    expect(renderOutput(res, { format: 'text', text, query: 'InstanceId' })).toBe('i-1\n');
    expect(renderOutput(res, { format: 'json', text })).toContain('"Output": "boot\\nready\\n"');
  });
});

describe('table output', () => {
  it('renders a list of objects as one row per object, flattening nested keys', () => {
    expect(
      formatTable([
        { Id: 'i-1', State: { Name: 'running' }, Tags: [{ Key: 'a', Value: 'b' }] },
        { Id: 'i-22', State: { Name: 'stopped' } },
      ]),
    ).toBe(
      [
        '┌──────┬────────────┬──────┐',
        '│ Id   │ State.Name │ Tags │',
        '├──────┼────────────┼──────┤',
        '│ i-1  │ running    │ a=b  │',
        '├──────┼────────────┼──────┤',
        '│ i-22 │ stopped    │      │',
        '└──────┴────────────┴──────┘',
        '',
      ].join('\n'),
    );
  });

  it('renders a single object as key/value rows', () => {
    expect(formatTable({ Accelerator: 'tcg', CpuCount: 2, Ok: true })).toBe(
      [
        '┌─────────────┬──────┐',
        '│ Accelerator │ tcg  │',
        '├─────────────┼──────┤',
        '│ CpuCount    │ 2    │',
        '├─────────────┼──────┤',
        '│ Ok          │ True │',
        '└─────────────┴──────┘',
        '',
      ].join('\n'),
    );
  });

  it('titles a wrapped list with its key and puts nested lists of objects in their own tables', () => {
    const out = formatTable({
      Reservations: [{ ReservationId: 'r-1', Instances: [{ InstanceId: 'i-1' }] }],
    });
    expect(out).toBe(
      [
        '┌───────────────┐',
        '│ Reservations  │',
        '├───────────────┤',
        '│ ReservationId │',
        '├───────────────┤',
        '│ r-1           │',
        '└───────────────┘',
        '┌────────────┐',
        '│ Instances  │',
        '├────────────┤',
        '│ InstanceId │',
        '├────────────┤',
        '│ i-1        │',
        '└────────────┘',
        '',
      ].join('\n'),
    );
  });

  it('renders scalars and lists of scalars in one column, and nothing for nothing', () => {
    expect(formatTable('t3.small')).toBe('┌──────────┐\n│ t3.small │\n└──────────┘\n');
    expect(formatTable(['a', 'b'])).toBe('┌───┐\n│ a │\n├───┤\n│ b │\n└───┘\n');
    expect(formatTable([])).toBe('');
  });

  it('goes through --query like the other formats', () => {
    expect(
      renderOutput(described, {
        format: 'table',
        query: 'Reservations[].Instances[].[InstanceId, State.Name]',
      }),
    ).toBe(
      [
        '┌─────┬─────────┐',
        '│ i-1 │ running │',
        '├─────┼─────────┤',
        '│ i-2 │ stopped │',
        '└─────┴─────────┘',
        '',
      ].join('\n'),
    );
  });
});
