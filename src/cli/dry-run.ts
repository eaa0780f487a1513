import type { Command } from 'commander';
import { BOOLEAN, type InputMember } from './request-shapes.js';

/**
 * EC2's DryRun, on every call kumod can check without acting (the mutating ones): kumod answers
 * a request that would succeed with the error DryRunOperation, which the CLI prints as aws-cli
 * prints any service error, and one that would fail with that failure.
 */
export const DRY_RUN: InputMember = { name: 'DryRun', shape: BOOLEAN, option: 'dryRun' };

/** aws-cli's `--dry-run | --no-dry-run` pair; the last one given wins. */
export function withDryRun(command: Command): Command {
  return command
    .option('--dry-run', 'check the request and change nothing (answers DryRunOperation)')
    .option('--no-dry-run', 'make the change (the default)');
}

/** The request's dry_run field from the parsed options. */
export const isDryRun = (o: { readonly dryRun?: boolean }): boolean => o.dryRun === true;
