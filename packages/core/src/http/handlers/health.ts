import { HttpApiBuilder } from "effect/http-api"
import { MissionControlApi } from "../Api.js"

/** Liveness and readiness. */
export const HealthHandlers = HttpApiBuilder.group(MissionControlApi, "health", (handlers) => handlers)
