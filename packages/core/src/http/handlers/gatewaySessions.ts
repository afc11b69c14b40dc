import { HttpApiBuilder } from "effect/http-api"
import { MissionControlApi } from "../Api.js"

/** The gateway operator's routes. */
export const GatewaySessionsHandlers = HttpApiBuilder.group(
  MissionControlApi,
  "gatewaySessions",
  (handlers) => handlers
)
