import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { renderOutput } from './output.js';
import { fullResult, PageIterator, type Page } from './paginator.js';
import type { Paginator } from './paginators.js';
import { toPascalCase } from './pascal-case.js';
import { pagingPlan } from './paging-options.js';

/** The paging fields of a kumod request (proto3: 0 and '' mean not given). */
export interface ProtoPage {
  readonly maxResults: number;
  readonly nextToken: string;
}

/**
 * Runs a paginated describe command as aws-cli does and prints the result: one call with
 * --no-paginate (or --max-results / --next-token), else every page through botocore's paginator,
 * merged for --output json and table, and printed page by page for --output text (as aws-cli's
 * text formatter does, --query applied to each page).
 */
export async function callPaged(
  ctx: CliContext,
  command: Command,
  paginator: Paginator,
  call: (page: ProtoPage) => Promise<unknown>,
): Promise<void> {
  const { operation, resultKey } = paginator;
  const plan = pagingPlan(command, ctx.options.paginate);
  // A sample response (--generate-cli-skeleton output) is one page, as aws-cli prints it.
  if (!plan.paginate || ctx.sampleResponses) {
    const request = plan.paginate ? { maxResults: 0, nextToken: '' } : plan.request;
    return ctx.print(operation, await call(request));
  }
  if (plan.warning !== undefined) ctx.io.stderr(plan.warning);
  const fetch = async (request: { MaxResults?: number; NextToken?: string }) =>
    toPascalCase(
      await call({ maxResults: request.MaxResults ?? 0, nextToken: request.NextToken ?? '' }),
    ) as Page;
  const iterator = new PageIterator(fetch, resultKey, plan.request, plan.config);
  const { output, query } = ctx.options;
  if (output !== 'text') return ctx.printShaped(operation, await fullResult(iterator, resultKey));
  // aws-cli's TextFormatter: each page's items as they come, then the token to resume from.
  const print = (value: unknown) =>
    ctx.io.stdout(renderOutput(value, { format: 'text', operation, query }));
  for await (const page of iterator.pages()) print({ [resultKey]: page[resultKey] });
  if (iterator.resumeToken !== undefined) print({ NextToken: { NextToken: iterator.resumeToken } });
}
