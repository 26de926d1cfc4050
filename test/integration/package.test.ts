import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const env = {
  ...process.env,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  npm_config_loglevel: 'error',
}

interface PackResult {
  filename: string
  files: { path: string }[]
}

let scratch: string
let packed: PackResult

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'chatdb-pack-'))
  // `npm test` has just built dist/; packing must not rebuild it under the other tests' feet.
  const { stdout } = await run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], {
    cwd: root,
    env,
  })
  packed = (JSON.parse(stdout) as PackResult[])[0] as PackResult
  writeFileSync(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, type: 'module' }),
  )
  await run(
    npm,
    [
      'install',
      join(scratch, packed.filename),
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
    ],
    { cwd: scratch, env, timeout: 240_000 },
  )
}, 300_000)

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

describe('the npm package', () => {
  it('ships the built library, CLI and migrations with types, and no tests or sources', () => {
    const paths = packed.files.map((f) => f.path)
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'dist/src/index.js',
        'dist/src/index.d.ts',
        'dist/src/lambda/index.js',
        'dist/src/lambda/index.d.ts',
        'dist/src/migrator/index.js',
        'dist/src/migrator/index.d.ts',
        'dist/src/admin/index.js',
        'dist/src/admin/index.d.ts',
        'dist/cli/main.js',
        // The chat page and operator view `chatdb serve` serves (tsc does not copy them; scripts/copy-web.mjs does).
        'dist/cli/gateway/web/index.html',
        'dist/cli/gateway/web/chat.js',
        'dist/cli/gateway/web/chat/frames.js',
        'dist/cli/gateway/web/chat/ui.js',
        'dist/cli/gateway/web/format.js',
        'dist/cli/gateway/web/chat.css',
        'dist/cli/gateway/web/favicon.svg',
        'dist/cli/gateway/web/inspect.html',
        'dist/cli/gateway/web/inspect.js',
        'dist/cli/gateway/web/inspect.css',
        'dist/migrations/index.js',
        'fixtures/seed/default.json',
      ]),
    )
    expect(paths.filter((p) => /^(test|bench|src|cli|migrations|scripts|deploy)\//.test(p))).toEqual([])
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([])
  })

  it('keeps the bin executable: after the build and in the tarball', async () => {
    // The build chmods it (scripts/chmod-bin.mjs): tsc alone writes 0644 and `npx chatdb` then
    // fails with "Permission denied" where npm links the bin without fixing its mode.
    const bin = join(root, 'dist/cli/main.js')
    expect(statSync(bin).mode & 0o777).toBe(0o755)
    const { stdout: version } = await run(bin, ['--version'], { env })
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/)
    const { stdout: listing } = await run('tar', ['-tvzf', join(scratch, packed.filename)], { env })
    const entry = listing.split('\n').find((line) => line.endsWith(' package/dist/cli/main.js'))
    expect(entry).toMatch(/^-rwxr-xr-x /)
  })

  it('imports chatdb and each of its subpaths from a project that installed the tarball', async () => {
    const script = [
      "const lib = await import('chatdb')",
      "const lambda = await import('chatdb/lambda')",
      "const migrator = await import('chatdb/migrator')",
      "const shipped = await import('chatdb/migrations')",
      "const admin = await import('chatdb/admin')",
      'console.log(JSON.stringify({',
      "  lib: ['createChatRepository', 'tableDefinition', 'createTable', 'createEntities', 'ChatDbError', 'createChatService', 'createDocumentClient', 'parseAction'].filter((k) => typeof lib[k] !== 'function'),",
      "  lambda: ['handler', 'connect', 'disconnect', 'defaultRoute', 'subscribe', 'unsubscribe', 'sendMessage', 'listRooms'].filter((k) => typeof lambda[k] !== 'function'),",
      "  migrator: ['createMigrator', 'createDynamoLedger', 'createDynamoLockStore', 'createMemoryLedger', 'createMemoryLockStore', 'createMigrationFile'].filter((k) => typeof migrator[k] !== 'function'),",
      "  admin: ['createChatTable', 'inspectTable', 'cleanupStale', 'exportTable', 'importTable', 'seedTable'].filter((k) => typeof admin[k] !== 'function'),",
      '  shipped: shipped.migrations.map((m) => m.version),',
      "  migratorList: 'migrations' in migrator,",
      '  rootNames: Object.keys(lib).length,',
      '  table: lib.tableDefinition(lib.DEFAULT_TABLE_NAME).TableName,',
      '}))',
    ].join('\n')
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: scratch,
      env,
    })
    const imported = JSON.parse(stdout) as { rootNames: number; shipped: number[] }
    expect(imported).toMatchObject({ lib: [], lambda: [], migrator: [], admin: [], table: 'chat' })
    // chatdb's shipped list is chatdb/migrations, not the migrator (whose types they import).
    expect(imported).toMatchObject({ migratorList: false })
    expect(imported.shipped.length).toBeGreaterThan(0)
    // The root is what backend code needs; tooling lives under the subpaths.
    expect(imported.rootNames).toBeLessThanOrEqual(60)
  })

  it('loads from a CommonJS module through require, as README says', async () => {
    const script =
      "const { createChatRepository } = require('chatdb'); console.log(typeof createChatRepository)"
    const { stdout, stderr } = await run(process.execPath, ['-e', script], { cwd: scratch, env })
    expect(stdout.trim()).toBe('function')
    expect(stderr).toBe('')
  })

  it('type-checks a consumer of chatdb and every subpath with skipLibCheck off', async () => {
    // A user's project checks the shipped declarations too: every type they import must come
    // from the package or its dependencies, never from one of our devDependencies.
    const consumer = join(scratch, 'consumer')
    mkdirSync(consumer, { recursive: true })
    // @types/node is the user's own (any Node project has it); linked, not installed, to stay offline.
    mkdirSync(join(scratch, 'node_modules', '@types'), { recursive: true })
    symlinkSync(join(root, 'node_modules', '@types', 'node'), join(scratch, 'node_modules', '@types', 'node'))
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          types: ['node'],
        },
        files: ['index.ts'],
      }),
    )
    writeFileSync(
      join(consumer, 'index.ts'),
      [
        "import { ChatDbError, createChatRepository, createDocumentClient, isChatDbError, tableDefinition } from 'chatdb'",
        "import { createRouter, handler, type RouteResponse, type WebSocketEvent, type WebSocketHandler } from 'chatdb/lambda'",
        "import { createMigrator, isMigrationError, type Migration } from 'chatdb/migrator'",
        "import { migrations } from 'chatdb/migrations'",
        "import { inspectTable } from 'chatdb/admin'",
        "const documentClient = createDocumentClient({ region: 'eu-west-1', requestTimeoutMs: 2_000 })",
        "export const repository = createChatRepository({ documentClient, tableName: tableDefinition('chat').TableName ?? 'chat' })",
        "export const router = createRouter({ documentClient, tableName: 'chat' })",
        'export const route: WebSocketHandler = handler',
        'export const answer = (event: WebSocketEvent): Promise<RouteResponse> => router.handler(event)',
        "export const unavailable = (error: unknown) => isChatDbError(error, 'store.unavailable') && error instanceof ChatDbError",
        "export const mine: Migration = { version: 3, name: 'noop', description: 'does nothing', async up() {}, async down() {} }",
        "export const migrator = createMigrator({ documentClient, tableName: 'chat', migrations: [...migrations, mine] })",
        "export const locked = (error: unknown) => isMigrationError(error, 'migration.locked')",
        'export const inspect: typeof inspectTable = inspectTable',
      ].join('\n'),
    )
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
    const result = await run(process.execPath, [tsc, '-p', consumer], { cwd: consumer, env }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, stdout: error.stdout ?? '' }),
    )
    expect(result.stdout).toBe('')
    expect(result.code).toBe(0)
  }, 120_000)

  it('runs `npx chatdb --help`', async () => {
    const { stdout, stderr } = await run('npx', ['--no-install', 'chatdb', '--help'], { cwd: scratch, env })
    expect(stdout).toMatch(/chatdb <command>/)
    expect(stdout).toMatch(/create-table/)
    expect(stderr).not.toMatch(/NodeVersionSupportWarning/)
  })
})
