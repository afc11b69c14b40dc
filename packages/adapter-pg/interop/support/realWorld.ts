// What the adapter-pg interop files share: the real gateway `pnpm test:interop` started (its variables), a fresh
// Postgres database seeded with the fixture world pointing at it, a client of our own to look at the gateway, worker
// processes, and the cleanup of every gateway agent a world made.
import { layer } from "@mission-control/adapter-pg"
import { createDatabase, runStatement, serverReachable } from "@mission-control/adapter-pg/testing"
import type { GatewayClient, GatewayError, ReconcileItem } from "@mission-control/core"
import { authenticateAgent, isTransientGatewayError, planGatewayReconcile } from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import { Effect, Exit, Layer, ManagedRuntime, Option, Redacted, Schedule, Scope } from "effect"
import type { Worker } from "../../test/support/lifecycleProcesses.js"
import {
  allConverged as allBoardAgentsConverged,
  boardAgentRows,
  startWorker as startLifecycleWorker,
  until,
  workerEnv as lifecycleWorkerEnv
} from "../../test/support/lifecycleProcesses.js"
import { startGatewayRelay } from "./gatewayRelay.js"

export { until }

export const gatewayUrl = process.env["OPENCLAW_GATEWAY_URL"]
export const gatewayToken = process.env["OPENCLAW_GATEWAY_TOKEN"]
export const gatewayVersion = process.env["OPENCLAW_GATEWAY_VERSION"] ?? "unknown"
const stateDir = process.env["OPENCLAW_STATE_DIR"] ?? "/tmp/openclaw"
/** Set by `pnpm test:interop`, which throws the gateway away after each file: nothing on it needs deleting. */
const disposableGateway = process.env["MC_INTEROP_GATEWAY_DISPOSABLE"] === "1"

const calver = (version: string) => (/^v?(\d+)\.(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number)

/**
 * These files need 2026.9 or later: the lifecycle worker connects without a device identity, which 2026.4 grants
 * no scopes, and 2026.4's 3 config writes a minute would make the burst a test of waiting.
 */
const modernGateway = (() => {
  const [year = 0, month = 0] = calver(gatewayVersion)
  return year > 2026 || (year === 2026 && month >= 9)
})()

const databaseReachable = await serverReachable()

/** Whether this run has what these files need: a real gateway 2026.9+ and a Postgres server. */
export const durableInteropRuns = gatewayUrl !== undefined && modernGateway && databaseReachable

/** What the core retries: a restart after a config write, a transient refusal (2026.9's database drainage). */
export const retryTransient = <A>(effect: Effect.Effect<A, GatewayError>) =>
  effect.pipe(Effect.retry({ schedule: Schedule.spaced("500 millis"), times: 20, while: isTransientGatewayError }))

/** The token a workspace file carries, or undefined. */
export const tokenIn = (content: string | undefined) => /^AUTH_TOKEN=(\S+)/m.exec(content ?? "")?.[1]

/**
 * A world on a fresh database; its gateway agents are deleted at cleanup unless `deleteGatewayAgents` is false or the
 * gateway is thrown away after the file. With
 * `relay`, its gateway row points at a relay to the gateway (`gatewayRelay.ts`) whose `agents.list` shows only this
 * world's agents: run against a gateway other files use too (vitest on one gateway rather than `pnpm test:interop`,
 * which gives each file its own), their agents would be orphans to this database, and `deleteOrphans` would delete
 * them.
 */
export const setUpWorld = async (
  options: { readonly relay?: boolean; readonly deleteGatewayAgents?: boolean } = {}
) => {
  const cleanups: Array<() => Promise<void> | void> = []
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) {
      await Promise.resolve().then(step).catch((error) => console.log(`cleanup step failed: ${String(error)}`))
    }
  }
  try {
    const database = await createDatabase()
    cleanups.push(() => database.drop())
    const config = { url: Redacted.make(database.url), maxConnections: 6 }
    const services = Layer.mergeAll(layer(config), TestKit.layerServices, GatewayRpc.layer())
    const runtime = ManagedRuntime.make(services)
    cleanups.push(() => runtime.dispose())
    // Every agent of this world has its workspace under this root: what the cleanup and the orphan check go by.
    const workspaceRoot = `${stateDir}/mc-interop-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`
    const ours = (agent: unknown) =>
      typeof agent === "object" && agent !== null && "workspace" in agent &&
      typeof agent.workspace === "string" && agent.workspace.startsWith(`${workspaceRoot}/`)
    const relay = options.relay === true ? await startGatewayRelay(gatewayUrl!) : null
    if (relay !== null) {
      cleanups.push(() => relay.stop())
      relay.rewriteAnswers((request, answer) => {
        const payload = answer["payload"]
        if (request.method !== "agents.list" || typeof payload !== "object" || payload === null) return answer
        const listed = (payload as Record<string, unknown>)["agents"]
        return Array.isArray(listed) ? { ...answer, payload: { ...payload, agents: listed.filter(ours) } } : answer
      })
    }
    const token = gatewayToken === undefined ? null : Redacted.make(gatewayToken)
    const world = await runtime.runPromise(Fixtures.world({
      gateway: { url: relay?.url ?? gatewayUrl!, token, workspaceRoot }
    }))

    // Our own connection to the gateway itself (never the relay): how the tests look at what the gateway holds.
    const scope = Effect.runSync(Scope.make())
    cleanups.push(() => Effect.runPromise(Scope.close(scope, Exit.void)))
    const observer: GatewayClient = GatewayRpc.makeClient(
      await Effect.runPromise(Scope.provide(GatewayRpc.makeConnection({ url: gatewayUrl!, token }), scope))
    )
    const observe = <A>(effect: Effect.Effect<A, GatewayError>) => Effect.runPromise(retryTransient(effect))
    const tokenFile = (await observe(observer.capabilities)).tokenFile

    /** The gateway's agents whose workspace is under this world's root. */
    const worldAgents = async () => (await observe(observer.listAgents)).filter(ours)
    // Registered first, so it runs last: after the workers are gone, nothing creates agents any more.
    if (options.deleteGatewayAgents !== false && !disposableGateway) {
      cleanups.push(async () => {
        const agents = await worldAgents()
        const removed = await Effect.runPromise(Effect.forEach(
          agents,
          // Files stay: the gateway's HOME is thrown away after the run, and deleting them makes each delete slower.
          (agent) => Effect.result(retryTransient(observer.deleteAgent(agent.id, { deleteFiles: false }))),
          { concurrency: 8 }
        ))
        const failed = removed.filter((outcome) => outcome._tag === "Failure").length
        console.log(
          `cleanup: ${agents.length - failed} gateway agents deleted${failed > 0 ? `, ${failed} failed` : ""}`
        )
      })
    }

    const agentRows = () => boardAgentRows(database.url, world.board.id)
    const allConverged = (count: number) => allBoardAgentsConverged(database.url, world.board.id, count)
    /** Whether every lifecycle workflow message stored so far has been processed (the sync's included). */
    const workflowsFinished = async () => {
      const [row] = await Effect.runPromise(runStatement(
        database.url,
        "SELECT count(*)::int AS open FROM mc_cluster_messages WHERE NOT processed"
      ))
      return row?.["open"] === 0
    }
    /** The board agents whose workspace token does not authenticate as themselves, read on the gateway. */
    const rejectedTokens = async () => {
      const rejected: Array<string> = []
      for (const row of await agentRows()) {
        const gatewayAgentId = `mc-${row["id"]}`
        const file = await observe(observer.readFile(gatewayAgentId, tokenFile)).catch(() => Option.none())
        const token = tokenIn(Option.isSome(file) ? file.value.content : undefined)
        const agent = token === undefined
          ? undefined
          : await runtime.runPromise(authenticateAgent(token).pipe(Effect.option)).then(Option.getOrUndefined)
        if (agent?.id !== row["id"]) rejected.push(gatewayAgentId)
      }
      return rejected
    }

    const workerEnv = (mode: "create" | "resume" | "sync", runnerPort: number, agents = 0) =>
      lifecycleWorkerEnv(database.url, world, mode, runnerPort, agents)
    const startWorker = (env: Record<string, string>): Worker =>
      startLifecycleWorker(env, (kill) => cleanups.push(kill))

    return {
      config,
      database,
      relay,
      runtime,
      world,
      workspaceRoot,
      observer,
      observe,
      tokenFile,
      worldAgents,
      agentRows,
      allConverged,
      workflowsFinished,
      rejectedTokens,
      workerEnv,
      startWorker,
      /** Runs `step` at cleanup, before the gateway agents are deleted. */
      onCleanup: (step: () => Promise<void> | void) => cleanups.push(step),
      cleanup
    }
  } catch (error) {
    await cleanup()
    throw error
  }
}

export type RealWorld = Awaited<ReturnType<typeof setUpWorld>>

/** A plan's items as `<kind> <gateway agent>[ <file> <reason>]`, sorted. */
const kinds = (items: ReadonlyArray<ReconcileItem>) =>
  items.map((item) =>
    `${item.kind} ${item.gatewayAgentId}${
      "file" in item ? ` ${item.file}${"reason" in item ? ` ${item.reason}` : ""}` : ""
    }`
  ).sort()

/**
 * Plans until the plan lists `expected`, for up to 30 s, and answers the last plan's items. Right after an agent is
 * provisioned the gateway itself may still remove its BOOTSTRAP.md (2026.9.6 does once the workspace shows the
 * bootstrap done), and a plan caught in between reads the file as listed, then missing.
 */
export const planUntil = async (current: RealWorld, expected: ReadonlyArray<string>) => {
  let items: ReadonlyArray<string> = []
  const took = await until(`a plan of ${expected.join(", ") || "nothing"}`, async () => {
    const plan = await current.runtime.runPromise(planGatewayReconcile(current.world.gateway))
    items = [...kinds(plan.items), ...plan.pending.map((ref) => `pending ${ref.gatewayAgentId}`)]
    return JSON.stringify(items) === JSON.stringify([...expected].sort())
  }, 30_000).catch(() => -1)
  if (took > 1_000) console.log(`${gatewayVersion}: the plan settled after ${took} ms`)
  return items
}
