/**
 * A child process for the store contract and the benchmark: opens the store that the
 * environment names and runs one command, printing one line per event on stdout.
 *
 *   FDB_LIVE_STORE_KIND=embedded FDB_LIVE_DATA_DIR=… (or =fdb with FDB_CLUSTER_FILE=…)
 *   node --conditions=@fdb-live/source --import tsx kv-child.ts <command> [args…]
 *
 * Commands (keys and values in hex):
 *   set <key> <value>        commit one write, print "done"
 *   clear <key>              commit one clear, print "done"
 *   increment <key> <n>      n transactions, each reading a decimal counter and writing +1
 *   watch <key>              read + watch in one transaction, print "armed <value|->",
 *                            then "fired <true|false>" when the watch settles
 *   idle <key>               arm and cancel a watch, then return WITHOUT closing the store:
 *                            the process must still exit (no handle keeps it alive)
 */
import { openStore } from '../open-store.js'
import type { KvStore } from '../kv/store.js'

const [command, hexKey = '', arg = ''] = process.argv.slice(2)
const key = Buffer.from(hexKey, 'hex')

/** Runs the command; resolves `false` when the store must be left open. */
async function main(store: KvStore): Promise<boolean> {
  switch (command) {
    case 'set':
      await store.transact((tx) => Promise.resolve(tx.set(key, Buffer.from(arg, 'hex'))))
      break
    case 'clear':
      await store.transact((tx) => Promise.resolve(tx.clear(key)))
      break
    case 'increment':
      for (let i = 0; i < Number(arg); i++) {
        await store.transact(async (tx) => {
          const value = await tx.get(key)
          tx.set(key, Buffer.from(String(Number(value?.toString() ?? '0') + 1)))
        })
      }
      break
    case 'watch': {
      const { value, watch } = await store.transact(async (tx) => ({
        value: await tx.get(key),
        watch: tx.watch(key),
      }))
      console.log(`armed ${value === undefined ? '-' : Buffer.from(value).toString('hex')}`)
      console.log(`fired ${String(await watch.changed)}`)
      break
    }
    case 'idle': {
      const watch = await store.transact((tx) => Promise.resolve(tx.watch(key)))
      watch.cancel()
      console.log(`cancelled ${String(await watch.changed)}`)
      return false
    }
    default:
      throw new Error(`kv-child: unknown command ${JSON.stringify(command)}`)
  }
  console.log('done')
  return true
}

const kind = process.env['FDB_LIVE_STORE_KIND'] === 'fdb' ? 'fdb' : 'embedded'
const store = await (kind === 'fdb' ? openStore({ kind }) : openStore({ kind, create: true }))
let close = true
try {
  close = await main(store)
} finally {
  if (close) await store.close()
}
