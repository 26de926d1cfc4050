import type { SeedDataset } from '../../src/admin/seedDataset.js'
import type { CliContext } from '../context.js'
import type { InterruptTrap } from '../interrupt.js'

/** What the setup steps share: the Ctrl-C trap, and what the gateway should start with. */
export interface DevSetup {
  /** Steps call `interrupt.check()` at their safe points (and pass it to what they run). */
  interrupt: InterruptTrap
  /** The dataset whose users join as demo members once the gateway listens (set by `fixtures`). */
  demo?: SeedDataset | undefined
}

/** One step of bringing the local stack up; returns what it did, in a few words. */
export interface DevSetupStep {
  name: string
  run(context: CliContext, setup: DevSetup): Promise<string>
}
