// What the HTTP rows share: the API's services on a test database with a world and agents, and a server on loopback.
import type { TestDatabase } from "@mission-control/adapter-pg/testing"
import { layerOnTestDatabase } from "@mission-control/adapter-pg/testing"
import type { MissionControlServices } from "@mission-control/core"
import { AgentTokens, TemplateRenderer } from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import { Effect, Layer, ManagedRuntime } from "effect"
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"

/** The services on `database` (emptied first), a seeded world, and `count` agents on its board with their tokens. */
export const startWorld = async (database: TestDatabase, count: number, name: string) => {
  const runtime = ManagedRuntime.make(Layer.mergeAll(
    layerOnTestDatabase(database),
    AgentTokens.layer,
    TemplateRenderer.layer,
    TestKit.layerGateway()
  ) as Layer.Layer<MissionControlServices>)
  const world = await runtime.runPromise(Fixtures.world())
  const agents = await runtime.runPromise(
    Effect.forEach(
      Array.from({ length: count }, (_, index) => index),
      (index) => Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: `${name} ${index}` })
    )
  )
  return { runtime, world, agents }
}

/** Listens on a free loopback port; the base URL and how to stop (open streams included). */
export const listen = async (app: { readonly listen: (port: number, host: string) => Server }) => {
  const server = app.listen(0, "127.0.0.1")
  await new Promise<void>((resolve) => server.once("listening", () => resolve()))
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
