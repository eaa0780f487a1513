import { createTags, deleteTags, describeTags, sortKey } from '../compute/resource-tags.js';
import { dryRunOperation, unavailable } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { TagsServer } from '../gen/kumo/v1/tags.js';
import type { ApiContext } from './context.js';
import { toFilters } from './convert.js';
import { paginate, PAGE_LIMITS } from './pagination.js';
import { unary } from './unary.js';

/** The Tags service: EC2's CreateTags, DeleteTags and DescribeTags over every taggable record. */
export function tagsHandlers(ctx: ApiContext, logger: Logger): TagsServer {
  const handle: typeof unary = (method, log, fn) => unary(method, log, fn, ctx.shutdownSignal);
  const deps = () => {
    if (!ctx.tags) throw unavailable('This kumod does not serve the tagging calls');
    return ctx.tags;
  };
  return {
    createTags: handle('CreateTags', logger, async (req) => {
      await createTags(deps(), {
        resources: req.resources,
        tags: req.tags.map((t) => ({ key: t.key, value: t.value })),
        dryRun: req.dryRun,
      });
      return {};
    }),
    deleteTags: handle('DeleteTags', logger, async (req) => {
      await deleteTags(deps(), {
        resources: req.resources,
        tags: req.tags.map((t) => ({ key: t.key, value: t.value })),
        dryRun: req.dryRun,
      });
      return {};
    }),
    describeTags: handle('DescribeTags', logger, (req) => {
      const found = describeTags(deps().resources, toFilters(req.filters));
      if (req.dryRun) throw dryRunOperation();
      const { page, nextToken } = paginate(
        PAGE_LIMITS.describeTags,
        {
          maxResults: req.maxResults,
          nextToken: req.nextToken,
          idCount: 0,
          query: [req.filters],
        },
        found,
        sortKey,
      );
      return {
        tags: page.map((d) => ({
          key: d.key,
          value: d.value,
          resourceId: d.resourceId,
          resourceType: d.resourceType,
        })),
        nextToken,
      };
    }),
  };
}
