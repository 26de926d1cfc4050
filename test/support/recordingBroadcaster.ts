import type { ServerFrame } from '../../src/protocol/frames.js'
import type { Broadcaster, BroadcastReport, Delivery } from '../../src/service/types.js'

/** A Broadcaster that delivers into memory: frames per connection, in order. */
export function createRecordingBroadcaster(): Broadcaster & {
  framesFor(connectionId: string): ServerFrame[]
  clear(): void
} {
  const frames = new Map<string, ServerFrame[]>()
  return {
    async post(deliveries: readonly Delivery[]): Promise<BroadcastReport> {
      for (const { connectionId, frame } of deliveries) {
        frames.set(connectionId, [...(frames.get(connectionId) ?? []), frame])
      }
      return { delivered: deliveries.map((d) => d.connectionId), gone: [], failed: [] }
    },
    framesFor: (connectionId) => frames.get(connectionId) ?? [],
    clear: () => frames.clear(),
  }
}
