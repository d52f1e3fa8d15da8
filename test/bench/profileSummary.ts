import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: an npm package, a jobcast source file, Node's internals, or V8's pseudo-frames. */
function placeOf(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return frame.functionName; // (garbage collector), (idle), (program), (root)
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(frame.url);
  if (pkg) return pkg[1]!;
  const own = /\/((?:server|shared|test)\/.*)$/.exec(frame.url);
  if (own) return own[1]!;
  return frame.url.startsWith('node:') ? frame.url.split('/').slice(0, 2).join('/') : frame.url;
}

export interface ProfileSummary {
  /** Milliseconds of samples in the window. */
  totalMs: number;
  /** Share of the window per place, by self time (the code that was running). */
  self: Array<[string, number]>;
  /** Share of the window per place, counting a sample once for each place on its stack. */
  inclusive: Array<[string, number]>;
  /** The functions with the most self time. */
  functions: Array<[string, number]>;
  /** jobcast's own functions (server/, shared/) by inclusive time: what each costs with what it calls. */
  ownFunctions: Array<[string, number]>;
}

/** Summarizes a `.cpuprofile` between two monotonic times (µs), or all of it. */
export function summarizeProfile(path: string, window?: [number, number]): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const functions = new Map<string, number>();
  const ownFunctions = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  let at = profile.startTime;
  let totalUs = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index + 1] ?? 0; // time until the next sample: this one's duration
    at += profile.timeDeltas[index] ?? 0;
    if (window && (at < window[0] || at > window[1])) return;
    const node = byId.get(id)!;
    totalUs += delta;
    add(self, placeOf(node.callFrame), delta);
    add(functions, `${node.callFrame.functionName || '(anonymous)'} ${placeOf(node.callFrame)}:${node.callFrame.lineNumber + 1}`, delta);
    const places = new Set<string>();
    const own = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = byId.get(current)!.callFrame;
      const place = placeOf(frame);
      places.add(place);
      if (/^(server|shared)\//.test(place)) own.add(`${frame.functionName || '(anonymous)'} ${place}`);
    }
    for (const place of places) add(inclusive, place, delta);
    for (const fn of own) add(ownFunctions, fn, delta);
  });
  const top = (map: Map<string, number>, count: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([key, us]): [string, number] => [key, totalUs ? us / totalUs : 0]);
  return { totalMs: totalUs / 1_000, self: top(self, 20), inclusive: top(inclusive, 30), functions: top(functions, 30), ownFunctions: top(ownFunctions, 25) };
}
