import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  CliFailure,
  describeFailure,
  formatServiceError,
  ServiceCallError,
  UsageError,
} from '../../../src/cli/errors.js';

function grpcError(code: status, details: string, ec2Code?: string): ServiceError {
  const metadata = new Metadata();
  if (ec2Code !== undefined) metadata.set('ec2-error-code', ec2Code);
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata,
  });
}

const ENDPOINT = 'unix:///run/kumo/kumo.sock';

describe('error lines', () => {
  it('prints service errors as aws-cli does, with the EC2 code from trailing metadata', () => {
    const e = grpcError(
      status.NOT_FOUND,
      "The instance ID 'i-00000000000000000' does not exist",
      'InvalidInstanceID.NotFound',
    );
    expect(formatServiceError('DescribeInstances', e)).toBe(
      "An error occurred (InvalidInstanceID.NotFound) when calling the DescribeInstances operation: The instance ID 'i-00000000000000000' does not exist",
    );
    expect(describeFailure(new ServiceCallError('DescribeInstances', e), ENDPOINT)).toEqual({
      line: "An error occurred (InvalidInstanceID.NotFound) when calling the DescribeInstances operation: The instance ID 'i-00000000000000000' does not exist",
      exitCode: 254,
    });
  });

  it('falls back to the gRPC status name and keeps the message on one line', () => {
    const e = grpcError(status.FAILED_PRECONDITION, 'first line\n  second line');
    expect(formatServiceError('StartInstances', e)).toBe(
      'An error occurred (FAILED_PRECONDITION) when calling the StartInstances operation: first line second line',
    );
  });

  it('says which endpoint could not be reached and what to do, exit 255', () => {
    const e = grpcError(
      status.UNAVAILABLE,
      'No connection established. Last error: Error: connect ENOENT /run/kumo/kumo.sock. Resolution note: ',
    );
    expect(describeFailure(new ServiceCallError('DescribeInstances', e), ENDPOINT)).toEqual({
      line:
        'Could not connect to kumod at unix:///run/kumo/kumo.sock: connect ENOENT /run/kumo/kumo.sock. ' +
        'Is kumod running? Start it (sudo systemctl start kumod) or point KUMO_ENDPOINT / --endpoint at its socket.',
      exitCode: 255,
    });
    const denied = grpcError(
      status.UNAVAILABLE,
      'No connection established. Last error: Error: connect EACCES /run/kumo/kumo.sock. Resolution note: ',
    );
    expect(describeFailure(new ServiceCallError('X', denied), ENDPOINT).line).toContain(
      'Is your user in the kumo group',
    );
  });

  it('treats UNAVAILABLE with an EC2 code as the service speaking, not as unreachable', () => {
    const e = grpcError(status.UNAVAILABLE, 'QMP is busy', 'ServiceUnavailable');
    expect(describeFailure(new ServiceCallError('RebootInstances', e), ENDPOINT)).toEqual({
      line: 'An error occurred (ServiceUnavailable) when calling the RebootInstances operation: QMP is busy',
      exitCode: 254,
    });
  });

  it('maps usage errors to 252 and other failures to 255', () => {
    expect(describeFailure(new UsageError('Bad value for --query x'), ENDPOINT)).toEqual({
      line: 'Bad value for --query x',
      exitCode: 252,
    });
    expect(describeFailure(new CliFailure('Waiter InstanceRunning failed: x'), ENDPOINT)).toEqual({
      line: 'Waiter InstanceRunning failed: x',
      exitCode: 255,
    });
    expect(describeFailure(new Error('boom\nat somewhere'), ENDPOINT)).toEqual({
      line: 'boom at somewhere',
      exitCode: 255,
    });
  });
});
