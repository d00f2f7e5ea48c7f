import { fromWireError, type TabContext, type TabRole } from './cross-tab-messages.js'

/**
 * A tab that does not lead: it sends its record set (with `since`) to the leader whenever
 * the set changes or a new leader announces itself, and applies what the leader broadcasts.
 * `announced` is false until this tab holds its own per-tab lock: the leader watches that
 * lock as soon as it hears from the tab.
 */
export function createFollower(ctx: TabContext, isAnnounced: () => boolean): TabRole {
  const announce = (): void => {
    if (isAnnounced()) ctx.post({ t: 'subs', tab: ctx.tab, subs: ctx.host.subscriptions() })
  }
  return {
    onMessage(message) {
      switch (message.t) {
        case 'leader':
          return announce()
        case 'event':
          return ctx.host.deliver(message.event)
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
