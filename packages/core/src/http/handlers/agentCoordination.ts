import { HttpApiBuilder } from "effect/http-api"
import { MissionControlApi } from "../Api.js"

/** Agents coordinating with their token. */
export const AgentCoordinationHandlers = HttpApiBuilder.group(
  MissionControlApi,
  "agentCoordination",
  (handlers) => handlers
)
