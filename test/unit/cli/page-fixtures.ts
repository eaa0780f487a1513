/**
 * Pages as kumod answers the paginated describe calls (ts-proto partials): items numbered from
 * 1, and the NextToken of the page. Shared by the tests that page through a fake kumod.
 */

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

const LAUNCH = new Date('2026-01-02T03:04:05Z');

/** Reservation n, with one instance i-n (a tag with an empty value, as EC2 prints one). */
export const reservation = (n: number) => ({
  reservationId: `r-${n}`,
  ownerId: 'kumo',
  instances: [
    {
      instanceId: `i-${n}`,
      instanceType: 't3.micro',
      state: { code: 16, name: 'running' },
      launchTime: LAUNCH,
      tags: [
        { key: 'Name', value: `web-${n}` },
        { key: 'empty', value: '' },
      ],
    },
  ],
});

export const reservationsPage = (from: number, to: number, nextToken = '') => ({
  reservations: range(from, to).map(reservation),
  nextToken,
});

export const imagesPage = (from: number, to: number, nextToken = '') => ({
  images: range(from, to).map((n) => ({
    imageId: `ami-${n}`,
    name: `image-${n}`,
    state: 'available',
    ownerId: 'kumo',
    sizeInBytes: n * 1024,
  })),
  nextToken,
});

export const instanceTypesPage = (from: number, to: number, nextToken = '') => ({
  instanceTypes: range(from, to).map((n) => ({
    instanceType: `t${n}.micro`,
    vCpuInfo: { defaultVcpus: n },
    memoryInfo: { sizeInMib: 512 * n },
    currentGeneration: true,
  })),
  nextToken,
});

export const instanceStatusesPage = (from: number, to: number, nextToken = '') => ({
  instanceStatuses: range(from, to).map((n) => ({
    instanceId: `i-${n}`,
    availabilityZone: 'kumo-local-1a',
    instanceState: { code: 16, name: 'running' },
    instanceStatus: { status: 'ok', details: [{ name: 'reachability', status: 'passed' }] },
    systemStatus: { status: 'ok', details: [{ name: 'reachability', status: 'passed' }] },
  })),
  nextToken,
});
