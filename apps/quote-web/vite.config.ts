import { defineConfig, defaultClientConditions } from 'vite'
import type { ProxyOptions } from 'vite'
import react from '@vitejs/plugin-react'

// scripts/demo.mjs sets these; the defaults match it, so `pnpm vite` alone works too.
const host = process.env['DEMO_HOST'] ?? '127.0.0.1'
const port = Number(process.env['DEMO_WEB_PORT'] ?? 5173)
const gatewayUrl = process.env['DEMO_GATEWAY_URL'] ?? 'http://127.0.0.1:4001'
const apiUrl = process.env['DEMO_API_URL'] ?? 'http://127.0.0.1:4002'

/**
 * The gateway's event stream, proxied. When the gateway dies mid-stream (kill -9), the
 * proxy would otherwise keep the browser's response open and the page would not notice;
 * ending it lets the client reconnect at once.
 */
const streamProxy: ProxyOptions = {
  target: gatewayUrl,
  configure(proxy) {
    proxy.on('proxyRes', (proxyRes, _req, res) => {
      proxyRes.once('close', () => {
        if (!res.writableEnded) res.destroy()
      })
    })
  },
}

export default defineConfig({
  plugins: [react()],
  resolve: {
    // Use the workspace packages from source (and core's browser-safe entry).
    conditions: ['@fdb-live/source', ...defaultClientConditions],
  },
  optimizeDeps: {
    // Pre-bundle up front, so that the first page load never triggers a reload.
    include: [
      'react',
      'react/jsx-runtime',
      'react/jsx-dev-runtime',
      'react-dom/client',
      '@tanstack/react-query',
    ],
  },
  server: {
    host,
    port,
    strictPort: true,
    proxy: { '/api': apiUrl, '/v1': streamProxy },
  },
  preview: { host, port, strictPort: true, proxy: { '/api': apiUrl, '/v1': streamProxy } },
})
