import { readFileSync } from 'node:fs';

/** The machine's CPU time so far (all cores, in ticks), the part the hypervisor gave to other machines (steal), and the part no process used (idle, I/O wait). Linux only. */
export function cpuTicks(): { total: number; steal: number; idle: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { total: fields.slice(0, 8).reduce((sum, value) => sum + value, 0), steal: fields[7] ?? 0, idle: (fields[3] ?? 0) + (fields[4] ?? 0) };
  } catch {
    return undefined;
  }
}

/** The share of the cores' time stolen by the host between two readings (undefined where the system does not say). */
export function stolenShare(from: ReturnType<typeof cpuTicks>, to: ReturnType<typeof cpuTicks>): number | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  return (to.steal - from.steal) / (to.total - from.total);
}

/** The share of the cores' time no process used between two readings: near 0, every part of a phase waits for a core. */
export function idleShare(from: ReturnType<typeof cpuTicks>, to: ReturnType<typeof cpuTicks>): number | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  return (to.idle - from.idle) / (to.total - from.total);
}
