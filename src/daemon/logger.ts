import type { Logger } from '../core/logger.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

/**
 * Bounds on one log line. Fields often carry client input (a filter value, an instance type) or
 * host output (stderr, stacks); a fuzzer's 33,000-character filter value once wrote 1 MB to the
 * log per call. Longer strings are cut (keeping their length), long lists shortened, deep objects
 * summarised, so a line stays readable and a client cannot fill the disk through the log.
 */
export const LOG_LIMITS = { stringChars: 4096, listItems: 20, depth: 4 } as const;

/** A copy of a log field within LOG_LIMITS. */
export function boundField(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    return value.length > LOG_LIMITS.stringChars
      ? `${value.slice(0, LOG_LIMITS.stringChars)}… (${value.length} characters)`
      : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (depth >= LOG_LIMITS.depth) return Array.isArray(value) ? '[…]' : '{…}';
  if (Array.isArray(value)) {
    const shown = value.slice(0, LOG_LIMITS.listItems).map((v) => boundField(v, depth + 1));
    return value.length > LOG_LIMITS.listItems
      ? [...shown, `… and ${value.length - LOG_LIMITS.listItems} more`]
      : shown;
  }
  if (value instanceof Error) return boundField(value.stack ?? value.message, depth);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = boundField(v, depth + 1);
  return out;
}

/** JSON lines on stderr: one object per event, easy to grep and to ship to a log system. */
export function jsonLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const emit =
    (lvl: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (LEVELS[lvl] < LEVELS[level]) return;
      const bounded = fields === undefined ? {} : (boundField(fields) as Record<string, unknown>);
      write(
        JSON.stringify({
          time: new Date().toISOString(),
          level: lvl,
          msg: boundField(msg),
          ...bounded,
        }) + '\n',
      );
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
