// Row 8: template sync of 200 agents on the real gateway (openclaw 2026.9.6, started as `pnpm test:interop` does, under
// `flock /work/interop.lock`): our client (one multiplexed connection, 8 agents at a time) against the reference's
// scheme (a new WebSocket and handshake per call, one call at a time), in the same run, on the same agents.
// Opt-in (it takes most of an hour, and holds the interop lock): runs when named (`pnpm bench realsync`) or with
// OPENCLAW_BENCH=1, on the interop install (`pnpm test:interop` installs it once); a missing install is then an
// error. OPENCLAW_BENCH=0 skips it even when named.
import type { AgentId, MissionControlServices } from "@mission-control/core"
import { provisionAgentRecord, Settings, syncGatewayTemplates } from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { installedGateway, realGatewayVersion, startRealGateway } from "../realGateway.js"
import { connectionPerCallLayer } from "../reference.js"
import type { Row } from "../support.js"
import { round, time } from "../support.js"

const agentsCount = 200
const concurrency = 8

export const realSyncRows = async (named: boolean): Promise<ReadonlyArray<Row>> => {
  const wanted = process.env["OPENCLAW_BENCH"]
  if (wanted === "0" || (!named && wanted !== "1")) {
    console.log("realsync: skipped (opt-in: `pnpm bench realsync` or OPENCLAW_BENCH=1)")
    return []
  }
  if (installedGateway() === undefined) {
    throw new Error(`openclaw@${realGatewayVersion} is not installed (pnpm test:interop installs it)`)
  }
  const gateway = await startRealGateway()
  const ours = ManagedRuntime.make(Layer.merge(TestKit.layerWithoutGateway, GatewayRpc.layer()))
  try {
    const world = await ours.runPromise(Fixtures.world({
      gateway: { url: gateway.url, token: Redacted.make(gateway.token), workspaceRoot: gateway.stateDir }
    }))
    const agentIds: Array<AgentId> = []
    for (let index = 0; index < agentsCount; index++) {
      const { agent } = await ours.runPromise(
        Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: `Real ${index}` })
      )
      agentIds.push(agent.id)
    }
    const setupStarted = performance.now()
    const provision = (ids: ReadonlyArray<AgentId>, atOnce: number) =>
      ours.runPromise(Effect.filter(ids, (id) =>
        provisionAgentRecord(id, {
          action: "provision",
          gateway: world.gateway,
          board: world.board,
          user: world.owner,
          wake: false
        }).pipe(Effect.as(false), Effect.catch(() => Effect.succeed(true))), { concurrency: atOnce }))
    // Setting up, not measured. While agents are being created, 2026.9.6 answers the provisioning's `config.patch`
    // "persisted but was not applied to the active Gateway (superseded)" until its deadline: those agents are
    // provisioned again, two at a time, once the burst of creates is over (see the notes).
    let failedIds = await provision(agentIds, concurrency)
    const failedFirst = failedIds.length
    for (let pass = 0; pass < 3 && failedIds.length > 0; pass++) failedIds = await provision(failedIds, 2)
    if (failedIds.length > 0) throw new Error(`${failedIds.length} agents could not be provisioned on the gateway`)
    const setupMs = performance.now() - setupStarted
    const sync = () => ours.runPromise(syncGatewayTemplates(world.gateway, { includeMain: false, concurrency }))
    // No untimed sync first (the simulator row has one): here the gateway's own work dominates, about 15 minutes a
    // sync of 200 agents on this machine.
    let summary: Awaited<ReturnType<typeof sync>> | undefined
    const oursMs = await time(async () => {
      summary = await sync()
    })
    // The reference's scheme on the same context and agents.
    const referenceRuntime = ManagedRuntime.make(Layer.merge(
      Layer.succeedContext(await ours.context()),
      connectionPerCallLayer
    ) as Layer.Layer<MissionControlServices>)
    let referenceSummary: Awaited<ReturnType<typeof sync>> | undefined
    const referenceMs = await time(async () => {
      referenceSummary = await referenceRuntime.runPromise(
        syncGatewayTemplates(world.gateway, { includeMain: false, concurrency: 1 }).pipe(
          Effect.provideService(Settings, { ...Settings.defaultValue(), workspaceFileConcurrency: 1 })
        )
      )
    })
    await referenceRuntime.dispose()
    const errors = (summary?.errors.length ?? 0) + (referenceSummary?.errors.length ?? 0)
    return [{
      name:
        `template sync, ${agentsCount} agents on the real gateway ${realGatewayVersion}: ours against a socket per call, sequential`,
      ours: round(oursMs),
      reference: round(referenceMs),
      unit: "ms",
      ratio: round(referenceMs / oursMs),
      goal: "≥ 10× faster",
      meets: errors === 0 && referenceMs >= oursMs * 10,
      note: `ours updated ${summary?.agentsUpdated ?? 0}, reference updated ${
        referenceSummary?.agentsUpdated ?? 0
      }, errors ${errors}${
        errors === 0 ? "" : ` (${[...(summary?.errors ?? []), ...(referenceSummary?.errors ?? [])][0]?.message})`
      }; setup (provisioning ${agentsCount} agents, ${concurrency} at a time) ${
        Math.round(setupMs)
      } ms, ${failedFirst} of them provisioned again after failing on config.patch`
    }]
  } finally {
    await ours.dispose()
    await gateway.stop()
  }
}
