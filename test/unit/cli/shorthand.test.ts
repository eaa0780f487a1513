import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseShorthand } from '../../../src/cli/shorthand.js';
import {
  parseAttributeValue,
  parseCount,
  parseFilters,
  parseTagSpecifications,
} from '../../../src/cli/structured-params.js';
import { UsageError } from '../../../src/cli/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'kumo-cli-shorthand-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseShorthand', () => {
  it('reads key=value pairs, trailing value lists, nested lists and structs', () => {
    expect(parseShorthand('Name=instance-state-name,Values=running,stopped')).toEqual({
      Name: 'instance-state-name',
      Values: ['running', 'stopped'],
    });
    expect(
      parseShorthand('ResourceType=instance,Tags=[{Key=Name,Value=web},{Key=env,Value=ci}]'),
    ).toEqual({
      ResourceType: 'instance',
      Tags: [
        { Key: 'Name', Value: 'web' },
        { Key: 'env', Value: 'ci' },
      ],
    });
    expect(parseShorthand('Values=[a,b],Name=x')).toEqual({ Values: ['a', 'b'], Name: 'x' });
    expect(parseShorthand('Tags=[]')).toEqual({ Tags: [] });
  });

  it('keeps quoted and escaped commas, spaces and = inside values', () => {
    expect(parseShorthand('Name=tag:Name,Values="a,b",c')).toEqual({
      Name: 'tag:Name',
      Values: ['a,b', 'c'],
    });
    expect(parseShorthand("Value='x y'")).toEqual({ Value: 'x y' });
    expect(parseShorthand('Value=a\\,b')).toEqual({ Value: 'a,b' });
    expect(parseShorthand('Value=k=v')).toEqual({ Value: 'k=v' });
    expect(parseShorthand(' Name = x , Values = y ')).toEqual({ Name: 'x', Values: 'y' });
  });

  it('says where the syntax breaks', () => {
    expect(() => parseShorthand('Name')).toThrow("expected '=' after 'Name' at the end");
    expect(() => parseShorthand('Tags=[{Key=a')).toThrow("expected ',' or '}' at the end");
    expect(() => parseShorthand('Values=[a,b')).toThrow("expected ',' or ']' at the end");
    expect(() => parseShorthand('Name=a]')).toThrow("unexpected ']' at position 7");
    expect(() => parseShorthand('Value="abc')).toThrow('unterminated " quote at the end');
    expect(() => parseShorthand('=x')).toThrow('expected a key at position 1');
  });
});

describe('parseFilters', () => {
  it('takes shorthand (one filter per argument) and JSON lists', () => {
    expect(
      parseFilters([
        'Name=instance-state-name,Values=running,stopped',
        'Name=tag:env,Values=ci',
        '[{"Name":"instance-type","Values":["t3.micro"]},{"Name":"vpc-id","Values":[]}]',
      ]),
    ).toEqual([
      { name: 'instance-state-name', values: ['running', 'stopped'] },
      { name: 'tag:env', values: ['ci'] },
      { name: 'instance-type', values: ['t3.micro'] },
      { name: 'vpc-id', values: [] },
    ]);
    expect(parseFilters(undefined)).toEqual([]);
  });

  it('reads file:// parameter files', () => {
    const file = join(dir, 'filters.json');
    writeFileSync(file, '[{"Name":"image-id","Values":["ami-1"]}]\n');
    expect(parseFilters([`file://${file}`])).toEqual([{ name: 'image-id', values: ['ami-1'] }]);
  });

  it('refuses unknown keys, missing names, bad JSON and non-string values', () => {
    expect(() => parseFilters(['Name=a,Vals=b'])).toThrow(
      "Error parsing parameter '--filters': unknown key 'Vals' (expected Name, Values)",
    );
    expect(() => parseFilters(['Values=a'])).toThrow('each filter needs a Name');
    expect(() => parseFilters(['[{"Name":"a","Values":[1,{}]}]'])).toThrow(
      'each of Values must be a string',
    );
    expect(() => parseFilters(['[{"Name":"a",]'])).toThrow(
      /^Error parsing parameter '--filters': Invalid JSON: /,
    );
    expect(() => parseFilters(['["x"]'])).toThrow('expected a JSON object, got "x"');
    expect(() => parseFilters(['Name=a,Values=[b'])).toThrow(UsageError);
  });
});

describe('parseTagSpecifications', () => {
  it('takes shorthand and JSON, with an empty Value allowed as in EC2', () => {
    expect(
      parseTagSpecifications([
        'ResourceType=instance,Tags=[{Key=Name,Value=web},{Key=env,Value=ci}]',
        '[{"ResourceType":"key-pair","Tags":[{"Key":"a","Value":"b"},{"Key":"empty"}]}]',
      ]),
    ).toEqual([
      {
        resourceType: 'instance',
        tags: [
          { key: 'Name', value: 'web' },
          { key: 'env', value: 'ci' },
        ],
      },
      {
        resourceType: 'key-pair',
        tags: [
          { key: 'a', value: 'b' },
          { key: 'empty', value: '' },
        ],
      },
    ]);
  });

  it('refuses tags that are not Key/Value structs', () => {
    expect(() => parseTagSpecifications(['ResourceType=instance,Tags=[a,b]'])).toThrow(
      "Error parsing parameter '--tag-specifications': each tag must be {Key=...,Value=...}",
    );
    expect(() => parseTagSpecifications(['ResourceType=instance,Tags=[{Kee=a}]'])).toThrow(
      "unknown key 'Kee' (expected Key, Value)",
    );
    expect(() => parseTagSpecifications(['ResourceType=instance,Tags=[{Value=a}]'])).toThrow(
      'each tag needs a Key',
    );
    expect(() => parseTagSpecifications(['Resource=instance'])).toThrow(
      "unknown key 'Resource' (expected ResourceType, Tags)",
    );
  });
});

describe('parseAttributeValue and parseCount', () => {
  it('accepts T, Value=T and {"Value":"T"}', () => {
    expect(parseAttributeValue('t3.small', '--instance-type')).toBe('t3.small');
    expect(parseAttributeValue('Value=t3.small', '--instance-type')).toBe('t3.small');
    expect(parseAttributeValue('{"Value":"t3.small"}', '--instance-type')).toBe('t3.small');
    expect(() => parseAttributeValue('{"Val":"x"}', '--instance-type')).toThrow(
      "Error parsing parameter '--instance-type': unknown key 'Val' (expected Value)",
    );
  });

  it('reads N and MIN:MAX, leaving range checks to the daemon', () => {
    expect(parseCount('2')).toEqual({ minCount: 2, maxCount: 2 });
    expect(parseCount('1:3')).toEqual({ minCount: 1, maxCount: 3 });
    expect(parseCount('0')).toEqual({ minCount: 0, maxCount: 0 });
    expect(() => parseCount('two')).toThrow(
      "Error parsing parameter '--count': expected N or MIN:MAX, got 'two'",
    );
    expect(() => parseCount('1:')).toThrow(UsageError);
    expect(() => parseCount('-1')).toThrow(UsageError);
  });
});
