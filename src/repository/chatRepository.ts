import { createConnections } from './connections.js'
import { createMembership } from './membership.js'
import { createMessages } from './messages.js'
import { createRepositoryContext } from './repositoryContext.js'
import { createRoomQueries } from './roomQueries.js'
import { translateStoreError } from './storeErrors.js'
import type { ChatRepositoryOptions } from './types.js'

/**
 * The data layer of the chat: every access pattern of the single-table design, one method each.
 *
 * @example
 * const repository = createChatRepository({ documentClient, tableName: 'chat' })
 * await repository.subscribe({ roomName: 'general', connectionId: 'abc=', userName: 'ada' })
 * await repository.postMessage({ roomName: 'general', connectionId: 'abc=', message: 'hello' })
 * const messages = await repository.recentMessages('general', { limit: 20 })
 */
export function createChatRepository(options: ChatRepositoryOptions) {
  const context = createRepositoryContext(options)
  const repository = {
    ...createRoomQueries(context),
    ...createMessages(context),
    ...createMembership(context),
    ...createConnections(context),
  }
  return translateStoreError(repository, { tableName: context.tableName })
}

export type ChatRepository = ReturnType<typeof createChatRepository>
