import type { MissionControlRouter } from "@mission-control/adapter-express"
import { createMissionControlRouter } from "@mission-control/adapter-express"
import type { MissionControlServices, User } from "@mission-control/core"
import { Observability, OrganizationRepository } from "@mission-control/core"
import type { OrganizationId, UserId } from "@mission-control/core"
import { probePaths } from "@mission-control/core/http"
import type { ManagedRuntime } from "effect"
import { Effect, Option } from "effect"
import express from "express"
import { fleetPage } from "../fleet/serve.js"

/** The demo's user sign-in: `Authorization: Bearer <token>` for the seeded users. */
export class DemoUserTokens {
  private readonly users = new Map<string, UserId>()
  add(userId: UserId): string {
    const token = `user-${globalThis.crypto.randomUUID().replace(/-/g, "")}`
    this.users.set(token, userId)
    return token
  }
  find(header: string | undefined): UserId | undefined {
    const token = /^Bearer\s+(.+)$/i.exec(header ?? "")?.[1]?.trim()
    return token === undefined ? undefined : this.users.get(token)
  }
}

/**
 * The example application: the router at /api/v1, as upstream mounts it, the liveness and readiness probes, metrics in Prometheus's
 * text format at /metrics, and the fleet page at /.
 */
export const makeApp = <E>(
  runtime: ManagedRuntime.ManagedRuntime<MissionControlServices, E>,
  tokens: DemoUserTokens,
  organizationIds: ReadonlyArray<OrganizationId> = []
): { readonly app: express.Express; readonly router: MissionControlRouter } => {
  const authenticateUser = async (req: express.Request): Promise<User | undefined> => {
    const userId = tokens.find(req.header("authorization"))
    if (userId === undefined) return undefined
    const found = await runtime.runPromise(Effect.flatMap(OrganizationRepository, (repo) => repo.findUser(userId)))
    return Option.getOrUndefined(found)
  }
  const router = createMissionControlRouter({ runtime, authenticateUser })
  const app = express()
  // The probes are the API's own (`/readyz` checks the database), at the root where orchestrators look for them.
  app.get(Object.values(probePaths), router)
  app.get("/metrics", Observability.prometheusHandler(runtime, { organizationIds }))
  app.use("/api/v1", router)
  app.use(fleetPage())
  return { app, router }
}
