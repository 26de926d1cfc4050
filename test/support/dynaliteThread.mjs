// One dynalite on its own thread (started by test/support/globalSetup.ts, one per vitest worker):
// posts the port it listens on, then serves until the thread is terminated.
import { parentPort } from 'node:worker_threads'
import dynalite from 'dynalite'

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
server.listen(0, '127.0.0.1', () => parentPort?.postMessage(server.address().port))
