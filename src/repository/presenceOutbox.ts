import { randomUUID } from 'node:crypto'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { DeleteItemCommand } from 'dynamodb-toolbox/entity/actions/delete'
import { $add, $get, UpdateItemCommand } from 'dynamodb-toolbox/entity/actions/update'
import { createPresenceOutboxEntity } from '../entities/presenceOutbox.js'
import { createTable } from '../table.js'
import { conditionHeld, ifConditionHeld } from './conditionalCheck.js'

/** What a departure from a big room became (see {@link createPresenceOutbox}). */
export type BurstPart =
  /**
   * Another leaver holds the burst: it announces this departure and settles the room.
   * `displaced`: this leaver held it but its delete was refused (see `take`): it should settle
   * the room itself, in case the refusal was its own delete, resent.
   */
  | { holder: false; displaced?: true }
  /** This leaver held the burst: `userNames` left the room in it (its own included). */
  | { holder: true; userNames: string[] }

export interface PresenceOutboxOptions {
  documentClient: DynamoDBDocumentClient
  tableName: string
  now: () => number
  /** How long the holder collects departures before it takes them (ms). */
  windowMs: number
  /** A burst whose holder has held it longer than this (ms) is taken over by the next leaver. */
  leaseMs: number
  /** How the holder waits out the window (tests pass their own). */
  sleep: (ms: number) => Promise<void>
}

/**
 * The presence outbox of big rooms: `$disconnect` storms coalesced into one read of the room and
 * one presence frame per burst, instead of one of each per leaver (docs/data-model.md,
 * "Disconnect storms", has the argument in full).
 *
 * The outbox is one `PresenceOutbox` entity item per room (src/entities/presenceOutbox.ts).
 * A leaver whose subscription is already deleted adds its user name to the room's outbox item,
 * and the first one of a burst becomes its holder, in one UpdateItem. The holder waits
 * `windowMs`, then deletes the item on condition it still holds it, getting back every name
 * that was added: each of those leavers deleted its subscription before its UpdateItem, which
 * came before this delete, so the holder's next read of the room (after the delete) sees every
 * departure it announces. A leaver after the delete starts the next burst.
 *
 * @example
 * const outbox = createPresenceOutbox({ documentClient, tableName, now: Date.now, windowMs: 250, leaseMs: 3_500, sleep })
 * const part = await outbox.leave('general', 'ada')
 * if (part.holder) announce(part.userNames, await readSnapshot('general'))
 */
export function createPresenceOutbox(options: PresenceOutboxOptions) {
  const { now, windowMs, leaseMs, sleep } = options
  const Outbox = createPresenceOutboxEntity(
    createTable({ name: options.tableName, documentClient: options.documentClient }),
  )

  /** ADD the name; the first leaver of a burst becomes its holder. One UpdateItem. */
  async function record(roomName: string, userName: string, token: string) {
    const { Attributes } = await Outbox.build(UpdateItemCommand)
      .item({
        roomName,
        leavers: $add(new Set([userName])),
        holder: $get('holder', token),
        since: $get('since', now()),
      })
      .options({ returnValues: 'ALL_NEW' })
      .send()
    // ALL_NEW always answers the item; without it, nobody is known to hold the burst.
    return Attributes && { holder: Attributes.holder, since: Attributes.since }
  }

  /**
   * Takes over a burst whose holder outlived its lease (a Lambda that timed out or crashed while
   * holding it would otherwise keep the names unannounced for ever). Conditioned on the very
   * holder and `since` read: of several leavers that find it stale, one wins; a holder that
   * cleared it meanwhile (it was alive after all) makes the condition fail, and it announced
   * this leaver's name, which was added before its delete.
   */
  async function takeOver(roomName: string, token: string, stale: { holder: string; since: number }) {
    return conditionHeld(
      Outbox.build(UpdateItemCommand)
        .item({ roomName, holder: token, since: now() })
        .options({
          condition: {
            or: [
              {
                and: [
                  { attr: 'holder', eq: stale.holder },
                  { attr: 'since', eq: stale.since },
                ],
              },
              // The SDK may resend an update whose answer was lost.
              { attr: 'holder', eq: token },
            ],
          },
        })
        .send(),
    )
  }

  /**
   * Deletes the outbox if this leaver still holds it, answering the names it held; undefined
   * when the condition fails: normally a leaver took the burst over (it announces them all,
   * this holder's name included). The one ambiguous case: a delete that landed but whose answer
   * was lost, resent by the SDK, fails its condition too, and its names are gone with the item.
   * Those names go unannounced (as when a Lambda dies outright); the caller settles the room all
   * the same, so its listing still converges.
   */
  async function take(roomName: string, token: string): Promise<string[] | undefined> {
    const taken = await ifConditionHeld(
      Outbox.build(DeleteItemCommand)
        .key({ roomName })
        .options({ condition: { attr: 'holder', eq: token }, returnValues: 'ALL_OLD' })
        .send(),
    )
    if (!taken.held) return undefined
    return [...(taken.output.Attributes?.leavers ?? [])].sort()
  }

  return {
    /**
     * Records the departure of `userName` (whose subscription is deleted already) from a big
     * room. Requests: one UpdateItem; the holder of the burst waits `windowMs` and adds one
     * DeleteItem (a takeover one UpdateItem more).
     */
    async leave(roomName: string, userName: string): Promise<BurstPart> {
      // A fresh token per call, not the connection id: `$disconnect` and a 410 cleanup of the
      // same connection may run at once, and each must know whether it is the holder.
      const token = randomUUID()
      const current = await record(roomName, userName, token)
      if (current?.holder !== token) {
        if (!current || !(now() - current.since > leaseMs)) return { holder: false }
        if (!(await takeOver(roomName, token, current))) return { holder: false }
      }
      await sleep(windowMs)
      const userNames = await take(roomName, token)
      return userNames === undefined ? { holder: false, displaced: true } : { holder: true, userNames }
    },
  }
}
