import { describe, expect, it } from 'vitest';
import { chooseCgroupLayout, parseCgroupMounts } from '../../../src/host/cgroup-probe.js';

// Real mountinfo lines (trimmed to the cgroup ones plus a neighbour) from the hosts kumo meets.
const HYBRID_V1 = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;

const COMOUNTED_V1 = `25 22 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
28 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct
29 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,memory`;

const UNIFIED_V2 = `26 23 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot`;

// `ip netns exec` (and many containers) mount a fresh sysfs: no cgroup file system at all.
const REMOUNTED_SYS = `22 1 254:0 / / rw,relatime - ext4 /dev/vda rw
500 22 0:60 / /sys rw,relatime - sysfs sysfs rw`;

const ESCAPED = `40 31 0:38 / /mnt/with\\040space rw - cgroup2 cgroup2 rw`;

describe('cgroup probe', () => {
  it('finds v1 cpu and memory on a hybrid host and ignores its empty v2', () => {
    const mounts = parseCgroupMounts(HYBRID_V1);
    expect(mounts.v2).toEqual(['/sys/fs/cgroup/unified']);
    expect(chooseCgroupLayout(mounts, () => [])).toEqual({
      version: 'v1',
      cpu: '/sys/fs/cgroup/cpu',
      memory: '/sys/fs/cgroup/memory',
    });
  });

  it('uses a co-mounted cpu,cpuacct hierarchy where it is mounted, not where a link points', () => {
    expect(chooseCgroupLayout(parseCgroupMounts(COMOUNTED_V1), () => [])).toEqual({
      version: 'v1',
      cpu: '/sys/fs/cgroup/cpu,cpuacct',
      memory: '/sys/fs/cgroup/memory',
    });
  });

  it('prefers v2 where its root offers cpu and memory', () => {
    const layout = chooseCgroupLayout(parseCgroupMounts(UNIFIED_V2), () => [
      'cpuset',
      'cpu',
      'io',
      'memory',
      'pids',
    ]);
    expect(layout).toEqual({ version: 'v2', root: '/sys/fs/cgroup' });
  });

  it('refuses a v2 root without the memory controller, naming what it found', () => {
    const layout = chooseCgroupLayout(parseCgroupMounts(UNIFIED_V2), () => ['cpu', 'pids']);
    expect(layout).toMatchObject({
      missing: expect.stringContaining('v2 at /sys/fs/cgroup (cpu pids)'),
    });
  });

  it('says there is no cgroup mount at all under a remounted /sys', () => {
    const layout = chooseCgroupLayout(parseCgroupMounts(REMOUNTED_SYS), () => []);
    expect(layout).toMatchObject({ missing: expect.stringContaining('no cgroup mounts at all') });
  });

  it('unescapes mount points', () => {
    expect(parseCgroupMounts(ESCAPED).v2).toEqual(['/mnt/with space']);
  });
});
