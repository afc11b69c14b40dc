import { HttpApiBuilder } from "effect/http-api"
import { MissionControlApi } from "../Api.js"

/** The reconciler's plan and its application. */
export const ReconcileHandlers = HttpApiBuilder.group(MissionControlApi, "reconcile", (handlers) => handlers)
