import { randomBytes } from 'node:crypto'
import { pack } from 'fdb-tuple'
import type { Epoch } from '../epoch.js'
import { SyncError } from '../errors.js'
import type { KvTransaction } from '../kv/store.js'

const EPOCH_BYTES = 16

/**
 * The epoch's key: the tuple `(root, null, "epoch")` (docs/data-layout.md). The null
 * element (type code 0x00) sorts before every tenant (a string, 0x02), so no record key
 * can ever equal it or fall inside it.
 */
export function epochKey(root: string): Buffer {
  return pack([root, null, 'epoch'])
}

/**
 * The store's epoch under `root`, created in this transaction if absent ("read; if absent
 * write"): two first readers conflict, and the retried one reads the other's epoch.
 */
export async function readOrCreateEpoch(tx: KvTransaction, root: string): Promise<Epoch> {
  const key = epochKey(root)
  const stored = await tx.get(key)
  if (stored !== undefined) {
    if (stored.length !== EPOCH_BYTES) {
      throw new SyncError(
        'internal',
        `The store epoch at (${JSON.stringify(root)}, null, "epoch") has ${stored.length} bytes, not ${EPOCH_BYTES}.`,
      )
    }
    return Buffer.from(stored).toString('hex')
  }
  return writeNewEpoch(tx, root)
}

/**
 * Gives the store under `root` a new epoch, for after a restore from a backup: the backup
 * brought its old epoch back along with older versions, which clients must not trust.
 */
export function writeNewEpoch(tx: KvTransaction, root: string): Epoch {
  const created = randomBytes(EPOCH_BYTES)
  tx.set(epochKey(root), created)
  return created.toString('hex')
}
