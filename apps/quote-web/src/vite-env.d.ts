/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** A gateway on another origin (it must allow this page's origin); default: this origin, via Vite's `/v1` proxy. */
  readonly VITE_GATEWAY_URL?: string
}
