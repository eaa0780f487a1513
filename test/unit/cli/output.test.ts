import { describe, expect, it } from 'vitest';
import { CliFailure, UsageError } from '../../../src/cli/errors.js';
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
    expect(renderOutput({ A: [1], B: { C: 'x' } }, { format: 'json', operation: 'X' })).toBe(
      '{\n    "A": [\n        1\n    ],\n    "B": {\n        "C": "x"\n    }\n}\n',
    );
    expect(renderOutput({}, { format: 'json', operation: 'X' })).toBe('');
    expect(renderOutput({ Reservations: [] }, { format: 'json', operation: 'X' })).toBe(
      '{\n    "Reservations": []\n}\n',
    );
  });

  it('applies --query first', () => {
    expect(
      renderOutput(described, {
        format: 'json',
        operation: 'DescribeInstances',
        query: 'Reservations[].Instances[].InstanceId',
      }),
    ).toBe('[\n    "i-1",\n    "i-2"\n]\n');
    expect(
      renderOutput(described, {
        format: 'json',
        operation: 'X',
        query: 'Reservations[0].Instances[0].State.Name',
      }),
    ).toBe('"running"\n');
    expect(renderOutput(described, { format: 'json', operation: 'X', query: 'Nope' })).toBe(
      'null\n',
    );
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
    expect(
      renderOutput(res, { format: 'text', operation: 'CreateKeyPair', query: 'KeyMaterial' }),
    ).toBe(KEY);
    // A value without its own newline gets one, as aws-cli prints it.
    expect(
      renderOutput(res, { format: 'text', operation: 'CreateKeyPair', query: 'KeyName' }),
    ).toBe('me\n');
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
    expect(renderOutput(res, { format: 'text', operation: 'GetConsoleOutput', text })).toBe(
      'boot\nready\n',
    );
    expect(
      renderOutput(res, {
        format: 'text',
        operation: 'GetConsoleOutput',
        text,
        query: 'InstanceId',
      }),
    ).toBe('i-1\n');
    expect(renderOutput(res, { format: 'json', operation: 'GetConsoleOutput', text })).toContain(
      '"Output": "boot\\nready\\n"',
    );
  });
});

describe('table output', () => {
  // The tables below are what aws-cli prints for the same input (output-aws.test.ts compares
  // many more against aws-cli itself); these keep the layout rules readable here.
  const lines = (...l: string[]) => `${l.join('\n')}\n`;

  it('titles the table with the operation and nests each level inside one more |', () => {
    const response = {
      Reservations: [
        { ReservationId: 'r-1', Instances: [{ InstanceId: 'i-1', State: { Name: 'running' } }] },
      ],
    };
    expect(formatTable(response, 'DescribeInstances')).toBe(
      lines(
        '---------------------------',
        '|    DescribeInstances    |',
        '+-------------------------+',
        '||     Reservations      ||',
        '|+-----------------------+|',
        '||     ReservationId     ||',
        '|+-----------------------+|',
        '||  r-1                  ||',
        '|+-----------------------+|',
        '|||      Instances      |||',
        '||+---------------------+||',
        '|||     InstanceId      |||',
        '||+---------------------+||',
        '|||  i-1                |||',
        '||+---------------------+||',
        '||||       State       ||||',
        '|||+-------+-----------+|||',
        '||||  Name |  running  ||||',
        '|||+-------+-----------+|||',
      ),
    );
  });

  it('goes through --query like the other formats: a list of lists is one row per list', () => {
    expect(
      renderOutput(described, {
        format: 'table',
        operation: 'DescribeInstances',
        query: 'Reservations[].Instances[].[InstanceId, State.Name]',
      }),
    ).toBe(
      lines(
        '--------------------',
        '| DescribeInstances|',
        '+------+-----------+',
        '|  i-1 |  running  |',
        '|  i-2 |  stopped  |',
        '+------+-----------+',
      ),
    );
  });

  it('prints sorted scalar keys as headers, and turns one-row tables into key/value rows when too wide', () => {
    const host = { Ok: true, CpuCount: 2, Accelerator: 'tcg' };
    expect(formatTable(host, 'DescribeHost', 80)).toBe(
      lines(
        '-------------------------------------',
        '|           DescribeHost            |',
        '+--------------+------------+-------+',
        '|  Accelerator | CpuCount   |  Ok   |',
        '+--------------+------------+-------+',
        '|  tcg         |  2         |  True |',
        '+--------------+------------+-------+',
      ),
    );
    expect(formatTable(host, 'DescribeHost', 30)).toBe(
      lines(
        '-------------------------',
        '|     DescribeHost      |',
        '+--------------+--------+',
        '|  Accelerator |  tcg   |',
        '|  CpuCount    |  2     |',
        '|  Ok          |  True  |',
        '+--------------+--------+',
      ),
    );
  });

  it('counts wide characters as two columns', () => {
    expect(formatTable({ Name: 'ＡＢ' }, 'X')).toBe(
      lines(
        '------------------',
        '|        X       |',
        '+-------+--------+',
        '|  Name |  ＡＢ  |',
        '+-------+--------+',
      ),
    );
  });

  it('shows only the title for an empty list, and nothing for an empty response', () => {
    expect(formatTable({ KeyPairs: [] }, 'DescribeKeyPairs')).toBe(
      lines('------------------', '|DescribeKeyPairs|', '+----------------+'),
    );
    expect(formatTable({}, 'RebootInstances')).toBe('');
    expect(formatTable([], 'DescribeInstances')).toBe('');
    expect(formatTable(null, 'DescribeInstances')).toBe('');
  });

  it('refuses, as aws-cli does, a list mixing values and lists of objects', () => {
    const tags = [{ Key: 'Name', Value: 'web' }];
    expect(() => formatTable([['i-1', tags]], 'DescribeInstances')).toThrow(CliFailure);
  });
});
