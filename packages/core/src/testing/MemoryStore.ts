import type { Scope } from "effect"
import { Context, Effect, Layer, Semaphore } from "effect"
import type {
  ActivityEventId,
  AgentId,
  BoardAccessId,
  BoardId,
  GatewayId,
  MemberId,
  OrganizationId,
  TaskId,
  UserId
} from "../domain/ids.js"
import type {
  ActivityEvent,
  Agent,
  Board,
  BoardAccess,
  BoardMemory,
  Gateway,
  Organization,
  OrganizationMember,
  Task,
  User
} from "../domain/models.js"
import type { DatabaseUnavailable } from "../errors.js"
import { databaseUnavailable } from "../errors.js"
import type { AgentChange, AgentChangeFeed } from "../services/AgentChanges.js"
import { makeChangeFanout } from "../services/ChangeFanout.js"

/** The tables of the in-memory store. Values are immutable; writes replace them. */
export interface MemoryTables {
  organizations: Map<OrganizationId, Organization>
  users: Map<UserId, User>
  members: Map<MemberId, OrganizationMember>
  boardAccess: Map<BoardAccessId, BoardAccess>
  boards: Map<BoardId, Board>
  gateways: Map<GatewayId, Gateway>
  agents: Map<AgentId, Agent>
  tasks: Map<TaskId, Task>
  activity: Map<ActivityEventId, ActivityEvent>
  boardMemory: Array<BoardMemory>
}

const emptyTables = (): MemoryTables => ({
  organizations: new Map(),
  users: new Map(),
  members: new Map(),
  boardAccess: new Map(),
  boards: new Map(),
  gateways: new Map(),
  agents: new Map(),
  tasks: new Map(),
  activity: new Map(),
  boardMemory: []
})

const copyTables = (tables: MemoryTables): MemoryTables => ({
  organizations: new Map(tables.organizations),
  users: new Map(tables.users),
  members: new Map(tables.members),
  boardAccess: new Map(tables.boardAccess),
  boards: new Map(tables.boards),
  gateways: new Map(tables.gateways),
  agents: new Map(tables.agents),
  tasks: new Map(tables.tasks),
  activity: new Map(tables.activity),
  boardMemory: [...tables.boardMemory]
})

/** Changes kept for replay to subscribers that resume after a sequence. */
const changeLogLimit = 10_000

/** A fault injected into the store: the next `times` calls of `operation` die. */
interface InjectedFault {
  readonly operation: string
  times: number
}

/**
 * The in-memory database behind every memory repository of the test kit, with an agent change feed, transactions
 * that roll back on failure, and fault injection by operation name (`"tasks.releaseAgentTasks"`, …).
 */
export class MemoryStore extends Context.Service<MemoryStore, {
  readonly tables: () => MemoryTables
  /** Runs a read or a write against the tables; dies when a fault is injected for `operation`. */
  readonly run: <A>(operation: string, f: (tables: MemoryTables) => A) => Effect.Effect<A, DatabaseUnavailable>
  readonly publishAgentChange: (agent: Agent | null, previous: Agent) => Effect.Effect<void>
  readonly withTransaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly currentSequence: Effect.Effect<number>
  readonly open: (after: number | undefined) => Effect.Effect<AgentChangeFeed, never, Scope.Scope>
  /** How many reads and writes the store has served: idle stream subscribers must not move it. */
  readonly operationCount: () => number
  /** Makes the next `times` calls of the named operation fail with `DatabaseUnavailable`, as a lost connection does. */
  readonly injectFault: (operation: string, times?: number) => Effect.Effect<void>
}>()("@mission-control/core/testing/MemoryStore") {}

/**
 * The changes buffered by the transactions the current fiber is in, per store (a fiber may use several stores): they
 * are published when the outermost transaction of that store commits.
 */
const PendingChanges = Context.Reference<ReadonlyMap<object, Array<AgentChange>>>(
  "@mission-control/core/testing/MemoryStore/PendingChanges",
  { defaultValue: () => new Map() }
)

/** A fresh, empty store. */
export const layer = Layer.effect(
  MemoryStore,
  Effect.gen(function*() {
    let tables = emptyTables()
    let sequence = 0
    const log: Array<AgentChange> = []
    const faults: Array<InjectedFault> = []
    const fanout = yield* makeChangeFanout
    const storeKey = {}
    const pendingBuffer = Effect.map(PendingChanges, (pending) => pending.get(storeKey) ?? null)
    const transactionLock = yield* Semaphore.make(1)

    const publish = (change: AgentChange) =>
      Effect.suspend(() => {
        log.push(change)
        if (log.length > changeLogLimit) log.splice(0, log.length - changeLogLimit)
        return Effect.sync(() => fanout.publish([change]))
      })

    let operations = 0
    const run = <A>(operation: string, f: (current: MemoryTables) => A): Effect.Effect<A, DatabaseUnavailable> =>
      Effect.suspend(() => {
        operations++
        const fault = faults.find((candidate) => candidate.operation === operation && candidate.times > 0)
        if (fault !== undefined) {
          fault.times--
          return Effect.fail(databaseUnavailable())
        }
        return Effect.sync(() => f(tables))
      })

    return {
      tables: () => tables,
      run,
      publishAgentChange: (agent, previous) =>
        Effect.gen(function*() {
          const change: Omit<AgentChange, "sequence"> = {
            agentId: previous.id,
            boardId: agent?.boardId ?? previous.boardId,
            gatewayId: agent?.gatewayId ?? previous.gatewayId,
            agent
          }
          const buffer = yield* pendingBuffer
          if (buffer !== null) {
            buffer.push({ ...change, sequence: -1 })
            return
          }
          sequence++
          yield* publish({ ...change, sequence })
        }),
      withTransaction: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.flatMap(PendingChanges, (pending) => {
          const outer = pending.get(storeKey) ?? null
          if (outer !== null) return effect // nested: part of the outer transaction
          return transactionLock.withPermits(1)(Effect.gen(function*() {
            const snapshot = copyTables(tables)
            const buffer: Array<AgentChange> = []
            const exit = yield* Effect.exit(
              Effect.provideService(effect, PendingChanges, new Map(pending).set(storeKey, buffer))
            )
            if (exit._tag === "Failure") {
              tables = snapshot
              return yield* exit
            }
            for (const change of buffer) {
              sequence++
              yield* publish({ ...change, sequence })
            }
            return exit.value
          }))
        }),
      currentSequence: Effect.sync(() => sequence),
      open: (after) =>
        Effect.gen(function*() {
          const subscription = yield* fanout.subscribe
          let replay = after === undefined ? [] : log.filter((change) => change.sequence > after)
          const lastReplayed = replay.at(-1)?.sequence ?? after ?? sequence
          const live: Effect.Effect<ReadonlyArray<AgentChange>> = subscription.take.pipe(
            Effect.flatMap((batch) => {
              const fresh = batch.filter((change) => change.sequence > lastReplayed)
              return fresh.length === 0 ? live : Effect.succeed(fresh)
            })
          )
          return {
            take: Effect.suspend(() => {
              if (replay.length === 0) return live
              const batch = replay
              replay = []
              return Effect.succeed(batch)
            })
          }
        }),
      operationCount: () => operations,
      injectFault: (operation, times = 1) => Effect.sync(() => void faults.push({ operation, times }))
    }
  })
)
