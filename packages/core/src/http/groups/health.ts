import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { RequestEnvelope } from "../middleware.js"

/** The reference's `HealthStatusResponse`. */
export const HealthStatus = Schema.Struct({ ok: Schema.Boolean })

/** Where the probes are: at the root, as the reference serves them, not under `/api/v1`. */
export const probePaths = { health: "/health", healthz: "/healthz", readyz: "/readyz" } as const

/**
 * Liveness and readiness probes, without authentication. `/readyz` checks the database and answers 503 with what is
 * not ready.
 */
export class HealthGroup extends HttpApiGroup.make("health")
  .add(
    HttpApiEndpoint.get("health", probePaths.health, { success: HealthStatus }),
    HttpApiEndpoint.get("healthz", probePaths.healthz, { success: HealthStatus }),
    HttpApiEndpoint.get("readyz", probePaths.readyz, { success: HealthStatus })
  )
  .middleware(RequestEnvelope)
{}
