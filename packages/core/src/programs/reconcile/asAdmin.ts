// The reconciler's routes: the org-admin check, and gateway failures as the API answers them.

import { Effect } from "effect"
import type { GatewayId } from "../../domain/ids.js"
import type { User } from "../../domain/models.js"
import { GatewayFailure, Internal } from "../../errors.js"
import type { GatewayError } from "../../services/GatewayControlPlane.js"
import { requireGatewayInOrganization, requireOrgAdmin } from "../access.js"
import { publicGatewayErrorText } from "../retry.js"
import type { ProvisioningFault } from "../workspaceLifecycle.js"
import type { ReconcileOptions } from "./apply.js"
import { applyGatewayReconcile } from "./apply.js"
import { planGatewayReconcile } from "./plan.js"

// A refusal of the gateway is 502 `Gateway reconcile failed: …`; a template that does not render is ours (500).
const asCoreError = (error: GatewayError | ProvisioningFault) =>
  error._tag === "GatewayError"
    ? new GatewayFailure({ detail: `Gateway reconcile failed: ${publicGatewayErrorText(error)}` })
    : new Internal({ detail: "Unexpected error planning gateway reconcile." })

const requireAdminGateway = Effect.fnUntraced(function*(user: User | null, gatewayId: GatewayId) {
  const context = yield* requireOrgAdmin(user)
  return yield* requireGatewayInOrganization(gatewayId, context)
})

/** `GET /gateways/{gateway_id}/reconcile`: the plan, for an org admin of the gateway's organization. */
export const planGatewayReconcileAsAdmin = Effect.fn("planGatewayReconcileAsAdmin")(function*(
  user: User | null,
  gatewayId: GatewayId
) {
  const gateway = yield* requireAdminGateway(user, gatewayId)
  return yield* planGatewayReconcile(gateway).pipe(
    Effect.catchTags({ GatewayError: asCoreError, ProvisioningFault: asCoreError })
  )
})

/** `POST /gateways/{gateway_id}/reconcile`: the plan applied, for an org admin of the gateway's organization. */
export const applyGatewayReconcileAsAdmin = Effect.fn("applyGatewayReconcileAsAdmin")(function*(
  user: User | null,
  gatewayId: GatewayId,
  options: ReconcileOptions
) {
  const gateway = yield* requireAdminGateway(user, gatewayId)
  return yield* applyGatewayReconcile(gateway, options).pipe(
    Effect.catchTags({ GatewayError: asCoreError, ProvisioningFault: asCoreError })
  )
})
