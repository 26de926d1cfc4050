// One user's messages, by room (`chatdb inspect user`).
import type { ChatRepository } from '../repository/chatRepository.js'
import type { UserHistory } from '../repository/types.js'

/** A user's messages grouped by room; undefined when the user has posted nothing. */
export async function inspectUser(
  repository: ChatRepository,
  userName: string,
): Promise<UserHistory[] | undefined> {
  const history = await repository.historyOfUser(userName)
  return history.length > 0 ? history : undefined
}
