import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { DeleteItemCommand } from 'dynamodb-toolbox/entity/actions/delete'
import type { Condition } from 'dynamodb-toolbox/entity/actions/parseCondition'
import { PutItemCommand } from 'dynamodb-toolbox/entity/actions/put'
import type { ChatEntities, RoomEntity } from '../entities/index.js'
import { ChatDbError } from '../errors.js'
import { conditionHeld } from './conditionalCheck.js'
import { createLargeRoomReads, type LargeRoomSnapshot } from './largeRoomReads.js'
import { layoutOf } from './roomLayout.js'
import type { RoomSnapshot, RoomState, RoomTransition } from './types.js'

/**
 * The rule of room upkeep: the transition that settling a room read as `snapshot` makes, or
 * undefined when its guard already agrees with its subscribers (listed iff it has any).
 *
 * @example
 * if (transitionFor(await repository.roomSnapshot('general'))) await repository.settleRoom('general')
 */
export function transitionFor({
  state,
  subscribers,
}: Pick<RoomSnapshot, 'state' | 'subscribers'>): RoomTransition | undefined {
  const shouldList = subscribers.length > 0
  if (state ? state.listed === shouldList : !shouldList) return undefined
  return !state ? 'created' : shouldList ? 'reactivated' : 'emptied'
}

/**
 * Keeps "a room is listed iff it has subscribers" true without transactions: the listing
 * transitions (created, reactivated, emptied) of a room's state machine, whose whole picture,
 * the crossing from small to large included, is in `roomLifecycle.ts`.
 *
 * The room's listing record has its state in its key (`true|…` / `false|…`), so a change of
 * state is a put of one key and a delete of the other: two writes that concurrent callers can
 * interleave. Two conditional steps keep them honest:
 *
 * 1. **Claim.** The caller reads the room (guard + subscribers, one consistent Query), and if
 *    the guard's `listed` disagrees with what it saw, updates the guard to the new state with
 *    `version + 1`, on condition that `version` is still the one it read. Exactly one caller
 *    wins each version; a loser re-reads and tries again, and a winner reads the room again
 *    after its claim (a member may have joined or left meanwhile, see `settle`), so the last
 *    claim is always followed by a read that agrees with the room as it stays.
 * 2. **Apply.** The winner puts the record for its state and deletes the other, both carrying
 *    its version and conditioned on no newer version being there. The race this prevents:
 *
 *        A claims v5 (listed)          B claims v6 (not listed)
 *                                      B puts  false|… (v6), deletes true|…
 *        A puts true|… (v5)   ← key was gone, so the put lands: a stale resurrection
 *        A deletes false|… if version ≤ 5  → fails (it is v6): A knows it is stale
 *        A deletes true|… if version = 5   → the resurrection is undone
 *
 *    The newest claimer's writes never fail, and every older writer either fails, is
 *    overwritten, or undoes itself, so the records settle on the newest claim.
 */
export function createRoomUpkeep(options: {
  entities: ChatEntities
  now: () => number
  readSnapshot: (roomName: string) => Promise<RoomSnapshot>
  /** Default: the entities' table's client and name. */
  documentClient?: DynamoDBDocumentClient
  tableName?: string
  /** The exact read of a large room (every partition, guard first); default {@link createLargeRoomReads}'s. */
  readLarge?: (roomName: string, shards: number) => Promise<LargeRoomSnapshot>
  /** Told of every large room a settle meets (the repository remembers it). */
  onLarge?: (roomName: string, shards: number) => void
  /** Given the exact read that ends a large room's settle (the repository repairs its counters from it). */
  afterExactRead?: (snapshot: LargeRoomSnapshot) => Promise<unknown>
  maxAttempts?: number
}) {
  const { entities, now, readSnapshot, onLarge, afterExactRead, maxAttempts = 25 } = options
  const { Room, RoomState: RoomStateEntity } = entities
  const documentClient = options.documentClient ?? RoomStateEntity.table.getDocumentClient()
  const tableName = options.tableName ?? RoomStateEntity.table.getName()
  const readLarge =
    options.readLarge ?? createLargeRoomReads({ documentClient, tableName, readSnapshot }).readLarge

  /** The guard with the claimed state, carrying a large room's `shards` (marking bumps `version`, so no claim read before it lands). */
  async function claim(current: RoomState | undefined, next: RoomState): Promise<boolean> {
    return conditionHeld(
      RoomStateEntity.build(PutItemCommand)
        .item(next)
        .options({
          condition: current ? { attr: 'version', eq: current.version } : { attr: 'version', exists: false },
        })
        .send(),
    )
  }

  async function apply(state: RoomState): Promise<void> {
    const record = { roomName: state.roomName, createdAt: state.createdAt }
    const notNewer: Condition<RoomEntity> = {
      or: [
        { attr: 'version', exists: false },
        { attr: 'version', lte: state.version },
      ],
    }
    const put = Room.build(PutItemCommand)
      .item({ ...record, active: state.listed, version: state.version })
      .options({ condition: notNewer })
    // A newer claim with the same state wrote this key; it also removes the other one.
    if (!(await conditionHeld(put.send()))) return
    const removeOther = Room.build(DeleteItemCommand)
      .key({ ...record, active: !state.listed })
      .options({ condition: notNewer })
    if (await conditionHeld(removeOther.send())) return
    // The other key holds a newer version: this claim is stale; undo its put unless a newer
    // claim has written that key since.
    await conditionHeld(
      Room.build(DeleteItemCommand)
        .key({ ...record, active: state.listed })
        .options({ condition: { attr: 'version', eq: state.version } })
        .send(),
    )
  }

  /**
   * Brings the room's listing in line with its subscribers. Takes the snapshot the caller
   * already read (so steady state costs no request) and returns the last transition it made.
   * After every claim it won, the room is read again, and only a read that needs no claim ends
   * the settle: a claim is made from a read that may be out of date by the time it lands.
   *
   *     leaver L                               joiner J
   *     departs; reads the room: empty, v5
   *                                            subscribes; reads: J in it, v5 listed → nothing to do
   *     claims v6 (not listed): lands (v5)
   *     applies v6: the room is unlisted, J in it
   *     reads again: J in it → claims v7 (listed), applies, reads again: agrees → done
   *
   * A member who writes after L's last read reads the room after its write and sees L's last
   * claim, so it claims itself if that claim disagrees with it; the last claim of all is followed
   * by a read that agreed with the room, hence listed iff occupied at rest.
   */
  async function settle(snapshot: RoomSnapshot): Promise<RoomTransition | undefined> {
    let current = snapshot
    let made: RoomTransition | undefined
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const { state, roomName } = current
      // A large room's base partition is not the room: only an exact read of every partition is.
      // (The room may have been marked large since the caller read it: each read tells its layout.)
      const layout = layoutOf(state)
      if (layout.kind === 'large') return (await settleLarge(roomName, layout.shards)) ?? made
      const transition = transitionFor(current)
      if (!transition) return made
      const next: RoomState = {
        roomName,
        createdAt: state?.createdAt ?? now(),
        listed: transition !== 'emptied',
        version: (state?.version ?? 0) + 1,
      }
      if (await claim(state, next)) {
        await apply(next)
        made = transition
        current = await readSnapshot(roomName)
        continue
      }
      current = await readSnapshot(roomName)
      // A claim whose answer was lost and that the SDK sent again fails its own condition: the
      // guard then holds exactly `next`, and this caller owes the apply (nobody else will). The
      // read that found it was taken after the claim landed: it is the read again.
      if (current.state && sameState(current.state, next)) {
        await apply(next)
        made = transition
      }
    }
    throw new ChatDbError(
      'store.contention',
      `room "${snapshot.roomName}" changed ${maxAttempts} times while being settled; try again`,
    )
  }

  /**
   * Settles a large room from exact reads (guard first, then every partition). A read of many
   * partitions is no atomic snapshot: a subscriber may join a shard already read, or leave one
   * not yet read, while the claim is on its way. So after every claim the room is read again,
   * and only a read that needs no claim ends the settle. Together with the joiner's guard check
   * after its write and the last leaver's exact read (docs/data-model.md, "Large rooms"), the
   * last claim is one made from a read that saw the room as it stays.
   */
  async function settleLarge(roomName: string, shards: number): Promise<RoomTransition | undefined> {
    onLarge?.(roomName, shards)
    let made: RoomTransition | undefined
    // A claim that failed its condition: perhaps our own, answered late and resent by the SDK.
    let refused: { state: RoomState; transition: RoomTransition } | undefined
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const current = await readLarge(roomName, shards)
      const { state } = current
      if (refused && state && sameState(state, refused.state)) {
        await apply(refused.state)
        made = refused.transition
      }
      refused = undefined
      const transition = transitionFor(current)
      if (!transition) {
        await afterExactRead?.(current)
        return made
      }
      const next: RoomState = {
        roomName,
        createdAt: state?.createdAt ?? now(),
        listed: transition !== 'emptied',
        version: (state?.version ?? 0) + 1,
        shards,
      }
      if (await claim(state, next)) {
        await apply(next)
        made = transition
      } else {
        refused = { state: next, transition }
      }
    }
    throw new ChatDbError(
      'store.contention',
      `room "${roomName}" changed ${maxAttempts} times while being settled; try again`,
    )
  }

  return { settle, settleLarge, apply }
}

/** Two states of one room's guard (each read or claimed by the room's own key) are the same. */
function sameState(a: RoomState, b: RoomState): boolean {
  return a.createdAt === b.createdAt && a.listed === b.listed && a.version === b.version
}
