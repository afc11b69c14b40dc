import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { toReconcilePlanRead, toReconcileResultRead } from "../../domain/reconcileWire.js"
import { applyGatewayReconcileAsAdmin, planGatewayReconcileAsAdmin } from "../../programs/reconcile.js"
import { MissionControlApi } from "../Api.js"
import { CurrentUser } from "../middleware.js"
import { respond } from "../views.js"

/** The reconciler's plan and its application. */
export const ReconcileHandlers = HttpApiBuilder.group(MissionControlApi, "reconcile", (handlers) =>
  handlers
    .handle("plan", ({ params }) =>
      respond(Effect.map(
        Effect.flatMap(Effect.service(CurrentUser), (user) => planGatewayReconcileAsAdmin(user, params.gateway_id)),
        toReconcilePlanRead
      )))
    .handle("apply", ({ params, query }) =>
      respond(Effect.map(
        Effect.flatMap(
          Effect.service(CurrentUser),
          (user) => applyGatewayReconcileAsAdmin(user, params.gateway_id, { deleteOrphans: query.delete_orphans })
        ),
        toReconcileResultRead
      ))))
