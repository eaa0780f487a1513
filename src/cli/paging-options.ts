import { Option, type Command } from 'commander';
import { CliFailure, UsageError } from './errors.js';
import type { PageRequest, PagingConfig } from './paginator.js';
import { pythonInt } from './paging-token.js';
import { INTEGER, STRING, type InputMember } from './request-shapes.js';

/**
 * aws-cli's paging options for a paginated operation (awscli/customizations/paginate.py):
 *
 * - by default every page is fetched and merged;
 * - `--max-items`, `--starting-token` and `--page-size` page on the client (aws' PaginationConfig);
 * - the operation's own `--max-results` / `--next-token` (hidden from help, as aws hides them)
 *   turn automatic paging off, as `--no-paginate` does, and are sent as they are;
 * - client paging options together with paging off are refused.
 *
 * From --cli-input-json, MaxResults and NextToken do not turn paging off (aws-cli v1): botocore
 * sends them on the first call and pages on from there.
 */

interface PagingOptions {
  startingToken?: string;
  pageSize?: string;
  maxItems?: string;
  maxResults?: string;
  nextToken?: string;
}

/** What to call: one page as asked, or every page through botocore's paginator. */
export type PagingPlan =
  | {
      readonly paginate: false;
      /** The request's paging fields, as the proto has them (0 and '': not given). */
      readonly request: { readonly maxResults: number; readonly nextToken: string };
    }
  | {
      readonly paginate: true;
      readonly request: PageRequest;
      readonly config: PagingConfig;
      /** What aws-cli writes on stderr before the first call. */
      readonly warning?: string;
    };

/**
 * Adds the paging options, in aws-cli's order; `items` names what --max-items counts (the
 * paginator's result key: reservations, not instances, for describe-instances).
 */
export function withPagingOptions(command: Command, items: string): Command {
  return command
    .option('--starting-token <token>', 'where to start: the NextToken of an earlier --max-items')
    .option('--page-size <n>', `${items} per call to kumod (MaxResults); the output is the same`)
    .option('--max-items <n>', `print at most N ${items}, then a NextToken to go on from`)
    .addOption(new Option('--max-results <n>', 'one call with MaxResults N (no paging)').hideHelp())
    .addOption(new Option('--next-token <token>', "one call from kumod's NextToken").hideHelp());
}

/** argparse's type=int, as aws-cli declares --page-size and --max-items. */
function argparseInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = pythonInt(value);
  if (n === undefined) throw new UsageError(`argument ${flag}: invalid int value: '${value}'`);
  return n;
}

/** botocore's integer parameter (MaxResults), as aws-cli converts it with int(). */
function integerParameter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = pythonInt(value);
  if (n === undefined)
    throw new UsageError(
      `Error parsing parameter '--max-results': invalid literal for int() with base 10: '${value}'`,
    );
  return n;
}

/** Decides how `command` pages, from its options and the global --no-paginate. */
export function pagingPlan(command: Command, paginateGlobally: boolean): PagingPlan {
  const o = command.opts<PagingOptions>();
  const typed = (key: 'maxResults' | 'nextToken') =>
    command.getOptionValueSource(key) === 'cli' && o[key] !== undefined;
  const paginate = paginateGlobally && !typed('maxResults') && !typed('nextToken');
  const config: PagingConfig = {
    startingToken: o.startingToken,
    pageSize: argparseInt(o.pageSize, '--page-size'),
    maxItems: argparseInt(o.maxItems, '--max-items'),
  };
  const maxResults = integerParameter(o.maxResults);
  if (!paginate) {
    const used = (
      [
        ['--starting-token', config.startingToken],
        ['--page-size', config.pageSize],
        ['--max-items', config.maxItems],
      ] as const
    ).filter(([, v]) => v !== undefined);
    if (used.length > 0)
      throw new CliFailure(
        `Error during pagination: Cannot specify --no-paginate along with pagination arguments: ${used.map(([flag]) => flag).join(', ')}`,
      );
    return { paginate, request: { maxResults: maxResults ?? 0, nextToken: o.nextToken ?? '' } };
  }
  const request: PageRequest = {};
  if (maxResults !== undefined) request.MaxResults = maxResults;
  if (o.nextToken !== undefined) request.NextToken = o.nextToken;
  const warning =
    config.maxItems !== undefined && config.maxItems <= 0
      ? 'warning: Non-positive values for --max-items may result in undefined behavior.\n'
      : undefined;
  return { paginate, request, config, ...(warning === undefined ? {} : { warning }) };
}

/** The paging members of a request, for --cli-input-json (their order differs per operation). */
export const MAX_RESULTS: InputMember = {
  name: 'MaxResults',
  shape: INTEGER,
  option: 'maxResults',
};
export const NEXT_TOKEN: InputMember = { name: 'NextToken', shape: STRING, option: 'nextToken' };
