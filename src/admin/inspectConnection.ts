// One connection's subscriptions (`chatdb inspect connection`).
import type { ChatRepository } from '../repository/chatRepository.js'

/** The rooms a connection is subscribed to; undefined when it has no subscription. */
export async function inspectConnection(
  repository: ChatRepository,
  connectionId: string,
): Promise<{ roomName: string; userName: string }[] | undefined> {
  const rooms = await repository.roomsOfConnection(connectionId)
  return rooms.length > 0 ? rooms : undefined
}
