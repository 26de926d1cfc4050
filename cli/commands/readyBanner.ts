// What `serve` and `dev` print once the gateway listens: where everything is, as a banner or as
// one JSON object (`--json`), and the warning of an operator view open beyond loopback.

import { limitForJson } from '../gateway/connectionLifetime.js'
import { isLoopbackHost } from '../gateway/requestGuard.js'
import type { Gateway } from '../gateway/startGateway.js'
import { cliInvocation } from '../invocation.js'
import type { Output } from '../output.js'
import type { GatewaySettings } from './gatewaySettings.js'
import { describeThrottle } from './throttleFlags.js'

export interface ReadyAnnouncement {
  host: string
  tableName: string
  gateway: Gateway
  settings: Omit<GatewaySettings, 'port'>
  /** More to print (`dev`: its setup steps, the DynamoDB endpoint, what `started` returned). */
  extra: Record<string, unknown>
}

/** Prints the ready banner (or its JSON) of a gateway that listens. */
export function announceReady(
  output: Output,
  { host, tableName, gateway, settings, extra }: ReadyAnnouncement,
): void {
  // The operator view reads the whole table for anyone who reaches the port: fine on loopback,
  // worth a warning anywhere else (the Lambda handlers never serve it).
  // Addresses only this machine can reach need no warning.
  const warnings = isLoopbackHost(host) ? [] : ['inspect.unauthenticated']
  if (warnings.length > 0) {
    output.info(
      `warning inspect.unauthenticated: listening on ${host}: the operator view (/inspect) has no authentication; anyone who can reach this port can read every room, member and message`,
    )
  }
  const sampleFrame = { action: 'subscribe', roomName: 'general', userName: 'ada' }
  const { largeRoomThreshold, largeRoomShards } = settings
  const ready = {
    ...extra,
    tableName,
    url: gateway.url,
    managementEndpoint: gateway.managementEndpoint,
    // The chat page the gateway serves on its own port (cli/gateway/webPage.ts).
    page: `${gateway.managementEndpoint}/`,
    // The read-only operator view on the same port (cli/gateway/inspectApi.ts).
    operatorView: `${gateway.managementEndpoint}/inspect`,
    warnings,
    // Infinity is not JSON: `off`, as the flag and the variable spell it.
    largeRooms: {
      threshold: Number.isFinite(largeRoomThreshold) ? largeRoomThreshold : 'off',
      shards: largeRoomShards,
      fanOutQueue: {
        visibilityTimeoutMs: gateway.fanOut.visibilityTimeoutMs,
        maxReceiveCount: gateway.fanOut.maxReceiveCount,
      },
    },
    // API Gateway's request limits the gateway enforces (docs/cli.md, "Request limits").
    limits: {
      account: describeThrottle(settings.accountThrottle),
      route: describeThrottle(settings.stageThrottle),
    },
    // API Gateway's connection limits as this gateway applies them: milliseconds, or `off`.
    connectionLimits: {
      idleTimeoutMs: limitForJson(settings.idleTimeoutMs),
      maxConnectionAgeMs: limitForJson(settings.maxConnectionAgeMs),
    },
    // The built-in client (`chatdb connect`): no download, and it reads a pipe as well as a terminal.
    connect: `${cliInvocation()} connect ${gateway.url}`,
    sampleFrame,
  }
  output.result(ready, (r) => {
    // What `dev` adds; `serve` has none of them.
    const { threshold, shards, fanOutQueue } = r.largeRooms
    const { demo, dynamoEndpoint, inspect } = r as {
      demo?: { members: number }
      dynamoEndpoint?: string
      inspect?: string
    }
    return [
      `gateway for table "${r.tableName}" listening on ${r.url} (@connections API: ${r.managementEndpoint})`,
      `chat page: ${r.page}   (open it in a browser)`,
      `operator:  ${r.operatorView}   (read-only view of the table)`,
      threshold === 'off'
        ? 'large rooms: off'
        : `large rooms: from ${threshold} subscribers, ${shards} shards, broadcast through the in-process fan-out queue (dead-lettered after ${fanOutQueue.maxReceiveCount} receives)`,
      `limits:    account ${r.limits.account}, each route ${r.limits.route} (API Gateway's; --account-rate, --stage-rate)`,
      ...(demo ? [`demo:      ${demo.members} users in the demo rooms, connected through this gateway`] : []),
      ...(dynamoEndpoint ? [`DynamoDB:  ${dynamoEndpoint}`] : []),
      ...(inspect ? [`inspect:   ${inspect}   (from another terminal, while this runs)`] : []),
      `connect:   ${r.connect}`,
      `then send: ${JSON.stringify(r.sampleFrame)}`,
      '           {"action":"sendMessage","roomName":"general","message":"hello"}',
      'Ctrl-C stops.',
    ].join('\n')
  })
}
