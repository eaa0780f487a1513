import type { Command } from 'commander';
import {
  CreateTagsRequest,
  DeleteTagsRequest,
  DescribeTagsRequest,
} from '../../gen/kumo/v1/tags.js';
import type { CliContext } from '../context.js';
import {
  FILTER_PARAM,
  registerMappedCommand,
  type MappedCommandSpec,
  type MappedParam,
} from '../mapped-command.js';

const RESOURCES: MappedParam = {
  name: 'Resources',
  kind: 'list',
  required: true,
  help: 'resource ids (i-…, vol-…, sg-…, vpc-…)',
};

/** EC2's tagging calls, as aws-cli names them: create-tags, delete-tags, describe-tags. */
export function registerTagCommands(program: Command, ctx: CliContext): void {
  const tags = (c: CliContext) => c.clients.tags;
  const specs: MappedCommandSpec[] = [
    {
      command: 'create-tags',
      operation: 'CreateTags',
      description: 'Add or overwrite tags on resources (EC2 CreateTags)',
      params: [
        'DryRun',
        RESOURCES,
        { name: 'Tags', kind: 'tagList', required: true, help: 'Key=k,Value=v ... or JSON' },
      ],
      call: (c) => [tags(c).createTags.bind(tags(c)), CreateTagsRequest],
    },
    {
      command: 'delete-tags',
      operation: 'DeleteTags',
      description:
        'Delete tags from resources: a key alone whatever its value, a key with a value only when it matches, every tag when none is given (EC2 DeleteTags)',
      params: [
        'DryRun',
        RESOURCES,
        { name: 'Tags', kind: 'tagList', help: 'Key=k[,Value=v] ... or JSON' },
      ],
      call: (c) => [tags(c).deleteTags.bind(tags(c)), DeleteTagsRequest],
    },
    {
      command: 'describe-tags',
      operation: 'DescribeTags',
      description:
        'List the tags of resources; filters key, value, resource-id, resource-type, tag:<key> (EC2 DescribeTags)',
      params: ['DryRun', FILTER_PARAM, 'MaxResults', 'NextToken'],
      paged: 'DescribeTags',
      call: (c) => [tags(c).describeTags.bind(tags(c)), DescribeTagsRequest],
    },
  ];
  for (const spec of specs) registerMappedCommand(program, ctx, spec);
}
