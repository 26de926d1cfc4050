import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A minimal local `@connections` endpoint for benchmarks: reads each POST body and answers 200
 * (204 for DELETE), so every variant pays the same HTTP cost per post. Counts posts.
 */
export async function startConnectionsSink() {
  let posts = 0
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      if (request.method === 'POST') posts++
      response.writeHead(request.method === 'DELETE' ? 204 : 200).end()
    })
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts: () => posts,
    reset: () => {
      posts = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
