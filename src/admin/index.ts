/**
 * Data operations behind the `chatdb` CLI, usable from scripts too (package export `chatdb/admin`).
 *
 * The operator functions take the repository (access patterns) and the table store (table-wide
 * scans, counts and raw items), both over one document client.
 *
 * @example
 * import { createTableStore, inspectTable } from 'chatdb/admin'
 * const report = await inspectTable(createTableStore({ documentClient, tableName: 'chat' }))
 */

export { createTableStore, type TableStore, type TableStoreOptions } from '../repository/tableStore.js'
export * from './cleanup.js'
export * from './connectionProbe.js'
export * from './countItems.js'
export * from './duration.js'
export * from './dynamoJson.js'
export * from './exportTable.js'
export * from './generateDataset.js'
export * from './importTable.js'
export * from './inspectActivity.js'
export * from './inspectConnection.js'
export * from './inspectRoom.js'
export * from './inspectRooms.js'
export * from './inspectTable.js'
export * from './inspectUser.js'
export * from './seedDataset.js'
export * from './seedHistory.js'
export * from './seedTable.js'
export * from './tableAdmin.js'
export * from './tableDiff.js'
export * from './unreadableRoom.js'
