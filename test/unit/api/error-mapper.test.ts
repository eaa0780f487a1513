import { status, type Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { capMessage, MAX_MESSAGE_BYTES, toServiceError } from '../../../src/api/error-mapper.js';
import { internal, invalidParameter } from '../../../src/core/errors.js';
import type { Logger } from '../../../src/core/logger.js';

const logged: Record<string, unknown>[] = [];
const logger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
  error: (_m, f) => logged.push(f ?? {}),
};
const ec2Code = (m: Metadata | undefined) => m?.get('ec2-error-code')[0];

describe('the error mapper caps messages: C-core clients refuse trailers over 8 KiB', () => {
  it('passes short messages as they are', () => {
    expect(capMessage('The instance ID is bad')).toBe('The instance ID is bad');
  });

  it('cuts a long message to MAX_MESSAGE_BYTES of UTF-8, never inside a character', () => {
    for (const ch of ['x', 'é', '😀']) {
      const cut = capMessage(ch.repeat(9000));
      expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(cut.endsWith('… (message cut)')).toBe(true);
      expect(cut.replace('… (message cut)', '').replaceAll(ch, '')).toBe('');
    }
  });

  it('keeps the EC2 code of a domain error whose message had to be cut', () => {
    const e = toServiceError(invalidParameter(`Invalid value '${'t'.repeat(9000)}'`), 'M', logger);
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(ec2Code(e.metadata)).toBe('InvalidParameterValue');
    expect(Buffer.byteLength(e.details ?? '', 'utf8')).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  });

  it('keeps the reference id of an internal error, however long its message', () => {
    const e = toServiceError(internal('x'.repeat(20_000)), 'M', logger);
    expect(e.code).toBe(status.INTERNAL);
    expect(ec2Code(e.metadata)).toBe('InternalError');
    expect(e.details).toMatch(/reference [0-9a-f]{12}\); the kumod log has the details$/);
    expect(Buffer.byteLength(e.details ?? '', 'utf8')).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  });
});
