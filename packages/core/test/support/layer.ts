import type { MemoryGatewayBehaviour } from "@mission-control/core/testing"
import type { MemoryStore } from "@mission-control/core/testing"
import { TestKit } from "@mission-control/core/testing"
import { Effect, Layer } from "effect"

/** Which store the core suite runs on: the in-memory kit, or the Postgres adapter (`MC_TEST_STORE=postgres`). */
export const store: "memory" | "postgres" = process.env["MC_TEST_STORE"] === "postgres" ? "postgres" : "memory"

/** True when the suite runs on the in-memory store (tests of the store itself run only there). */
export const onMemory = store === "memory"

const postgresRepositories = Layer.unwrap(
  Effect.promise(() => import("@mission-control/adapter-pg/testing")).pipe(
    Effect.map((testing) => testing.layerTestDatabase)
  )
)

/** The services every store provides (the memory store's own control is not among them). */
type CoreServices = Exclude<Layer.Success<ReturnType<typeof TestKit.layer>>, MemoryStore>

/** A complete core for one test, on the selected store, with an in-memory gateway. */
export const testLayer = (gateway: Partial<MemoryGatewayBehaviour> = {}): Layer.Layer<CoreServices> =>
  onMemory
    ? TestKit.layer(gateway)
    : Layer.mergeAll(postgresRepositories, TestKit.layerServices, TestKit.layerGateway(gateway)).pipe(Layer.orDie)
