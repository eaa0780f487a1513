import si from 'systeminformation';

export interface HostFacts {
  readonly cpuCount: number;
  readonly cpuModel: string;
  readonly memoryTotalMib: number;
}

/** CPU and memory of the host, via systeminformation. */
export async function probeHost(): Promise<HostFacts> {
  const [cpu, mem] = await Promise.all([si.cpu(), si.mem()]);
  return {
    cpuCount: cpu.cores,
    cpuModel: `${cpu.manufacturer} ${cpu.brand}`.trim(),
    memoryTotalMib: Math.floor(mem.total / 1024 / 1024),
  };
}

/**
 * What guests may use: vCPUs overcommitted by a ratio (vCPUs are threads, often idle), memory not
 * overcommitted, minus a reserve for the host itself.
 */
export function guestCapacity(
  facts: HostFacts,
  opts: { cpuOvercommit: number; memoryReserveMib: number },
): { vcpus: number; memoryMib: number } {
  return {
    vcpus: Math.floor(facts.cpuCount * opts.cpuOvercommit),
    memoryMib: Math.max(0, facts.memoryTotalMib - opts.memoryReserveMib),
  };
}
