/**
 * Data operations behind the `chatdb` CLI, usable from scripts too (package export `chatdb/admin`).
 *
 * @example
 * import { createChatTable } from 'chatdb/admin'
 */
export * from './cleanup.js'
export * from './connectionProbe.js'
export * from './duration.js'
export * from './dynamoJson.js'
export * from './exportTable.js'
export * from './generateDataset.js'
export * from './importTable.js'
export * from './inspect.js'
export * from './scanTable.js'
export * from './seedDataset.js'
export * from './seedHistory.js'
export * from './seedTable.js'
export * from './tableAdmin.js'
export * from './tableDiff.js'
