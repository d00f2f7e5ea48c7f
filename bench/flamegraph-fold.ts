/**
 * Folds a V8 CPU profile into a tree of stacks for bench/flamegraph.ts, and sums up where
 * the time went.
 */

/** The parts of a `.cpuprofile` that are used here. */
export interface CpuProfile {
  nodes: {
    id: number
    callFrame: { functionName: string; url: string; lineNumber: number }
    children?: number[]
  }[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

/** Where a frame's code lives: it picks the colour and groups the summary. */
export type FrameKind = 'ours' | 'dependency' | 'node' | 'v8'

export interface Frame {
  name: string
  kind: FrameKind
  /** Microseconds of CPU in this frame and everything it called. */
  total: number
  children: Map<string, Frame>
}

export interface Folded {
  root: Frame
  /** Microseconds of the window, and of them not idle. */
  wallUs: number
  busyUs: number
}

function label(frame: CpuProfile['nodes'][number]['callFrame']): { name: string; kind: FrameKind } {
  const fn = frame.functionName || '(anonymous)'
  const url = frame.url
  if (url === '') return { name: fn, kind: 'v8' }
  if (url.startsWith('node:')) return { name: `${fn} ${url.slice(5)}`, kind: 'node' }
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(
    url,
  )
  if (pkg !== null)
    return { name: `${fn} ${pkg[1]}/${pkg[2]}:${frame.lineNumber + 1}`, kind: 'dependency' }
  // tsx's transform leaves our own frames without line numbers: the file name says enough.
  const ours = /\/(packages\/.*|bench\/.*)$/.exec(url)?.[1] ?? url
  const line = frame.lineNumber > 0 ? `:${frame.lineNumber + 1}` : ''
  return { name: `${fn} ${ours}${line}`, kind: 'ours' }
}

/** The samples within `window` (all when undefined), folded by stack; `(idle)` left out. */
export function foldProfile(profile: CpuProfile, window?: readonly [number, number]): Folded {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id)
  const stacks = new Map<number, { name: string; kind: FrameKind }[]>()
  const stackOf = (id: number): { name: string; kind: FrameKind }[] => {
    let stack = stacks.get(id)
    if (stack === undefined) {
      stack = []
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const node = byId.get(at)!
        if (node.callFrame.functionName !== '(root)') stack.unshift(label(node.callFrame))
      }
      stacks.set(id, stack)
    }
    return stack
  }
  const [from, to] = window ?? [profile.startTime, profile.endTime]
  const root: Frame = { name: 'all', kind: 'v8', total: 0, children: new Map() }
  let t = profile.startTime
  let busyUs = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0
    t += delta
    if (t < from || t > to) continue
    const stack = stackOf(profile.samples[i]!)
    if (stack.length === 1 && stack[0]!.name === '(idle)') continue
    busyUs += delta
    root.total += delta
    let frame = root
    for (const { name, kind } of stack) {
      let child = frame.children.get(name)
      if (child === undefined) {
        child = { name, kind, total: 0, children: new Map() }
        frame.children.set(name, child)
      }
      child.total += delta
      frame = child
    }
  }
  return { root, wallUs: to - from, busyUs }
}

/** Self and inclusive time per frame name (inclusive counted once per stack), and per kind. */
export function summarise(folded: Folded): {
  wallMs: number
  busyMs: number
  busyPercent: number
  byKind: Record<FrameKind, number>
  topSelf: { frame: string; percent: number }[]
  topInclusive: { frame: string; percent: number }[]
} {
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const byKind: Record<FrameKind, number> = { ours: 0, dependency: 0, node: 0, v8: 0 }
  const walk = (frame: Frame, onStack: Set<string>): void => {
    const own = frame.total - [...frame.children.values()].reduce((sum, c) => sum + c.total, 0)
    self.set(frame.name, (self.get(frame.name) ?? 0) + own)
    byKind[frame.kind] += own
    if (!onStack.has(frame.name))
      inclusive.set(frame.name, (inclusive.get(frame.name) ?? 0) + frame.total)
    const next = new Set(onStack).add(frame.name)
    for (const child of frame.children.values()) walk(child, next)
  }
  for (const child of folded.root.children.values()) walk(child, new Set())
  const busy = folded.busyUs || 1
  const pct = (us: number): number => Math.round((us / busy) * 1000) / 10
  const top = (m: Map<string, number>): { frame: string; percent: number }[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 40)
      .map(([frame, us]) => ({ frame, percent: pct(us) }))
  return {
    wallMs: Math.round(folded.wallUs / 1000),
    busyMs: Math.round(folded.busyUs / 1000),
    busyPercent: Math.round((folded.busyUs / (folded.wallUs || 1)) * 1000) / 10,
    byKind: Object.fromEntries(Object.entries(byKind).map(([k, us]) => [k, pct(us)])) as Record<
      FrameKind,
      number
    >,
    topSelf: top(self),
    topInclusive: top(inclusive),
  }
}
