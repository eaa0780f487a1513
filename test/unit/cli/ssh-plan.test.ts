import { describe, expect, it } from 'vitest';
import { CliFailure } from '../../../src/cli/errors.js';
import {
  buildSshArgv,
  findIdentityFile,
  planSsh,
  type SshEnvironment,
  type SshRequest,
} from '../../../src/cli/ssh-plan.js';
import { Instance } from '../../../src/gen/kumo/v1/instances.js';

const running = Instance.fromPartial({
  instanceId: 'i-0123456789abcdef0',
  keyName: 'me',
  state: { code: 16, name: 'running' },
  privateIpAddress: '172.31.0.5',
  publicIpAddress: '100.80.0.5',
  defaultUser: 'alpine',
});

const request: SshRequest = { usePrivate: false, sshOptions: [], command: [] };

const env = (files: string[] = [], keyFromEnv?: string): SshEnvironment => ({
  keyFromEnv,
  cwd: '/work',
  home: '/home/u',
  exists: (p) => files.includes(p),
});

const HOST_KEY_OPTIONS = [
  '-o',
  'HostKeyAlias=i-0123456789abcdef0',
  '-o',
  'UserKnownHostsFile=/home/u/.config/kumo/known_hosts',
  '-o',
  'StrictHostKeyChecking=accept-new',
];

describe('kumo ssh', () => {
  it('checks the host key strictly once it is pinned from the console', () => {
    const argv = buildSshArgv({ ...planSsh(running, request, env()), hostKeyChecking: 'yes' });
    expect(argv).toContain('StrictHostKeyChecking=yes');
    expect(argv).not.toContain('StrictHostKeyChecking=accept-new');
  });

  it('connects interactively to the public IP as the image user, host key pinned to the id', () => {
    expect(buildSshArgv(planSsh(running, request, env()))).toEqual([
      ...HOST_KEY_OPTIONS,
      '--',
      'alpine@100.80.0.5',
    ]);
  });

  it('runs a command in batch mode with -i, -l and user options first (ssh keeps the first)', () => {
    const argv = buildSshArgv(
      planSsh(
        running,
        {
          identityFile: 'me.pem',
          user: 'root',
          usePrivate: true,
          sshOptions: ['StrictHostKeyChecking=no', '-v'],
          command: ['cat', '/root/hello.txt'],
        },
        env(),
      ),
    );
    expect(argv).toEqual([
      '-o',
      'StrictHostKeyChecking=no',
      '-v',
      '-i',
      'me.pem',
      ...HOST_KEY_OPTIONS,
      '-o',
      'ConnectTimeout=10',
      '-o',
      'BatchMode=yes',
      '--',
      'root@172.31.0.5',
      'cat',
      '/root/hello.txt',
    ]);
  });

  it('falls back to the private IP and to root', () => {
    const noPublic = { ...running, publicIpAddress: '', defaultUser: '' };
    const t = planSsh(noPublic, request, env());
    expect([t.address, t.user]).toEqual(['172.31.0.5', 'root']);
  });

  it('finds the key: -i, then KUMO_SSH_KEY, then <KeyName>.pem in ./, ~/.ssh, ~/.config/kumo/keys', () => {
    const all = ['/work/me.pem', '/home/u/.ssh/me.pem', '/home/u/.config/kumo/keys/me.pem'];
    expect(findIdentityFile('me', 'given.pem', env(all, '/env.pem'))).toBe('given.pem');
    expect(findIdentityFile('me', undefined, env(all, '/env.pem'))).toBe('/env.pem');
    expect(findIdentityFile('me', undefined, env(all))).toBe('/work/me.pem');
    expect(findIdentityFile('me', undefined, env(all.slice(1)))).toBe('/home/u/.ssh/me.pem');
    expect(findIdentityFile('me', undefined, env(all.slice(2)))).toBe(
      '/home/u/.config/kumo/keys/me.pem',
    );
    expect(findIdentityFile('me', undefined, env())).toBeUndefined();
    expect(findIdentityFile('', undefined, env(['/work/.pem']))).toBeUndefined();
    expect(planSsh(running, request, env(['/home/u/.ssh/me.pem'])).identityFile).toBe(
      '/home/u/.ssh/me.pem',
    );
  });

  it('refuses an instance that is not running, in one line that says what to do', () => {
    const stopped = { ...running, state: { code: 80, name: 'stopped' } };
    expect(() => planSsh(stopped, request, env())).toThrow(CliFailure);
    expect(() => planSsh(stopped, request, env())).toThrow(
      'Instance i-0123456789abcdef0 is stopped, not running; start it with: kumo start-instances --instance-ids i-0123456789abcdef0',
    );
    const pending = { ...running, state: { code: 0, name: 'pending' } };
    expect(() => planSsh(pending, request, env())).toThrow(
      'Instance i-0123456789abcdef0 is pending, not running; wait for it with: kumo wait instance-running --instance-ids i-0123456789abcdef0',
    );
    const noIp = { ...running, publicIpAddress: '', privateIpAddress: '' };
    expect(() => planSsh(noIp, request, env())).toThrow('has no IP address yet');
  });
});
