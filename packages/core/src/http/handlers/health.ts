import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { checkReadiness } from "../../programs/readiness.js"
import { MissionControlApi } from "../Api.js"
import { respond } from "../views.js"

const alive = { ok: true } as const

/** Liveness and readiness. */
export const HealthHandlers = HttpApiBuilder.group(MissionControlApi, "health", (handlers) =>
  handlers
    .handle("health", () => Effect.succeed(alive))
    .handle("healthz", () => Effect.succeed(alive))
    .handle("readyz", () => respond(Effect.as(checkReadiness(), alive))))
