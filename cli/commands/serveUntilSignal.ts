// The gateway's lifecycle for `serve` and `dev`: start it on the reserved port, announce it, and
// close every connection and the server on SIGINT or SIGTERM.
import type { CliContext } from '../context.js'
import { createRouteSummary } from '../gateway/routeLog.js'
import type { Gateway } from '../gateway/startGateway.js'
import { listenError, type PortReservation } from '../port.js'
import type { GatewayArgs } from './gatewayFlags.js'
import { gatewaySettings } from './gatewaySettings.js'
import { announceReady } from './readyBanner.js'

export interface ServeOptions {
  /** The port held since the command began (see `reservePort`): freed just before listening. */
  reservation?: PortReservation
  /** More to print when ready (`dev`: its setup steps, the DynamoDB endpoint). */
  ready?: Record<string, unknown>
  /** Runs once the gateway listens, before "ready" is printed; what it returns is printed too. */
  started?: (gateway: Gateway) => Promise<Record<string, unknown>>
}

/**
 * Starts the gateway, prints where it listens (plus `ready` and what `started` returns, for
 * `dev`), and runs until SIGINT or SIGTERM; then closes every connection and the server before
 * returning.
 */
export async function serveUntilSignal(
  context: CliContext,
  args: GatewayArgs,
  { reservation, ready: extra = {}, started }: ServeOptions = {},
): Promise<void> {
  const { output, documentClient, tableName } = context
  // The gateway pulls in ws and every handler: load it only for the commands that run it.
  const { startGateway } = await import('../gateway/startGateway.js')
  const log = (line: string) => output.info(line)
  // Without --verbose the routes are counted, not listed: a chat page keeps sending frames.
  const summary = args.verbose ? undefined : createRouteSummary({ log })
  await reservation?.release()
  const port = reservation?.port ?? args.port
  // Read once (checkGatewayArgs refused a bad one before the command began); the port is the
  // one reserved above.
  const { port: _flagPort, ...settings } = gatewaySettings(args)
  const gateway = await startGateway({
    port,
    host: args.host,
    ...settings,
    allowedOrigins: args.allowOrigin?.map(String),
    allowedHosts: args.allowHost?.map(String),
    documentClient,
    tableName,
    log,
    route: summary && ((invocation) => summary.record(invocation)),
  }).catch((error: unknown) => {
    summary?.close()
    throw listenError(error, args.host, port)
  })
  // The summary's last line counts the $disconnects of the connections the close ends.
  const close = async () => {
    await gateway.close()
    summary?.close()
  }
  // Listening for the signal from the moment the gateway runs: a Ctrl-C while `started` works
  // still closes the gateway (and with it every connection) properly.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const stop = (received: NodeJS.Signals) => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve(received)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  let signalled: NodeJS.Signals | undefined
  let more: Record<string, unknown> = {}
  try {
    const first = await Promise.race([
      started?.(gateway),
      stopped.then((signal) => {
        signalled = signal
      }),
    ])
    more = first ?? {}
  } catch (error) {
    await close()
    throw error
  }
  if (signalled) {
    // Stopped before it was ready: nothing to announce.
    output.info(`${signalled}: closing the gateway`)
    await close()
    return
  }
  announceReady(output, { host: args.host, tableName, gateway, settings, extra: { ...extra, ...more } })
  const signal = await stopped
  output.info(`${signal}: closing the gateway`)
  await close()
}
