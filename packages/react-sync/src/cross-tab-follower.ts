import { fromWireError, type TabContext, type TabRole } from './cross-tab-messages.js'
import { listKey } from './query-key.js'
import { isCollectionEvent } from './sync-events.js'

/**
 * A tab that does not lead: it sends its record set (with `since`) to the leader whenever
 * the set changes or a new leader announces itself, and applies what the leader broadcasts.
 * `announced` is false until this tab holds its own per-tab lock: the leader watches that
 * lock as soon as it hears from the tab.
 *
 * A collection's broadcast events are applied only once the leader has sent this tab a
 * replay of it (`cross-tab-lists.ts`): before that, they continue from a version this tab
 * may not have.
 */
export function createFollower(ctx: TabContext, isAnnounced: () => boolean): TabRole {
  const joined = new Set<string>()
  const announce = (): void => {
    if (!isAnnounced()) return
    const subs = ctx.host.subscriptions()
    const lists = new Set(
      subs.filter((s) => s.id === undefined).map((s) => listKey(s.schema, s.where)),
    )
    for (const key of joined) if (!lists.has(key)) joined.delete(key)
    ctx.post({ t: 'subs', tab: ctx.tab, subs })
  }
  return {
    onMessage(message) {
      switch (message.t) {
        case 'leader':
          // A new leader holds nothing yet: it replays every collection to this tab again.
          joined.clear()
          return announce()
        case 'event': {
          const { event } = message
          const skip =
            isCollectionEvent(event) &&
            event.type !== 'collection-error' &&
            !joined.has(listKey(event.schema, event.where))
          if (!skip) ctx.host.deliver(event)
          return
        }
        case 'replay':
          if (message.tab !== ctx.tab) return
          for (const event of message.events) {
            joined.add(listKey(event.schema, event.where))
            ctx.host.deliver(event)
          }
          return
        case 'status':
          return ctx.host.status(message.status, fromWireError(message.lastError))
        case 'synced':
          return ctx.host.synced(message.keys)
        case 'opened':
          return ctx.host.opened(message.keys)
        case 'hello':
          return ctx.host.hello(message.epoch)
        default:
          return
      }
    },
    refresh: announce,
    close() {
      if (isAnnounced()) ctx.post({ t: 'bye', tab: ctx.tab })
    },
  }
}
