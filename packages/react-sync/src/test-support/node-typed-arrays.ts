/**
 * Vitest's jsdom environment replaces the global `Uint8Array` and `ArrayBuffer` with
 * jsdom's, so Node's own byte arrays (Buffer, TextEncoder, LMDB) fail `instanceof
 * Uint8Array` in the store the tests run in-process. Put Node's back: the browser side
 * (React, the client, fetch) does not depend on jsdom's typed arrays.
 */
import { Buffer } from 'node:buffer'

const nodeUint8Array = (Object.getPrototypeOf(Buffer.prototype) as Uint8Array)
  .constructor as Uint8ArrayConstructor
const nodeArrayBuffer = Buffer.alloc(1).buffer.constructor as ArrayBufferConstructor

Object.assign(globalThis, { Uint8Array: nodeUint8Array, ArrayBuffer: nodeArrayBuffer })
