// The example server: the Mission Control API on embedded Postgres (PGlite), seeded with two organizations, each on
// its own gateway simulator (own port, own token) by default.
//   DATABASE_URL=postgres://…            use a real Postgres
//   GATEWAY_URL=ws://… GATEWAY_TOKEN=…   put the first organization (Acme) on a real OpenClaw gateway; the second
//                                        (Globex) stays on a simulator, as organizations never share a gateway
//   PORT=8000                            0 picks a free port; the ready line tells which
import * as PgAdapter from "@mission-control/adapter-pg"
import { AgentTokens, reconcilePendingProvisioning, TemplateRenderer } from "@mission-control/core"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import type { GatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { Layer, ManagedRuntime, Redacted, Schedule } from "effect"
import type { AddressInfo } from "node:net"
import { DemoUserTokens, makeApp } from "./app.js"
import { runForever } from "./background.js"
import type { DemoGateway } from "./seed.js"
import { seedDemo } from "./seed.js"

/** An environment variable, blank counting as unset. */
const env = (name: string): string | undefined => {
  const value = process.env[name]?.trim()
  return value === undefined || value === "" ? undefined : value
}

const main = async () => {
  const databaseUrl = env("DATABASE_URL")
  const gatewayUrl = env("GATEWAY_URL")
  const simulators: Array<GatewaySimulator> = []
  // One simulator per organization that needs one: its own port and its own token.
  const simulated = async (): Promise<DemoGateway> => {
    const simulator = await startGatewaySimulator({
      reloadDelayMs: 200,
      token: `simulator-${globalThis.crypto.randomUUID().replace(/-/g, "")}`
    })
    simulators.push(simulator)
    return { url: simulator.url, token: simulator.token, simulator: true }
  }
  const gateways = {
    acme: gatewayUrl === undefined
      ? await simulated()
      : { url: gatewayUrl, token: env("GATEWAY_TOKEN") ?? null, simulator: false },
    globex: await simulated()
  }
  const database = databaseUrl === undefined
    ? PgAdapter.layerEmbedded({ dataDir: env("MC_DATA_DIR") })
    : PgAdapter.layer({ url: Redacted.make(databaseUrl) })
  const runtime = ManagedRuntime.make(Layer.mergeAll(
    database,
    AgentTokens.layer,
    TemplateRenderer.layer,
    GatewayRpc.layer({ device: GatewayRpc.generateDeviceIdentity() })
  ))
  await runtime.context() // a bad DATABASE_URL fails here, not on the first request

  const tokens = new DemoUserTokens()
  const organizations = await runtime.runPromise(seedDemo(gateways, tokens))

  const { app, router } = makeApp(runtime, tokens)
  const server = app.listen(Number(env("PORT") ?? 8000), "127.0.0.1")
  await new Promise<void>((resolve) => server.once("listening", () => resolve()))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  console.log(JSON.stringify({ ready: true, url, organizations }))
  console.log(`Mission Control is listening on ${url}/api/v1 (OpenAPI: ${url}/api/v1/openapi.json)`)
  console.log(
    `Database: ${
      databaseUrl === undefined ? "embedded PGlite" : PgAdapter.describeConnection({ url: Redacted.make(databaseUrl) })
    }`
  )
  for (const organization of organizations) {
    const gateway = organization.gateway
    console.log(`${organization.name} gateway: ${gateway.simulator ? `simulator at ${gateway.url}` : gateway.url}`)
    console.log(
      `${organization.name}: curl -H "Authorization: Bearer ${organization.users.owner.token}" ${url}/api/v1/agents`
    )
  }
  // Finish provisioning a crash or an outage left pending, now and every minute, whatever one run meets. Started after
  // the ready line, so no warning comes before it.
  runtime.runFork(
    runForever("reconcilePendingProvisioning", reconcilePendingProvisioning(), Schedule.spaced("1 minute"))
  )

  const shutdown = async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await router.dispose()
    await runtime.dispose()
    for (const simulator of simulators) await simulator.stop()
    process.exit(0)
  }
  process.once("SIGINT", () => void shutdown())
  process.once("SIGTERM", () => void shutdown())
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
